//! camt.052/053/054 reader on arbitrary bytes, decoded as the import does.
#![no_main]

use clearway_formats::statements::{camt053, decode_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = camt053::read(&decode_text(data)) {
        let _ = e.to_string();
    }
});
