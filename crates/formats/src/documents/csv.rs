//! CSV: one value per row (`section,row,field,value,currency`), so every document, whatever
//! its sections, is one flat table a spreadsheet or a script reads alike. Amounts are exact
//! plain decimals with their currency in the next column.

use super::layout::{Block, Layout, Value};
use super::DocumentError;

const HEADERS: [&str; 5] = ["section", "row", "field", "value", "currency"];

fn currency(v: &Value) -> &str {
    match v {
        Value::Money(m) => &m.currency,
        _ => "",
    }
}

/// The layout as CSV bytes (UTF-8, CRLF line ends as RFC 4180 asks).
pub fn write(layout: &Layout) -> Result<Vec<u8>, DocumentError> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let fail = |e: ::csv::Error| DocumentError::Csv(e.to_string());
    w.write_record(HEADERS).map_err(fail)?;
    let mut put = |section: &str, row: usize, field: &str, v: &Value| {
        w.write_record([section, &row.to_string(), field, &v.plain(), currency(v)])
    };
    put("document", 0, "title", &Value::Text(layout.title.clone())).map_err(fail)?;
    put(
        "document",
        0,
        "subtitle",
        &Value::Text(layout.subtitle.clone()),
    )
    .map_err(fail)?;
    for s in &layout.sections {
        match &s.block {
            Block::Facts(facts) => {
                for (label, v) in facts {
                    put(s.key, 1, label, v).map_err(fail)?;
                }
            }
            Block::Table { headers, rows } => {
                for (i, row) in rows.iter().enumerate() {
                    for (h, v) in headers.iter().zip(row) {
                        put(s.key, i + 1, h, v).map_err(fail)?;
                    }
                }
            }
            Block::Text(t) => put(s.key, 0, "note", &Value::Text(t.clone())).map_err(fail)?,
        }
    }
    for (i, d) in layout.disclosures.iter().enumerate() {
        put(
            "disclosure",
            i + 1,
            &layout.disclosures_heading,
            &Value::Text(d.clone()),
        )
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| DocumentError::Csv(e.to_string()))
}
