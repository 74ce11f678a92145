//! NACHA reader on arbitrary bytes: any input is a `File` or an `AchError`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = clearway_formats::ach::parse_bytes(data) {
        // The message is what an operator reads: building it must not panic either.
        let _ = e.to_string();
    }
});
