//! pain.002 payment status report reader on arbitrary bytes, decoded as the import does.
#![no_main]

use clearway_formats::iso20022::pain002;
use clearway_formats::statements::decode_text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = pain002::read(&decode_text(data)) {
        let _ = e.to_string();
    }
});
