//! CSV statements on arbitrary bytes: preset detection, and the one preset detection never
//! tries (`simple-en-inverse`, chosen only by name) so its sign handling is fuzzed too.
#![no_main]

use clearway_formats::statements::{csv, decode_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = decode_text(data);
    if let Err(e) = csv::read_csv_detect(&text) {
        let _ = e.to_string();
    }
    let preset = csv::preset("simple-en-inverse").expect("preset exists");
    if let Err(e) = csv::read_csv(&text, &preset) {
        let _ = e.to_string();
    }
});
