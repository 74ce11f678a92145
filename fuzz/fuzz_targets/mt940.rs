//! MT940/MT942 reader on arbitrary bytes, decoded as the import does (UTF-8, else Latin-1).
#![no_main]

use clearway_formats::statements::{decode_text, mt940};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = mt940::read(&decode_text(data)) {
        let _ = e.to_string();
    }
});
