//! XLSX statements. Input starting `PK` is read as the archive itself (the conformance
//! workbooks); anything else is taken as the parts of a workbook, `\0`-separated — worksheet,
//! shared strings, styles — and stored into an archive first, because mutated ZIP bytes almost
//! never get past the CRC check to the XML the reader interprets.
#![no_main]

use std::io::{Cursor, Write};

use clearway_formats::statements::{csv, xlsx};
use libfuzzer_sys::fuzz_target;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const WORKBOOK: &[u8] = br#"<workbook><sheets><sheet name="S" sheetId="1"/></sheets></workbook>"#;

fn workbook(parts: &[u8]) -> Vec<u8> {
    let names = [
        "xl/worksheets/sheet1.xml",
        "xl/sharedStrings.xml",
        "xl/styles.xml",
    ];
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let files = std::iter::once(("xl/workbook.xml", WORKBOOK)).chain(
        names
            .into_iter()
            .zip(parts.splitn(names.len(), |&b| b == 0)),
    );
    for (name, body) in files {
        zip.start_file(name, stored).expect("in-memory archive");
        zip.write_all(body).expect("in-memory archive");
    }
    zip.finish().expect("in-memory archive").into_inner()
}

fuzz_target!(|data: &[u8]| {
    let owned;
    let bytes = if xlsx::looks_like_xlsx(data) {
        data
    } else {
        owned = workbook(data);
        &owned
    };
    if let Err(e) = xlsx::read_detect(bytes) {
        let _ = e.to_string();
    }
    let preset = csv::preset("simple-en-inverse").expect("preset exists");
    if let Err(e) = xlsx::read(bytes, &preset) {
        let _ = e.to_string();
    }
});
