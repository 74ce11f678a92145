//! OFX 1.x (SGML) / 2.x (XML) reader on arbitrary bytes, decoded as the import does.
#![no_main]

use clearway_formats::statements::{decode_text, ofx};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = ofx::read(&decode_text(data)) {
        let _ = e.to_string();
    }
});
