//! NAV imports: a CSV file (API and CLI) parsed and checked completely before anything is
//! written, with errors that name the line and field, and the import of parsed NAVs into a
//! fund.
//!
//! CSV format: a header row, then one NAV per row. Columns (any order, names case-insensitive):
//! `date` (YYYY-MM-DD), `nav` (decimal > 0, up to 10 decimals), optional `shareClass`
//! (`share_class`, `class`; DEFAULT when absent or empty), optional `fund` (`fundCode`) which,
//! when present, must name the fund being loaded. A share class and date may appear once.

use std::collections::HashSet;
use std::io::Read;

use clearway_core::distribution::parse_date;
use clearway_core::reinvestment::nav::{parse_nav, parse_share_class, DEFAULT_SHARE_CLASS};
use clearway_store::funds::Fund;
use clearway_store::reinvestment::nav::{self as navs, ImportOutcome, NavPoint};
use clearway_store::{Actor, Tx};

use crate::{AppError, AppResult};

/// Most NAV rows in one upload.
pub const NAV_ROWS_MAX: usize = 2_000_000;

/// A bad CSV row: the line number (1 = header) and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, field {field}: {message}")]
pub struct CsvError {
    /// 1-based line number in the file.
    pub line: u64,
    /// Column name.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl CsvError {
    fn new(line: u64, field: &str, message: impl Into<String>) -> Self {
        CsvError {
            line,
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Default)]
struct Columns {
    date: Option<usize>,
    nav: Option<usize>,
    class: Option<usize>,
    fund: Option<usize>,
}

/// Parses a NAV CSV for `fund`; `progress` is called with the bytes read so far every few
/// thousand rows (the CLI's progress bar).
pub fn parse_csv<R: Read>(
    input: R,
    fund: &Fund,
    mut progress: impl FnMut(u64),
) -> Result<Vec<NavPoint>, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| CsvError::new(1, "header", format!("unreadable: {e}")))?
        .clone();
    let mut cols = Columns::default();
    for (i, name) in headers.iter().enumerate() {
        let slot = match name.to_ascii_lowercase().replace(['_', ' '], "").as_str() {
            "date" | "asof" => &mut cols.date,
            "nav" | "navpershare" => &mut cols.nav,
            "shareclass" | "class" => &mut cols.class,
            "fund" | "fundcode" => &mut cols.fund,
            _ => {
                return Err(CsvError::new(
                    1,
                    name,
                    "unknown column; expected date, nav, and optionally shareClass and fund",
                ))
            }
        };
        if slot.replace(i).is_some() {
            return Err(CsvError::new(1, name, "column appears twice"));
        }
    }
    let (Some(date_col), Some(nav_col)) = (cols.date, cols.nav) else {
        return Err(CsvError::new(
            1,
            "header",
            "the header must name the columns date and nav",
        ));
    };
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut record).map_err(|e| {
            // Errors of a record being read carry its position; 0 only for reader errors
            // outside any record.
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            let message = match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!(
                    "has {len} fields but the header has {expected_len} (a comma inside an unquoted value?)"
                ),
                csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_string(),
                _ => format!("malformed CSV: {e}"),
            };
            CsvError::new(line, "row", message)
        })?;
        if !more {
            break;
        }
        // A record read from the reader always has its position.
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let field = |i: usize| record.get(i).unwrap_or("");
        let date = parse_date("date", field(date_col))
            .map_err(|e| CsvError::new(line, "date", e.message))?;
        let nav =
            parse_nav("nav", field(nav_col)).map_err(|e| CsvError::new(line, "nav", e.message))?;
        let share_class = match cols.class.map(field).filter(|c| !c.is_empty()) {
            None => DEFAULT_SHARE_CLASS.to_string(),
            Some(c) => parse_share_class("shareClass", c)
                .map_err(|e| CsvError::new(line, "shareClass", e.message))?,
        };
        if let Some(f) = cols.fund.map(field) {
            if f != fund.code && f != fund.id {
                return Err(CsvError::new(
                    line,
                    "fund",
                    format!("'{f}' is not the fund being loaded ({})", fund.code),
                ));
            }
        }
        if !seen.insert((share_class.clone(), date)) {
            return Err(CsvError::new(
                line,
                "date",
                format!("{date} appears more than once for share class {share_class}"),
            ));
        }
        out.push(NavPoint {
            share_class,
            date,
            nav,
        });
        if out.len() > NAV_ROWS_MAX {
            return Err(CsvError::new(
                line,
                "row",
                format!("more than {NAV_ROWS_MAX} rows; split the file"),
            ));
        }
        if out.len() % 4096 == 0 {
            // Progress only: an unknown position reports no progress.
            progress(record.position().map(|p| p.byte()).unwrap_or(0));
        }
    }
    if out.is_empty() {
        return Err(CsvError::new(2, "row", "the file has no NAV rows"));
    }
    Ok(out)
}

/// Longest source label recorded on NAV rows.
const SOURCE_MAX: usize = 200;

/// Parsed NAVs to import into one fund.
#[derive(Debug, Clone)]
pub struct NavImport<'a> {
    points: &'a [NavPoint],
    source: &'a str,
    replace: bool,
}

impl<'a> NavImport<'a> {
    /// Checks the source label (1 to 200 characters) recorded on each row; with `replace`,
    /// stored NAVs that differ are replaced (else they refuse the whole import).
    pub fn new(points: &'a [NavPoint], source: &'a str, replace: bool) -> AppResult<Self> {
        if source.trim().is_empty() || source.len() > SOURCE_MAX {
            return Err(AppError::field("source", "must be 1 to 200 characters"));
        }
        Ok(NavImport {
            points,
            source,
            replace,
        })
    }
}

/// Imports the NAVs of `fund` inside `tx` (with its audit entry and `nav.imported` event),
/// all or nothing.
pub async fn import(
    tx: &mut Tx,
    actor: &Actor,
    fund: &Fund,
    cmd: &NavImport<'_>,
) -> AppResult<ImportOutcome> {
    Ok(navs::import(tx, actor, fund, cmd.points, cmd.source, cmd.replace).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clearway_core::distribution::FundKind;
    use clearway_core::Currency;

    fn fund() -> Fund {
        Fund {
            id: "f1".into(),
            code: "DEMO-OPEN".into(),
            name: "x".into(),
            kind: FundKind::OpenEnd,
            currency: Currency::USD,
            share_precision: 4,
        }
    }

    #[test]
    fn parses_a_good_file() {
        let text = "Date,NAV,share_class\n2026-03-30,10.12345678,\n2026-03-31, 10.2 ,I\n\n";
        let points = parse_csv(text.as_bytes(), &fund(), |_| {}).unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].share_class, "DEFAULT");
        assert_eq!(points[1].share_class, "I");
        assert_eq!(points[1].nav.to_string(), "10.2");
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let err = |text: &str| {
            parse_csv(text.as_bytes(), &fund(), |_| {})
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("date,nav\n2026-03-30,10\n2026-03-31,10,5\n"),
            "line 3, field row: has 3 fields but the header has 2 (a comma inside an unquoted value?)"
        );
        assert_eq!(
            err("date,nav\n2026-03-30,10\n2026-02-30,10\n"),
            "line 3, field date: '2026-02-30' is not a date (YYYY-MM-DD)"
        );
        assert_eq!(
            err("date,nav\n2026-03-30,-1\n"),
            "line 2, field nav: '-1' must be greater than zero"
        );
        assert_eq!(
            err("date,nav\n2026-03-30,1\n2026-03-30,2\n"),
            "line 3, field date: 2026-03-30 appears more than once for share class DEFAULT"
        );
        assert_eq!(
            err("date,price\n"),
            "line 1, field price: unknown column; expected date, nav, and optionally shareClass and fund"
        );
        assert_eq!(
            err("fund,date,nav\nOTHER,2026-03-30,1\n"),
            "line 2, field fund: 'OTHER' is not the fund being loaded (DEMO-OPEN)"
        );
        assert_eq!(
            err("date,nav\n"),
            "line 2, field row: the file has no NAV rows"
        );
    }
}
