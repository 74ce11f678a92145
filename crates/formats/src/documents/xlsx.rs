//! XLSX: one worksheet read top to bottom like the PDF: the title, each section under a bold
//! heading (facts as label and value, tables with a bold header row), then the disclosures.
//! Amounts are numbers formatted with their currency's decimals and code, dates are dates.

use std::collections::HashMap;

use chrono::Datelike;
use rust_decimal::Decimal;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::layout::{Block, Layout, Value};
use super::DocumentError;

fn fail(e: XlsxError) -> DocumentError {
    DocumentError::Xlsx(e.to_string())
}

/// Number formats by (decimal places, currency code), made once per workbook.
#[derive(Default)]
struct Formats {
    by_kind: HashMap<(u32, String), Format>,
    date: Format,
}

impl Formats {
    fn number(&mut self, scale: u32, code: &str) -> &Format {
        self.by_kind
            .entry((scale, code.to_string()))
            .or_insert_with(|| {
                let digits = if scale == 0 {
                    "#,##0".to_string()
                } else {
                    format!("#,##0.{}", "0".repeat(scale.min(12) as usize))
                };
                let with_code = if code.is_empty() {
                    digits
                } else {
                    format!("{digits} \"{code}\"")
                };
                Format::new().set_num_format(with_code)
            })
    }
}

/// A decimal as a spreadsheet number: spreadsheets hold numbers as doubles (the exact values
/// are in the CSV exports). Shared by every XLSX writer.
pub fn to_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

fn cell(
    sheet: &mut Worksheet,
    f: &mut Formats,
    row: u32,
    col: u16,
    v: &Value,
) -> Result<(), XlsxError> {
    match v {
        Value::Text(t) => sheet.write_string(row, col, t).map(|_| ()),
        Value::Money(m) => {
            let format = f.number(m.exponent, &m.currency);
            sheet
                .write_number_with_format(row, col, to_f64(m.decimal()), format)
                .map(|_| ())
        }
        Value::Number(d) => {
            let d = d.normalize();
            let format = f.number(d.scale(), "");
            sheet
                .write_number_with_format(row, col, to_f64(d), format)
                .map(|_| ())
        }
        Value::Date(d) => {
            let x = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
            sheet
                .write_datetime_with_format(row, col, &x, &f.date)
                .map(|_| ())
        }
        Value::Empty => Ok(()),
    }
}

/// Sheet names may not hold `[]:*?/\` and have at most 31 characters.
fn sheet_name(title: &str) -> String {
    title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

/// The layout as XLSX bytes. The workbook's creation time is fixed, so the same document
/// gives the same bytes (and content hash) every time.
pub fn write(layout: &Layout) -> Result<Vec<u8>, DocumentError> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(fail)?;
    let props = DocProperties::new()
        .set_title(&layout.title)
        .set_creation_datetime(&created);
    workbook.set_properties(&props);
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(&layout.title)).map_err(fail)?;
    fill(sheet, layout).map_err(fail)?;
    workbook.save_to_buffer().map_err(fail)
}

fn fill(sheet: &mut Worksheet, layout: &Layout) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let mut f = Formats {
        date: Format::new().set_num_format("yyyy-mm-dd"),
        ..Formats::default()
    };
    sheet.set_column_width(0, 34)?;
    for c in 1..10 {
        sheet.set_column_width(c, 18)?;
    }
    sheet.write_string_with_format(0, 0, &layout.title, &title)?;
    sheet.write_string(1, 0, &layout.subtitle)?;
    let mut row = 3u32;
    for s in &layout.sections {
        sheet.write_string_with_format(row, 0, &s.heading, &bold)?;
        row += 1;
        match &s.block {
            Block::Facts(facts) => {
                for (label, v) in facts {
                    sheet.write_string(row, 0, label)?;
                    cell(sheet, &mut f, row, 1, v)?;
                    row += 1;
                }
            }
            Block::Table { headers, rows } => {
                for (c, h) in headers.iter().enumerate() {
                    sheet.write_string_with_format(row, c as u16, h, &bold)?;
                }
                row += 1;
                for r in rows {
                    for (c, v) in r.iter().enumerate() {
                        cell(sheet, &mut f, row, c as u16, v)?;
                    }
                    row += 1;
                }
            }
            Block::Text(t) => {
                sheet.write_string(row, 0, t)?;
                row += 1;
            }
        }
        row += 1;
    }
    sheet.write_string_with_format(row, 0, &layout.disclosures_heading, &bold)?;
    for d in &layout.disclosures {
        row += 1;
        sheet.write_string(row, 0, d)?;
    }
    Ok(())
}
