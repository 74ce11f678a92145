//! Fund-administrator sync files, CSV or XLSX (told by content: an XLSX is a ZIP archive),
//! read strictly into [`Records`]: the header row names exactly the kind's columns (any order,
//! none missing, none extra); decimals are exact, dates `YYYY-MM-DD`, ids validated, a key
//! repeated within the file refused. Every error names its row (the header is row 1), its
//! column and why; up to [`MAX_ERRORS`] are reported and any error refuses the whole file.

use std::collections::HashMap;

use clearway_core::reinvestment::nav::{parse_share_class, DEFAULT_SHARE_CLASS};
use clearway_core::sync::{
    parse_date, parse_decimal, parse_id, parse_percent, FileKind, HoldingRecord, NavRecord,
    PreferenceRecord, Records, RowError, ScheduleRecord, MAX_ERRORS, RAILS,
};
use clearway_core::Currency;
use rust_decimal::Decimal;

use crate::statements::csv::Cell;
use crate::statements::xlsx;

#[cfg(test)]
mod tests;

/// Largest file read.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Most data rows per file.
pub const MAX_ROWS: usize = 200_000;

/// The exact columns of a kind's header.
pub fn columns(kind: FileKind) -> &'static [&'static str] {
    match kind {
        FileKind::Navs => &[
            "fund_id",
            "share_class",
            "nav_date",
            "nav_per_share",
            "currency",
        ],
        FileKind::Holdings => &["fund_id", "share_class", "investor_id", "as_of", "units"],
        FileKind::Schedules => &[
            "fund_id",
            "schedule_id",
            "frequency",
            "next_record_date",
            "amount_per_unit",
            "currency",
        ],
        FileKind::Preferences => &[
            "investor_id",
            "fund_id",
            "reinvest_percent",
            "payment_rail",
            "bank_account_id",
        ],
    }
}

/// Reads a file of `kind`: its records, or every error found (all or nothing).
pub fn read(kind: FileKind, bytes: &[u8]) -> Result<Records, Vec<RowError>> {
    let file = |reason: String| vec![RowError::new(1, "file", reason)];
    if bytes.len() > MAX_BYTES {
        return Err(file(format!("is larger than {MAX_BYTES} bytes")));
    }
    let rows = cells(bytes).map_err(|e| vec![e])?;
    let Some((header, data)) = rows.split_first() else {
        return Err(file("is empty (no header row)".into()));
    };
    if data.is_empty() {
        return Err(file("has a header but no data rows".into()));
    }
    if data.len() > MAX_ROWS {
        return Err(file(format!(
            "has {} data rows, at most {MAX_ROWS} are read",
            data.len()
        )));
    }
    let index = header_index(kind, &header.1)?;
    let mut p = Parser { errors: Vec::new() };
    let records = match kind {
        FileKind::Navs => Records::Navs(p.rows(data, &index, nav)),
        FileKind::Holdings => Records::Holdings(p.rows(data, &index, holding)),
        FileKind::Schedules => Records::Schedules(p.rows(data, &index, schedule)),
        FileKind::Preferences => Records::Preferences(p.rows(data, &index, preference)),
    };
    p.duplicates(&records);
    if p.errors.is_empty() {
        Ok(records)
    } else {
        p.errors.sort_by_key(|e| e.row);
        p.errors.truncate(MAX_ERRORS);
        Err(p.errors)
    }
}

/// Rows of cells with their 1-based row numbers.
type Rows = Vec<(usize, Vec<String>)>;

fn cells(bytes: &[u8]) -> Result<Rows, RowError> {
    let file = |reason: String| RowError::new(1, "file", reason);
    if xlsx::looks_like_xlsx(bytes) {
        let rows =
            xlsx::rows(bytes).map_err(|e| file(format!("is not a readable XLSX workbook: {e}")))?;
        return Ok(rows
            .into_iter()
            .filter(|r| {
                r.cells
                    .iter()
                    .any(|c| !matches!(c, Cell::Text(t) if t.trim().is_empty()))
            })
            .map(|r| (r.line, r.cells.iter().map(xlsx_text).collect()))
            .collect());
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| file("is neither UTF-8 text (CSV) nor an XLSX workbook".into()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(1, |p| p.line() as usize);
            RowError::new(line, "file", format!("is not valid CSV: {e}"))
        })?;
        if rec.len() == 1 && rec[0].trim().is_empty() {
            continue;
        }
        let line = rec.position().map_or(out.len() + 1, |p| p.line() as usize);
        out.push((line, rec.iter().map(|c| c.trim().to_string()).collect()));
    }
    Ok(out)
}

fn xlsx_text(c: &Cell) -> String {
    match c {
        Cell::Text(t) => t.trim().to_string(),
        // A number as Excel wrote it, maybe with an exponent: made a plain decimal.
        Cell::Number(t) if t.contains(['e', 'E']) => Decimal::from_scientific(t)
            .map(|d| d.normalize().to_string())
            .unwrap_or_else(|_| t.clone()),
        Cell::Number(t) => t.clone(),
        Cell::Date(d) => d.to_string(),
    }
}

/// Column name → position, refusing missing, unknown and repeated columns.
fn header_index(
    kind: FileKind,
    header: &[String],
) -> Result<HashMap<&'static str, usize>, Vec<RowError>> {
    let wanted = columns(kind);
    let mut index = HashMap::new();
    let mut errors = Vec::new();
    for (i, name) in header.iter().enumerate() {
        match wanted.iter().find(|w| **w == name.as_str()) {
            Some(w) if index.contains_key(w) => {
                errors.push(RowError::new(1, name.clone(), "column appears twice"))
            }
            Some(w) => {
                index.insert(*w, i);
            }
            None => errors.push(RowError::new(
                1,
                if name.is_empty() {
                    format!("column {}", i + 1)
                } else {
                    name.clone()
                },
                format!(
                    "is not a column of a {kind} file (expected {})",
                    wanted.join(",")
                ),
            )),
        }
    }
    for w in wanted {
        if !index.contains_key(w) {
            errors.push(RowError::new(1, *w, "column is missing from the header"));
        }
    }
    if errors.is_empty() {
        Ok(index)
    } else {
        Err(errors)
    }
}

/// One data row's cells by column name.
struct Cells<'a> {
    row: usize,
    values: &'a [String],
    index: &'a HashMap<&'static str, usize>,
    errors: Vec<RowError>,
}

impl Cells<'_> {
    fn raw(&self, col: &str) -> &str {
        self.index
            .get(col)
            .and_then(|i| self.values.get(*i))
            .map_or("", String::as_str)
    }

    fn check<T>(&mut self, col: &str, parsed: Result<T, String>) -> Option<T> {
        parsed
            .map_err(|reason| self.errors.push(RowError::new(self.row, col, reason)))
            .ok()
    }

    fn id(&mut self, col: &str) -> Option<String> {
        let v = parse_id(self.raw(col));
        self.check(col, v)
    }

    fn date(&mut self, col: &str) -> Option<chrono::NaiveDate> {
        let v = parse_date(self.raw(col));
        self.check(col, v)
    }

    fn positive(&mut self, col: &str, allow_zero: bool) -> Option<Decimal> {
        let text = self.raw(col).to_string();
        let v = parse_decimal(&text).and_then(|d| {
            match (d.is_sign_negative() && !d.is_zero(), d.is_zero()) {
                (true, _) => Err(format!("'{text}' must not be negative")),
                (false, true) if !allow_zero => Err(format!("'{text}' must be above zero")),
                _ => Ok(d),
            }
        });
        self.check(col, v)
    }

    fn class(&mut self, col: &str) -> Option<String> {
        let text = self.raw(col).to_string();
        if text.is_empty() {
            return Some(DEFAULT_SHARE_CLASS.into());
        }
        let v = parse_share_class(col, &text).map_err(|e| e.message);
        self.check(col, v)
    }

    fn currency(&mut self, col: &str) -> Option<String> {
        let text = self.raw(col).to_string();
        let v = Currency::parse(&text).map(|c| c.to_string());
        self.check(col, v)
    }

    fn optional<T>(
        &mut self,
        col: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        let text = self.raw(col).to_string();
        if text.is_empty() {
            return Some(None);
        }
        let v = parse(&text);
        self.check(col, v).map(Some)
    }
}

struct Parser {
    errors: Vec<RowError>,
}

impl Parser {
    fn rows<T>(
        &mut self,
        data: &[(usize, Vec<String>)],
        index: &HashMap<&'static str, usize>,
        parse: fn(&mut Cells<'_>) -> Option<T>,
    ) -> Vec<T> {
        let mut out = Vec::with_capacity(data.len());
        for (row, values) in data {
            if values.len() != index.len() {
                self.errors.push(RowError::new(
                    *row,
                    "row",
                    format!(
                        "has {} cells, the header has {} (a cut or malformed line?)",
                        values.len(),
                        index.len()
                    ),
                ));
                continue;
            }
            let mut cells = Cells {
                row: *row,
                values,
                index,
                errors: Vec::new(),
            };
            let parsed = parse(&mut cells);
            if cells.errors.is_empty() {
                out.extend(parsed);
            } else {
                self.errors.append(&mut cells.errors);
            }
            if self.errors.len() >= MAX_ERRORS {
                break;
            }
        }
        out
    }

    /// Refuses a key seen on an earlier row, naming that row.
    fn duplicates(&mut self, records: &Records) {
        let keys: Vec<(usize, String, &str)> = match records {
            Records::Navs(r) => r
                .iter()
                .map(|n| {
                    (
                        n.row,
                        format!("{}|{}|{}", n.fund_id, n.share_class, n.nav_date),
                        "nav_date",
                    )
                })
                .collect(),
            Records::Holdings(r) => r
                .iter()
                .map(|h| {
                    (
                        h.row,
                        format!(
                            "{}|{}|{}|{}",
                            h.fund_id, h.share_class, h.investor_id, h.as_of
                        ),
                        "investor_id",
                    )
                })
                .collect(),
            Records::Schedules(r) => r
                .iter()
                .map(|s| (s.row, s.schedule_id.clone(), "schedule_id"))
                .collect(),
            Records::Preferences(r) => r
                .iter()
                .map(|p| (p.row, format!("{}|{}", p.investor_id, p.fund_id), "fund_id"))
                .collect(),
        };
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(keys.len());
        for (row, key, field) in keys {
            if let Some(first) = seen.insert(key, row) {
                self.errors.push(RowError::new(
                    row,
                    field,
                    format!("repeats the key of row {first}"),
                ));
            }
        }
    }
}

fn nav(c: &mut Cells<'_>) -> Option<NavRecord> {
    let (fund_id, share_class, nav_date) =
        (c.id("fund_id"), c.class("share_class"), c.date("nav_date"));
    let (nav, currency) = (c.positive("nav_per_share", false), c.currency("currency"));
    Some(NavRecord {
        row: c.row,
        fund_id: fund_id?,
        share_class: share_class?,
        nav_date: nav_date?,
        nav_per_share: nav?,
        currency: currency?,
    })
}

fn holding(c: &mut Cells<'_>) -> Option<HoldingRecord> {
    let (fund_id, share_class, investor_id) =
        (c.id("fund_id"), c.class("share_class"), c.id("investor_id"));
    let (as_of, units) = (c.date("as_of"), c.positive("units", true));
    Some(HoldingRecord {
        row: c.row,
        fund_id: fund_id?,
        share_class: share_class?,
        investor_id: investor_id?,
        as_of: as_of?,
        units: units?,
    })
}

fn schedule(c: &mut Cells<'_>) -> Option<ScheduleRecord> {
    let (fund_id, schedule_id) = (c.id("fund_id"), c.id("schedule_id"));
    let text = c.raw("frequency").to_string();
    let frequency = c.check(
        "frequency",
        match text.as_str() {
            "MONTHLY" | "QUARTERLY" | "SEMI_ANNUAL" | "ANNUAL" => Ok(text.clone()),
            _ => Err(format!(
                "'{text}' is not one of MONTHLY, QUARTERLY, SEMI_ANNUAL, ANNUAL"
            )),
        },
    );
    let next = c.date("next_record_date");
    let (amount, currency) = (c.positive("amount_per_unit", false), c.currency("currency"));
    Some(ScheduleRecord {
        row: c.row,
        fund_id: fund_id?,
        schedule_id: schedule_id?,
        frequency: frequency?,
        next_record_date: next?,
        amount_per_unit: amount?,
        currency: currency?,
    })
}

fn preference(c: &mut Cells<'_>) -> Option<PreferenceRecord> {
    let (investor_id, fund_id) = (c.id("investor_id"), c.id("fund_id"));
    let percent = c.optional("reinvest_percent", parse_percent);
    let rail = c.optional("payment_rail", |t| {
        if RAILS.contains(&t) {
            Ok(t.to_string())
        } else {
            Err(format!("'{t}' is not one of {}", RAILS.join(", ")))
        }
    });
    let account = c.optional("bank_account_id", parse_id);
    if let (Some(r), Some(a)) = (&rail, &account) {
        if r.is_some() != a.is_some() {
            let missing = if r.is_none() {
                "payment_rail"
            } else {
                "bank_account_id"
            };
            c.errors.push(RowError::new(
                c.row,
                missing,
                "payment_rail and bank_account_id go together: give both or neither",
            ));
        }
    }
    let (percent, rail, account) = (percent?, rail?, account?);
    if percent.is_none() && rail.is_none() {
        c.errors.push(RowError::new(
            c.row,
            "reinvest_percent",
            "the row changes nothing: give reinvest_percent, or payment_rail with bank_account_id",
        ));
    }
    Some(PreferenceRecord {
        row: c.row,
        investor_id: investor_id?,
        fund_id: fund_id?,
        reinvest_percent: percent,
        payment_rail: rail,
        bank_account_id: account,
    })
}
