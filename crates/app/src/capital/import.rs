//! Commitments and capital activity from a CSV or XLSX file, into one [`Batch`] (all or
//! nothing). The first row names the columns (any order, case-insensitive):
//! `type` (COMMITMENT, CALL, CONTRIBUTION), `investor_id`, `amount`, `date`, and as needed
//! `partner_kind` (LP/GP, commitments), `due_date` and `description` (calls), `deal`,
//! `call_id` (a contribution paying a call). CALL rows with the same date, due date,
//! description and deal form one call with the rows' amounts. Errors name `rows[N].column`,
//! N being the file's line (CSV) or sheet row (XLSX).

use clearway_core::FieldError;
use clearway_formats::statements::csv::Cell;
use clearway_formats::statements::xlsx;

use super::activity::{Batch, CallInput, CallItemInput, CommitmentInput, ContributionInput};

const COLUMNS: [&str; 9] = [
    "type",
    "investor_id",
    "partner_kind",
    "amount",
    "date",
    "due_date",
    "description",
    "deal",
    "call_id",
];

/// Reads a CSV (UTF-8) or XLSX file (detected by content) into a batch.
pub fn read(bytes: &[u8]) -> Result<Batch, Vec<FieldError>> {
    let rows = if xlsx::looks_like_xlsx(bytes) {
        xlsx_rows(bytes)?
    } else {
        csv_rows(bytes)?
    };
    batch(rows)
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, Vec<FieldError>> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        vec![FieldError::new(
            "file",
            "is not UTF-8 text (CSV) nor an XLSX workbook",
        )]
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            vec![FieldError::new(
                format!("rows[{line}]"),
                format!("row {line}: not valid CSV: {e}"),
            )]
        })?;
        let line = rec
            .position()
            .map(|p| p.line() as usize)
            .unwrap_or(out.len() + 1);
        out.push((line, rec.iter().map(|c| c.trim().to_string()).collect()));
    }
    Ok(out)
}

fn xlsx_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, Vec<FieldError>> {
    let rows = xlsx::rows(bytes).map_err(|e| vec![FieldError::new("file", e.to_string())])?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let cells = r
                .cells
                .iter()
                .map(|c| match c {
                    Cell::Text(t) | Cell::Number(t) => t.trim().to_string(),
                    Cell::Date(d) => d.to_string(),
                })
                .collect();
            (r.line, cells)
        })
        .collect())
}

fn batch(rows: Vec<(usize, Vec<String>)>) -> Result<Batch, Vec<FieldError>> {
    let mut rows = rows
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()));
    let Some((_, header)) = rows.next() else {
        return Err(vec![FieldError::new(
            "file",
            "is empty: expected a header row and data rows",
        )]);
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
    for required in ["type", "investor_id", "amount", "date"] {
        if index[COLUMNS.iter().position(|c| *c == required).unwrap_or(0)].is_none() {
            errs.push(FieldError::new(
                format!("header.{required}"),
                "column is missing",
            ));
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let mut out = Batch::default();
    for (line, cells) in rows {
        let get = |name: &str| -> String {
            let k = COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
            index[k]
                .and_then(|i| cells.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let opt = |name: &str| Some(get(name)).filter(|s| !s.is_empty());
        let at = format!("rows[{line}]");
        match get("type").to_ascii_uppercase().as_str() {
            "COMMITMENT" => out.commitments.push(CommitmentInput {
                at,
                investor_id: get("investor_id"),
                kind: get("partner_kind"),
                amount: get("amount"),
                date: get("date"),
            }),
            "CONTRIBUTION" => out.contributions.push(ContributionInput {
                at,
                investor_id: get("investor_id"),
                date: get("date"),
                amount: get("amount"),
                deal: opt("deal"),
                call_id: opt("call_id"),
            }),
            "CALL" => {
                let item = CallItemInput {
                    at: at.clone(),
                    investor_id: get("investor_id"),
                    amount: get("amount"),
                };
                let key = (
                    get("date"),
                    get("due_date"),
                    get("description"),
                    opt("deal"),
                );
                match out.calls.iter_mut().find(|c| {
                    (
                        c.call_date.clone(),
                        c.due_date.clone(),
                        c.description.clone(),
                        c.deal.clone(),
                    ) == key
                }) {
                    Some(c) => c.items.push(item),
                    None => out.calls.push(CallInput {
                        at,
                        call_date: key.0,
                        due_date: key.1,
                        description: key.2,
                        deal: key.3,
                        amount: None,
                        items: vec![item],
                    }),
                }
            }
            other => errs.push(FieldError::new(
                format!("{at}.type"),
                format!("row {line}: '{other}' is not COMMITMENT, CALL or CONTRIBUTION"),
            )),
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_groups_calls() {
        let csv = "type,investor_id,partner_kind,amount,date,due_date,description,deal\n\
                   COMMITMENT,a,LP,1000.00,2024-01-01,,,\n\
                   CALL,a,,100.00,2024-02-01,2024-02-15,First,\n\
                   CALL,b,,50.00,2024-02-01,2024-02-15,First,\n\
                   CONTRIBUTION,a,,10.00,2024-03-01,,,D1\n";
        let b = read(csv.as_bytes()).unwrap();
        assert_eq!(b.commitments.len(), 1);
        assert_eq!(b.calls.len(), 1);
        assert_eq!(b.calls[0].items.len(), 2);
        assert_eq!(b.calls[0].items[1].at, "rows[4]");
        assert_eq!(b.contributions[0].deal.as_deref(), Some("D1"));
    }

    #[test]
    fn names_row_and_column() {
        let e = read(b"type,investor_id,amount,date\nFOO,a,1,2024-01-01\n").unwrap_err();
        assert_eq!(e[0].field, "rows[2].type");
        let e = read(b"type,investor_id,bogus\n").unwrap_err();
        assert!(e.iter().any(|e| e.field == "header.bogus"));
        assert!(e.iter().any(|e| e.field == "header.amount"));
    }
}
