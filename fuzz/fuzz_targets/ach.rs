//! NACHA reader on arbitrary bytes: any input is a `File` or an `AchError`, never a panic; and
//! a file it accepts, written back by our writer (which recomputes every control), reads back
//! to the same value.
#![no_main]

use clearway_formats::ach::{parse_bytes, parse_bytes_lenient, write_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The lenient reader (returns files) pads or cuts record lengths: it must not panic either.
    let lenient = parse_bytes_lenient(data);
    match &lenient {
        Ok((_, warnings)) => drop(warnings.join("\n")),
        Err(e) => drop(e.to_string()),
    }
    match parse_bytes(data) {
        Ok(file) => {
            let text = write_file(&file);
            match parse_bytes(text.as_bytes()) {
                Ok(back) => assert_eq!(back, file, "written back:\n{text}"),
                Err(e) => panic!("our writing of an accepted file is refused: {e}\n{text}"),
            }
        }
        // The message is what an operator reads: building it must not panic either.
        Err(e) => drop(e.to_string()),
    }
});
