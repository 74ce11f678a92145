//! Tables exported as CSV (exact text) or XLSX (numbers as numbers with number formats,
//! dates as dates), readable by spreadsheet software.

use std::collections::HashMap;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use clearway_formats::documents::xlsx::to_f64;
use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::http::ApiError;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// Money in minor units with the currency's decimal places.
    Money(i64, u32),
    /// An exact decimal (shares, NAV, percentage), shown with its own scale.
    Number(Decimal),
    /// A date.
    Date(NaiveDate),
    /// Nothing.
    Empty,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Money(m, units) => Decimal::new(*m, *units).to_string(),
            Cell::Number(d) => d.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// A table to export.
#[derive(Debug, Clone)]
pub struct Table {
    /// Worksheet name and file name stem.
    pub name: String,
    /// Column headers.
    pub headers: Vec<&'static str>,
    /// Rows, each as long as the headers.
    pub rows: Vec<Vec<Cell>>,
}

/// Export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// RFC 4180 CSV, UTF-8.
    Csv,
    /// Office Open XML workbook.
    Xlsx,
}

impl ExportFormat {
    /// Parses the `format` query parameter (csv when absent).
    pub fn parse(text: Option<&str>) -> Result<ExportFormat, ApiError> {
        match text.unwrap_or("csv") {
            "csv" => Ok(ExportFormat::Csv),
            "xlsx" => Ok(ExportFormat::Xlsx),
            other => Err(ApiError::field(
                "format",
                format!("'{other}' is not a format; use csv or xlsx"),
            )),
        }
    }
}

/// CSV bytes of a table.
pub fn to_csv(t: &Table) -> Result<Vec<u8>, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::Store(clearway_store::StoreError::Corrupt(e.to_string()));
    w.write_record(&t.headers).map_err(fail)?;
    for row in &t.rows {
        w.write_record(row.iter().map(Cell::text)).map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| ApiError::Store(clearway_store::StoreError::Corrupt(e.to_string())))
}

fn decimal_format(scale: u32) -> String {
    if scale == 0 {
        "#,##0".into()
    } else {
        format!("#,##0.{}", "0".repeat(scale.min(12) as usize))
    }
}

/// XLSX bytes of a table: a bold frozen header with a filter, numbers with formats.
pub fn to_xlsx(t: &Table) -> Result<Vec<u8>, ApiError> {
    let fail = |e: rust_xlsxwriter::XlsxError| {
        ApiError::Store(clearway_store::StoreError::Corrupt(format!("xlsx: {e}")))
    };
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let name: String = t.name.chars().take(31).collect();
    sheet.set_name(name).map_err(fail)?;
    let bold = Format::new().set_bold();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let mut formats: HashMap<u32, Format> = HashMap::new();
    for (c, h) in t.headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(fail)?;
        sheet
            .set_column_width(c as u16, (h.len() as f64 + 2.0).max(12.0))
            .map_err(fail)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let r = (r + 1) as u32;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(r, c, s).map_err(fail)?;
                }
                Cell::Money(m, units) => {
                    let value = Decimal::new(*m, *units);
                    let f = formats
                        .entry(*units)
                        .or_insert_with(|| Format::new().set_num_format(decimal_format(*units)));
                    sheet
                        .write_number_with_format(r, c, to_f64(value), &*f)
                        .map_err(fail)?;
                }
                Cell::Number(d) => {
                    let f = formats
                        .entry(d.scale())
                        .or_insert_with(|| Format::new().set_num_format(decimal_format(d.scale())));
                    sheet
                        .write_number_with_format(r, c, to_f64(*d), &*f)
                        .map_err(fail)?;
                }
                Cell::Date(d) => {
                    let x =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .map_err(fail)?;
                    sheet
                        .write_datetime_with_format(r, c, &x, &date_format)
                        .map_err(fail)?;
                }
                Cell::Empty => {}
            }
        }
    }
    let last_col = t.headers.len().saturating_sub(1) as u16;
    sheet
        .autofilter(0, 0, t.rows.len() as u32, last_col)
        .map_err(fail)?;
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    workbook.save_to_buffer().map_err(fail)
}

/// The HTTP response for a table: the right Content-Type and an attachment file name.
pub fn respond(t: &Table, format: ExportFormat) -> Result<Response, ApiError> {
    let (body, content_type, ext) = match format {
        ExportFormat::Csv => (to_csv(t)?, "text/csv; charset=utf-8", "csv"),
        ExportFormat::Xlsx => (
            to_xlsx(t)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let file: String = t
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            name: "reinvestments".into(),
            headers: vec!["investor", "amount", "shares", "date"],
            rows: vec![vec![
                Cell::Text("a,\"b\"".into()),
                Cell::Money(123_456, 2),
                Cell::Number("1.2340".parse().unwrap()),
                Cell::Date("2026-03-31".parse().unwrap()),
            ]],
        }
    }

    #[test]
    fn csv_quotes_and_keeps_exact_text() {
        let text = String::from_utf8(to_csv(&table()).unwrap()).unwrap();
        assert_eq!(
            text,
            "investor,amount,shares,date\n\"a,\"\"b\"\"\",1234.56,1.2340,2026-03-31\n"
        );
    }

    #[test]
    fn xlsx_is_a_zip_with_a_worksheet() {
        let bytes = to_xlsx(&table()).unwrap();
        assert_eq!(&bytes[..2], b"PK");
        assert!(bytes.windows(19).any(|w| w == b"xl/worksheets/sheet"));
    }
}
