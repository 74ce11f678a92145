//! What an upload goes through: format detection, then the detected reader (`read_file`), and
//! the text-only detection of `read_statements`.
#![no_main]

use clearway_formats::statements::{decode_text, read_file, read_statements, SheetOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = read_file(data, None, &SheetOptions::default()) {
        let _ = e.to_string();
    }
    if let Err(e) = read_statements(&decode_text(data)) {
        let _ = e.to_string();
    }
});
