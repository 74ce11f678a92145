//! Tax profiles from a CSV or XLSX file (detected by content), all or nothing. The first row
//! names the columns (any order, case-insensitive): `investorId`, `tinType`, `tin`,
//! `tinStatus`, `residency`, `certificate`, `country`, `treatyClaim`, `treatyArticle`,
//! `chapter3Status`, `chapter4Status`, `residenceState`, `exemptPayeeCode`, `fatcaFiling`,
//! `foreignTin`; `investorId`, `tinStatus` and `residency` are required. An empty `tin` cell
//! keeps the stored TIN. Errors name `rows[N].field`, N being the file's line (CSV) or sheet
//! row (XLSX). Each row is written like a PUT (sealed TIN, one audit entry, one event).

use clearway_core::access::Permission;
use clearway_core::tax::profile::{validate, ProfileInput};
use clearway_core::{FieldError, Invalid};
use clearway_formats::statements::csv::Cell;
use clearway_formats::statements::xlsx;
use clearway_store::tax::profiles as store;
use clearway_store::{Actor, StoreError, Tx};

use super::profiles::{put, Outcome};
use crate::payments::vault::Vault;
use crate::{AppError, AppResult};

const COLUMNS: [&str; 15] = [
    "investorId",
    "tinType",
    "tin",
    "tinStatus",
    "residency",
    "certificate",
    "country",
    "treatyClaim",
    "treatyArticle",
    "chapter3Status",
    "chapter4Status",
    "residenceState",
    "exemptPayeeCode",
    "fatcaFiling",
    "foreignTin",
];

/// Rows at most per import.
pub const MAX_ROWS: usize = 50_000;

/// One data row: its line, the investor, the profile as entered.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// Line (CSV) or sheet row (XLSX).
    pub line: usize,
    /// Investor.
    pub investor_id: String,
    /// Profile.
    pub input: ProfileInput,
}

/// Counts of an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Created.
    pub created: i64,
    /// Changed.
    pub updated: i64,
    /// Unchanged.
    pub unchanged: i64,
}

fn cells(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, Invalid> {
    if xlsx::looks_like_xlsx(bytes) {
        let rows =
            xlsx::rows(bytes).map_err(|e| Invalid(vec![FieldError::new("file", e.to_string())]))?;
        return Ok(rows
            .into_iter()
            .map(|r| {
                let c = r
                    .cells
                    .iter()
                    .map(|c| match c {
                        Cell::Text(t) | Cell::Number(t) => t.trim().to_string(),
                        Cell::Date(d) => d.to_string(),
                    })
                    .collect();
                (r.line, c)
            })
            .collect());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        Invalid(vec![FieldError::new(
            "file",
            "is not UTF-8 text (CSV) nor an XLSX workbook",
        )])
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            Invalid(vec![FieldError::new(
                format!("rows[{line}]"),
                format!("not valid CSV: {e}"),
            )])
        })?;
        let line = rec
            .position()
            .map(|p| p.line() as usize)
            .unwrap_or(out.len() + 1);
        out.push((line, rec.iter().map(|c| c.trim().to_string()).collect()));
    }
    Ok(out)
}

fn flag(errs: &mut Vec<FieldError>, field: String, v: &str) -> bool {
    match v.to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "n" | "no" => false,
        "true" | "1" | "y" | "yes" => true,
        _ => {
            errs.push(FieldError::new(field, "must be true or false"));
            false
        }
    }
}

/// Reads the file into rows; a header or cell problem is a 422 naming it.
pub fn parse(bytes: &[u8]) -> Result<Vec<ImportRow>, Invalid> {
    let mut rows = cells(bytes)?
        .into_iter()
        .filter(|(_, c)| c.iter().any(|x| !x.is_empty()));
    let Some((_, header)) = rows.next() else {
        return Err(Invalid(vec![FieldError::new(
            "file",
            "is empty: expected a header row and data rows",
        )]));
    };
    let mut index = [None; COLUMNS.len()];
    let mut errs = Vec::new();
    for (i, h) in header.iter().enumerate() {
        match COLUMNS
            .iter()
            .position(|c| c.eq_ignore_ascii_case(h.trim()))
        {
            Some(k) => index[k] = Some(i),
            None => errs.push(FieldError::new(
                format!("header.{h}"),
                format!("unknown column; expected some of {}", COLUMNS.join(", ")),
            )),
        }
    }
    for k in [0, 3, 4] {
        if index[k].is_none() {
            errs.push(FieldError::new(
                format!("header.{}", COLUMNS[k]),
                "column is missing",
            ));
        }
    }
    if !errs.is_empty() {
        return Err(Invalid(errs));
    }
    let mut out = Vec::new();
    for (line, c) in rows {
        if out.len() == MAX_ROWS {
            return Err(Invalid(vec![FieldError::new(
                "file",
                format!("has more than {MAX_ROWS} rows"),
            )]));
        }
        let get = |k: usize| index[k].and_then(|i| c.get(i)).cloned().unwrap_or_default();
        let opt = |k: usize| Some(get(k)).filter(|s| !s.is_empty());
        let input = ProfileInput {
            tin_type: opt(1),
            tin: opt(2),
            tin_status: get(3),
            residency: get(4),
            certificate: opt(5),
            country: opt(6),
            treaty_claim: flag(&mut errs, format!("rows[{line}].treatyClaim"), &get(7)),
            treaty_article: opt(8),
            chapter3_status: opt(9),
            chapter4_status: opt(10),
            residence_state: opt(11),
            exempt_payee_code: opt(12),
            fatca_filing: flag(&mut errs, format!("rows[{line}].fatcaFiling"), &get(13)),
            foreign_tin: opt(14),
        };
        out.push(ImportRow {
            line,
            investor_id: get(0),
            input,
        });
    }
    if !errs.is_empty() {
        return Err(Invalid(errs));
    }
    if out.is_empty() {
        return Err(Invalid(vec![FieldError::new("file", "has no data rows")]));
    }
    Ok(out)
}

/// Writes every row, or none: every row is checked (investor, rules) before the first write;
/// a refusal of a write names its row. The caller commits.
pub async fn apply(
    tx: &mut Tx,
    actor: &Actor,
    vault: &Vault,
    rows: &[ImportRow],
) -> AppResult<ImportOutcome> {
    actor.require(Permission::Operate)?;
    let mut errs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in rows {
        let at = |f: &str| format!("rows[{}].{f}", r.line);
        if r.investor_id.is_empty() {
            errs.push(FieldError::new(at("investorId"), "is required"));
            continue;
        }
        if !seen.insert(r.investor_id.clone()) {
            errs.push(FieldError::new(
                at("investorId"),
                "appears on an earlier row",
            ));
        }
        match store::investor_visible_tx(tx, actor, &r.investor_id).await {
            Ok(()) => {}
            Err(StoreError::NotFound(_)) => {
                errs.push(FieldError::new(at("investorId"), "no such investor"))
            }
            Err(e) => return Err(e.into()),
        }
        if let Err(Invalid(es)) = validate(&r.investor_id, &r.input) {
            errs.extend(
                es.into_iter()
                    .map(|e| FieldError::new(at(&e.field), e.message)),
            );
        }
    }
    if !errs.is_empty() {
        return Err(Invalid(errs).into());
    }
    let mut out = ImportOutcome::default();
    for r in rows {
        match put(tx, actor, vault, &r.investor_id, &r.input).await {
            Ok((_, Outcome::Created)) => out.created += 1,
            Ok((_, Outcome::Updated)) => out.updated += 1,
            Ok((_, Outcome::Unchanged)) => out.unchanged += 1,
            Err(AppError::Invalid(Invalid(es))) => {
                let named = es
                    .into_iter()
                    .map(|e| FieldError::new(format!("rows[{}].{}", r.line, e.field), e.message));
                return Err(Invalid(named.collect()).into());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
