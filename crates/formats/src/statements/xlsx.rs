//! XLSX (Office Open XML spreadsheet) statements: the first worksheet as [`Row`]s of
//! [`Cell`]s, then read with a CSV [`Mapping`](super::csv::Mapping).
//!
//! Only what a statement needs is read: shared strings, inline strings, numbers, booleans,
//! and which number formats are dates (built-in ids 14–22, 27–36, 45–47, 50–58 and custom
//! formats with day/month/year letters outside quotes and brackets), so a date cell becomes a
//! date and an amount stays the number that was written. The 1904 date system is honoured.
//! Limits keep hostile archives harmless: each part is read up to 64 MiB uncompressed.

use std::io::{Cursor, Read};

use chrono::NaiveDate;

use super::csv::{detect_preset, read_rows, Cell, Mapping, Row};
use super::{Statement, StatementError, StatementFormat};
use crate::iso20022::xml::{self, Node};

/// Largest uncompressed part read from the archive.
const PART_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Largest column index accepted (XFD = 16,384 columns).
const COLUMNS_MAX: usize = 16_384;

/// True when `bytes` start like a ZIP archive (XLSX files are ZIP archives).
pub fn looks_like_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

fn err(message: impl Into<String>) -> StatementError {
    StatementError::structure(1, "XLSX", message)
}

fn part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<Option<String>, StatementError> {
    let file = match archive.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(err(format!("{name}: {e}"))),
    };
    let mut text = String::new();
    file.take(PART_MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| err(format!("{name}: {e}")))?;
    if text.len() as u64 > PART_MAX_BYTES {
        return Err(err(format!("{name}: larger than {PART_MAX_BYTES} bytes")));
    }
    Ok(Some(text))
}

fn parse_xml(name: &str, text: &str) -> Result<Node, StatementError> {
    xml::parse(text)
        .map_err(|e| StatementError::structure(e.line, &format!("XLSX {name}"), e.message))
}

/// All text of a shared-string item (`<t>` directly or inside rich-text runs, not phonetics).
fn item_text(n: &Node, out: &mut String) {
    for c in &n.children {
        match c.name.as_str() {
            "t" => out.push_str(&c.text),
            "r" => item_text(c, out),
            _ => {}
        }
    }
}

/// Whether a number format shows a date.
fn is_date_format(id: u32, custom: Option<&str>) -> bool {
    if let Some(code) = custom {
        let mut in_quote = false;
        let mut in_bracket = false;
        let mut prev = '\0';
        for ch in code.chars() {
            match ch {
                '"' => in_quote = !in_quote,
                '[' if !in_quote => in_bracket = true,
                ']' if !in_quote => in_bracket = false,
                'd' | 'D' | 'm' | 'M' | 'y' | 'Y' if !in_quote && !in_bracket && prev != '\\' => {
                    return true
                }
                _ => {}
            }
            prev = ch;
        }
        return false;
    }
    matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58)
}

/// Column index of a cell reference like `AB12`.
fn column_of(reference: &str) -> Option<usize> {
    let mut col = 0usize;
    let mut letters = 0;
    for b in reference.bytes() {
        if b.is_ascii_uppercase() {
            col = col * 26 + usize::from(b - b'A' + 1);
            letters += 1;
            if letters > 3 {
                return None;
            }
        } else {
            break;
        }
    }
    (letters > 0 && col <= COLUMNS_MAX).then(|| col - 1)
}

/// A `numFmtId` attribute of `styles.xml`, which must be a whole number.
fn num_fmt_id(n: &Node, v: &str) -> Result<u32, StatementError> {
    v.parse().map_err(|_| {
        StatementError::field(
            n.line,
            "XLSX styles.xml",
            "numFmtId",
            v,
            "is not a number format id",
        )
    })
}

fn serial_to_date(serial: &str, date1904: bool) -> Option<NaiveDate> {
    let value: f64 = serial.trim().parse().ok()?;
    if !value.is_finite() || !(0.0..3_000_000.0).contains(&value) {
        return None;
    }
    let days = value.floor() as i64;
    let base = if date1904 {
        NaiveDate::from_ymd_opt(1904, 1, 1)?
    } else {
        // Excel counts 1900-02-29 (which never was): day 60 and later are off by one.
        NaiveDate::from_ymd_opt(1899, 12, if days < 60 { 31 } else { 30 })?
    };
    base.checked_add_signed(chrono::Duration::days(days))
}

/// Reads the first worksheet into rows (1-based sheet row numbers).
pub fn rows(bytes: &[u8]) -> Result<Vec<Row>, StatementError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| err(format!("not a readable XLSX (ZIP) file: {e}")))?;
    let (sheet_path, date1904) = first_sheet(&mut archive)?;
    let sheet = Sheet {
        strings: shared_strings(&mut archive)?,
        date_styles: date_styles(&mut archive)?,
        date1904,
    };
    let sheet_text = part(&mut archive, &sheet_path)?
        .ok_or_else(|| err(format!("{sheet_path} (the first worksheet) is missing")))?;
    let worksheet = parse_xml("worksheet", &sheet_text)?;
    let data = worksheet.child("sheetData").ok_or_else(|| {
        StatementError::structure(worksheet.line, "XLSX worksheet", "no sheetData")
    })?;
    let mut out = Vec::new();
    let mut next_row = 1usize;
    for row in data.all("row") {
        let row = sheet.row(row, next_row)?;
        next_row = row.line + 1;
        out.push(row);
    }
    Ok(out)
}

type Archive<'b> = zip::ZipArchive<Cursor<&'b [u8]>>;

/// The first worksheet's part name, and whether the workbook uses the 1904 date system.
fn first_sheet(archive: &mut Archive<'_>) -> Result<(String, bool), StatementError> {
    let workbook_text = part(archive, "xl/workbook.xml")?
        .ok_or_else(|| err("xl/workbook.xml is missing: not an XLSX workbook"))?;
    let workbook = parse_xml("workbook.xml", &workbook_text)?;
    let date1904 = workbook
        .child("workbookPr")
        .and_then(|p| p.attr("date1904"))
        .is_some_and(|v| v == "1" || v == "true");
    let sheet_rid = workbook
        .child("sheets")
        .and_then(|s| s.children.iter().find(|c| c.name == "sheet"))
        .and_then(|s| s.attr("id").map(str::to_string));
    let mut sheet_path = "xl/worksheets/sheet1.xml".to_string();
    if let (Some(rid), Some(rels)) = (sheet_rid, part(archive, "xl/_rels/workbook.xml.rels")?) {
        let rels = parse_xml("workbook.xml.rels", &rels)?;
        let target = rels
            .all("Relationship")
            .find(|r| r.attr("Id") == Some(rid.as_str()))
            .and_then(|r| r.attr("Target"))
            .map(str::to_string);
        if let Some(target) = target {
            sheet_path = match target.strip_prefix('/') {
                Some(abs) => abs.to_string(),
                None => format!("xl/{target}"),
            };
        }
    }
    Ok((sheet_path, date1904))
}

fn shared_strings(archive: &mut Archive<'_>) -> Result<Vec<String>, StatementError> {
    Ok(match part(archive, "xl/sharedStrings.xml")? {
        Some(text) => parse_xml("sharedStrings.xml", &text)?
            .all("si")
            .map(|si| {
                let mut s = String::new();
                item_text(si, &mut s);
                s
            })
            .collect(),
        None => Vec::new(),
    })
}

/// For each cell style (`cellXfs` index), whether its number format is a date format.
fn date_styles(archive: &mut Archive<'_>) -> Result<Vec<bool>, StatementError> {
    let mut date_styles: Vec<bool> = Vec::new();
    if let Some(text) = part(archive, "xl/styles.xml")? {
        let styles = parse_xml("styles.xml", &text)?;
        let mut custom: Vec<(u32, String)> = Vec::new();
        for f in styles.child("numFmts").iter().flat_map(|n| n.all("numFmt")) {
            // A format without an id or code cannot be referenced: skipped.
            if let (Some(id), Some(code)) = (f.attr("numFmtId"), f.attr("formatCode")) {
                custom.push((num_fmt_id(f, id)?, code.to_string()));
            }
        }
        if let Some(xfs) = styles.child("cellXfs") {
            for xf in xfs.all("xf") {
                // No numFmtId means 0, "General" (ECMA-376 default).
                let id: u32 = match xf.attr("numFmtId") {
                    Some(v) => num_fmt_id(xf, v)?,
                    None => 0,
                };
                let code = custom
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map(|(_, c)| c.as_str());
                date_styles.push(is_date_format(id, code));
            }
        }
    }
    Ok(date_styles)
}

/// What the cells of a worksheet refer to: shared strings and date styles.
struct Sheet {
    strings: Vec<String>,
    date_styles: Vec<bool>,
    date1904: bool,
}

impl Sheet {
    /// One `<row>`; `next_row` is its number when it has no `r`.
    fn row(&self, row: &Node, next_row: usize) -> Result<Row, StatementError> {
        // Rows without `r` follow the previous one (ECMA-376); a present `r` must be a number.
        let number = match row.attr("r") {
            Some(r) => r.parse::<usize>().map_err(|_| {
                StatementError::field(next_row, "XLSX row", "row number", r, "is not a row number")
            })?,
            None => next_row,
        };
        let mut cells: Vec<Cell> = Vec::new();
        for c in row.all("c") {
            let reference = c.attr("r").unwrap_or("");
            let col = match column_of(reference) {
                Some(col) => col,
                None if reference.is_empty() => cells.len(),
                None => {
                    return Err(StatementError::field(
                        number,
                        "XLSX row",
                        "cell reference",
                        reference,
                        "is not a cell reference",
                    ))
                }
            };
            let value = self.cell(c, number, reference)?;
            if cells.len() <= col {
                cells.resize(col + 1, Cell::Text(String::new()));
            }
            cells[col] = value;
        }
        let raw = cells
            .iter()
            .map(|c| match c {
                Cell::Text(t) | Cell::Number(t) => t.clone(),
                Cell::Date(d) => d.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\t");
        Ok(Row {
            line: number,
            cells,
            raw,
        })
    }

    /// The value of cell `c` (at `reference`, in row `number`) by its type `t`.
    fn cell(&self, c: &Node, number: usize, reference: &str) -> Result<Cell, StatementError> {
        let bad = |v: &str, problem: &str| {
            StatementError::field(number, "XLSX row", reference, v, problem)
        };
        let v = c.child("v").map(|v| v.text.as_str()).unwrap_or("");
        Ok(match c.attr("t").unwrap_or("n") {
            "s" => {
                let i: usize = v
                    .parse()
                    .map_err(|_| bad(v, "is not a shared-string index"))?;
                Cell::Text(
                    self.strings
                        .get(i)
                        .cloned()
                        .ok_or_else(|| bad(v, "points past the shared strings"))?,
                )
            }
            "inlineStr" => {
                let mut s = String::new();
                if let Some(is) = c.child("is") {
                    item_text(is, &mut s);
                }
                Cell::Text(s)
            }
            "n" if v.is_empty() => Cell::Text(String::new()),
            "n" => {
                // No `s` means style 0 (ECMA-376 default).
                let style: usize = match c.attr("s") {
                    Some(s) => s.parse().map_err(|_| bad(s, "is not a style index"))?,
                    None => 0,
                };
                // A style past cellXfs (or no styles.xml) has no date format: the value
                // stays a number, and a date column then reports it as not a date.
                if self.date_styles.get(style).copied().unwrap_or(false) {
                    Cell::Date(
                        serial_to_date(v, self.date1904)
                            .ok_or_else(|| bad(v, "is not a date serial"))?,
                    )
                } else {
                    Cell::Number(v.to_string())
                }
            }
            _ => Cell::Text(v.to_string()),
        })
    }
}

/// Reads an XLSX statement with `mapping`.
pub fn read(bytes: &[u8], mapping: &Mapping) -> Result<Vec<Statement>, StatementError> {
    read_rows(&rows(bytes)?, mapping, StatementFormat::Xlsx)
}

/// Reads an XLSX statement with the first preset that fits.
pub fn read_detect(bytes: &[u8]) -> Result<(String, Vec<Statement>), StatementError> {
    let rows = rows(bytes)?;
    if rows.iter().all(|r| {
        r.cells
            .iter()
            .all(|c| matches!(c, Cell::Text(t) if t.trim().is_empty()))
    }) {
        return Err(StatementError::Empty);
    }
    detect_preset(|m| read_rows(&rows, m, StatementFormat::Xlsx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats_and_serials() {
        assert!(is_date_format(14, None));
        assert!(!is_date_format(4, None));
        assert!(is_date_format(166, Some("DD/MM/YYYY")));
        assert!(!is_date_format(165, Some("#,##0.00")));
        assert!(!is_date_format(167, Some("\"day\" 0.00")));
        assert_eq!(
            serial_to_date("43449", false),
            NaiveDate::from_ymd_opt(2018, 12, 15)
        );
        assert_eq!(
            serial_to_date("45358.0416666667", false),
            NaiveDate::from_ymd_opt(2024, 3, 7)
        );
        assert_eq!(
            serial_to_date("0", true),
            NaiveDate::from_ymd_opt(1904, 1, 1)
        );
        assert_eq!(column_of("AB12"), Some(27));
        assert_eq!(column_of("A1"), Some(0));
    }

    /// A minimal workbook: `sheet` is the `<sheetData>` body, `styles` the whole styles.xml.
    fn workbook(sheet: &str, styles: Option<&str>) -> Vec<u8> {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let mut put = |name: &str, text: &str| {
            z.start_file(name, opts).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        };
        put(
            "xl/workbook.xml",
            "<workbook><sheets><sheet name=\"S\"/></sheets></workbook>",
        );
        put(
            "xl/worksheets/sheet1.xml",
            &format!("<worksheet><sheetData>{sheet}</sheetData></worksheet>"),
        );
        if let Some(styles) = styles {
            put("xl/styles.xml", styles);
        }
        z.finish().unwrap().into_inner()
    }

    const DATE_STYLES: &str = "<styleSheet><cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/>\
                               </cellXfs></styleSheet>";

    #[test]
    fn row_and_style_attributes_are_read() {
        let rows = rows(&workbook(
            "<row r=\"3\"><c r=\"A3\" s=\"1\"><v>43449</v></c><c r=\"B3\"><v>12.5</v></c></row>\
             <row><c><v>1</v></c></row>",
            Some(DATE_STYLES),
        ))
        .unwrap();
        assert_eq!(rows[0].line, 3);
        assert_eq!(
            rows[0].cells,
            vec![
                Cell::Date(NaiveDate::from_ymd_opt(2018, 12, 15).unwrap()),
                Cell::Number("12.5".into())
            ]
        );
        assert_eq!(rows[1].line, 4, "a row without r follows the previous one");
    }

    #[test]
    fn a_row_number_that_is_not_a_number_is_an_error() {
        // Used to become the next row number silently.
        let e = rows(&workbook("<row r=\"x7\"><c><v>1</v></c></row>", None))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "line 1: XLSX row: row number 'x7' is not a row number");
    }

    #[test]
    fn a_style_index_that_is_not_a_number_is_an_error() {
        // Used to become style 0 silently, so a date cell read as a plain number.
        let e = rows(&workbook(
            "<row r=\"2\"><c r=\"A2\" s=\"one\"><v>43449</v></c></row>",
            Some(DATE_STYLES),
        ))
        .unwrap_err()
        .to_string();
        assert_eq!(e, "line 2: XLSX row: A2 'one' is not a style index");
    }

    #[test]
    fn a_number_format_id_that_is_not_a_number_is_an_error() {
        // Used to become 0 ("General") or drop the custom format silently.
        let bad_xf = "<styleSheet><cellXfs>\n<xf numFmtId=\"date\"/></cellXfs></styleSheet>";
        let e = rows(&workbook("<row r=\"1\"/>", Some(bad_xf)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "line 2: XLSX styles.xml: numFmtId 'date' is not a number format id"
        );
        let bad_fmt = "<styleSheet><numFmts><numFmt numFmtId=\"x\" formatCode=\"dd/mm/yy\"/>\
                       </numFmts></styleSheet>";
        let e = rows(&workbook("<row r=\"1\"/>", Some(bad_fmt)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "line 1: XLSX styles.xml: numFmtId 'x' is not a number format id"
        );
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let e = rows(b"PK\x03\x04garbage").unwrap_err().to_string();
        assert!(e.contains("XLSX"), "{e}");
    }
}
