//! Reconciliation through the store: runs the pure matcher
//! ([`clearway_core::reconciliation::reconcile`]) over the organization's open statement lines
//! and payments, persists its decisions as matches, applies them to the payments through
//! [`payments::settle_many`] (one bulk settlement per run), and keeps what it could not decide
//! as exceptions with candidates.
//! Manual match and unmatch, with audit, and the reconciliation summary live here too.
//!
//! Never twice: a line in a live match is not offered again, a payment already cleared by a
//! live match is not cleared again, and two partial unique indexes (one live match per line;
//! one live CLEARED and one live RETURNED per payment) make the database refuse what the code
//! might miss. Runs of one organization queue on its `reconciliation_locks` row.

use chrono::NaiveDate;
use clearway_core::reconciliation::{Candidate, ExceptionCause, PaymentMethod, Reason};
use clearway_core::{Currency, FieldError, Invalid};
use serde_json::{json, Value};

use crate::db::Arg;
use crate::payments::{self, Settlement};
use crate::{new_id, now_text, q, Actor, Row, StoreError, Tx};

pub mod statements;

mod evaluation;
mod exceptions;
mod matches;
mod run;
mod summary;

pub use evaluation::*;
pub use exceptions::*;
pub use matches::*;
pub use run::*;
pub use summary::*;

fn invalid(field: &str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(Invalid::from(FieldError::new(field, message)))
}

fn parse_date(r: &Row, col: &str) -> Result<NaiveDate, StoreError> {
    r.parse::<NaiveDate>(col)
}

fn opt_date(r: &Row, col: &str) -> Result<Option<NaiveDate>, StoreError> {
    r.opt_text(col)?
        .map(|t| {
            t.parse::<NaiveDate>()
                .map_err(|e| StoreError::Corrupt(format!("column {col} = '{t}': {e}")))
        })
        .transpose()
}

fn method(text: &str) -> Result<PaymentMethod, StoreError> {
    match text {
        "ACH" => Ok(PaymentMethod::Ach),
        "WIRE" => Ok(PaymentMethod::Wire),
        "CHECK" => Ok(PaymentMethod::Check),
        other => Err(StoreError::Corrupt(format!("payment method '{other}'"))),
    }
}

fn currency(text: &str) -> Result<Currency, StoreError> {
    Currency::parse(text).map_err(StoreError::Corrupt)
}

/// A reason as JSON: `{"code": "DATE_WITHIN", "value": 1}`.
pub fn reason_json(r: &Reason) -> Value {
    let (code, value) = match r {
        Reason::ReferenceExact => ("REFERENCE_EXACT", None),
        Reason::ReferenceTruncated => ("REFERENCE_TRUNCATED", None),
        Reason::BatchReference => ("BATCH_REFERENCE", None),
        Reason::AmountExact => ("AMOUNT_EXACT", None),
        Reason::AmountDiffers(d) => ("AMOUNT_DIFFERS", Some(*d)),
        Reason::DateWithin(d) => ("DATE_WITHIN", Some(i64::from(*d))),
        Reason::CounterpartySimilar(s) => ("COUNTERPARTY_SIMILAR", Some(i64::from(*s))),
        Reason::BatchTotal(n) => ("BATCH_TOTAL", Some(i64::from(*n))),
        Reason::SplitTotal(n) => ("SPLIT_TOTAL", Some(i64::from(*n))),
        Reason::ReturnOf => ("RETURN_OF", None),
    };
    match value {
        Some(v) => json!({ "code": code, "value": v }),
        None => json!({ "code": code }),
    }
}

fn candidates_json(cands: &[Candidate]) -> Value {
    Value::Array(
        cands
            .iter()
            .map(|c| {
                json!({
                    "paymentIds": c.payment_ids,
                    "score": c.score,
                    "reasons": c.reasons.iter().map(reason_json).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// The stored spelling of an exception cause.
pub fn cause_text(c: ExceptionCause) -> &'static str {
    match c {
        ExceptionCause::NoCandidate => "NO_CANDIDATE",
        ExceptionCause::BelowThreshold => "BELOW_THRESHOLD",
        ExceptionCause::Ambiguous => "AMBIGUOUS",
        ExceptionCause::Contested => "CONTESTED",
        ExceptionCause::AmountMismatch => "AMOUNT_MISMATCH",
    }
}

/// Every cause an exception can have (the matcher's, plus the store's own).
pub const CAUSES: [&str; 7] = [
    "NO_CANDIDATE",
    "BELOW_THRESHOLD",
    "AMBIGUOUS",
    "CONTESTED",
    "AMOUNT_MISMATCH",
    "ALREADY_MATCHED",
    "MANUALLY_UNMATCHED",
];

/// Takes the organization's run lock (held until `tx` ends).
async fn lock(tx: &mut Tx, org: &str) -> Result<(), StoreError> {
    tx.execute(
        q("INSERT INTO reconciliation_locks (org_id, runs) VALUES ($1, 0) ON CONFLICT (org_id) DO NOTHING")
            .bind(org),
    )
    .await?;
    tx.execute(q("UPDATE reconciliation_locks SET runs = runs + 1 WHERE org_id = $1").bind(org))
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Writing decisions, shared by the run and manual matches

/// A statement line as the matcher and the match writer need it.
#[derive(Debug, Clone)]
struct OpenLine {
    id: String,
    account_id: String,
    currency: String,
    amount_minor: i64,
    value_date: NaiveDate,
    description: String,
    status: String,
}

/// A payment as the match writer needs it.
#[derive(Debug, Clone)]
struct PayRow {
    id: String,
    status: String,
    currency: String,
    amount_minor: i64,
}

/// Marks MATCHED every line of the organization that is in a live match but not yet marked:
/// one statement whatever the number of lines (a chunked `id IN (…)` update cost PostgreSQL
/// seconds per run on freshly imported lines), driven by the open lines and the live-match
/// index on `line_id`.
async fn set_lines_matched(tx: &mut Tx, org: &str, now: &str) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE bank_statement_lines SET status = 'MATCHED', exception_cause = NULL, candidates = NULL, exception_since = NULL, updated_at = $1
           WHERE org_id = $2 AND status IN ('OPEN','EXCEPTION')
             AND EXISTS (SELECT 1 FROM reconciliation_match_lines ml WHERE ml.line_id = bank_statement_lines.id AND ml.org_id = $2 AND ml.live = 1)")
            .bind(now)
            .bind(org),
    )
    .await?;
    Ok(())
}

/// A decision ready to write.
struct NewMatch<'a> {
    kind: &'static str,
    outcome: &'static str,
    score: Option<i64>,
    reasons: Value,
    lines: Vec<&'a OpenLine>,
    payments: Vec<&'a PayRow>,
}

/// An ACH return code (`R01`…`R99`) in the line text, else a generic one.
fn return_code(description: &str) -> String {
    description
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| w.len() == 3 && w.starts_with('R') && w[1..].bytes().all(|b| b.is_ascii_digit()))
        .map_or_else(|| "BANK_RETURN".to_string(), str::to_string)
}

/// Writes matches (rows in bulk), marks their lines MATCHED and settles their payments.
async fn write_matches(
    tx: &mut Tx,
    actor: &Actor,
    run_id: Option<&str>,
    matches: &[NewMatch<'_>],
) -> Result<Vec<String>, StoreError> {
    let org = actor.org_id.clone();
    let now = now_text();
    let mut match_rows: Vec<Vec<Arg>> = Vec::with_capacity(matches.len());
    let mut line_rows: Vec<Vec<Arg>> = Vec::new();
    let mut pay_rows: Vec<Vec<Arg>> = Vec::new();
    let mut ids = Vec::with_capacity(matches.len());
    for m in matches {
        let id = new_id();
        let first = m.lines[0];
        let amount: i64 = m.lines.iter().map(|l| l.amount_minor.abs()).sum();
        let value_date = m
            .lines
            .iter()
            .map(|l| l.value_date)
            .max()
            .unwrap_or(first.value_date);
        match_rows.push(vec![
            id.clone().into(),
            org.clone().into(),
            run_id.map(str::to_string).into(),
            m.kind.into(),
            m.outcome.into(),
            m.score.into(),
            m.reasons.to_string().into(),
            first.account_id.clone().into(),
            first.currency.clone().into(),
            amount.into(),
            value_date.to_string().into(),
            1i64.into(),
            actor.user_id.clone().into(),
            now.clone().into(),
        ]);
        for l in &m.lines {
            line_rows.push(vec![
                id.clone().into(),
                l.id.clone().into(),
                org.clone().into(),
                1i64.into(),
            ]);
        }
        for p in &m.payments {
            pay_rows.push(vec![
                id.clone().into(),
                p.id.clone().into(),
                org.clone().into(),
                m.outcome.into(),
                1i64.into(),
                p.status.clone().into(),
            ]);
        }
        ids.push(id);
    }
    let unique = |e: StoreError| {
        if e.is_unique_violation() {
            StoreError::Conflict(
                "a statement line or payment in this match is already in a live match".into(),
            )
        } else {
            e
        }
    };
    let t = std::time::Instant::now();
    tx.bulk_insert(
        "reconciliation_matches",
        &[
            "id",
            "org_id",
            "run_id",
            "kind",
            "outcome",
            "score",
            "reasons",
            "account_id",
            "currency",
            "amount_minor",
            "value_date",
            "live",
            "created_by",
            "created_at",
        ],
        &match_rows,
    )
    .await?;
    tx.bulk_insert(
        "reconciliation_match_lines",
        &["match_id", "line_id", "org_id", "live"],
        &line_rows,
    )
    .await
    .map_err(unique)?;
    tx.bulk_insert(
        "reconciliation_match_payments",
        &[
            "match_id",
            "payment_id",
            "org_id",
            "outcome",
            "live",
            "prior_status",
        ],
        &pay_rows,
    )
    .await
    .map_err(unique)?;
    let inserted_ms = t.elapsed().as_millis() as u64;
    set_lines_matched(tx, &org, &now).await?;
    tracing::debug!(
        inserted_ms,
        lines_updated_ms = t.elapsed().as_millis() as u64 - inserted_ms,
        "match rows written"
    );
    let settle_started = std::time::Instant::now();
    // Payments: cleared ones first, so a payment matched and returned in one run ends RETURNED;
    // all recorded by one bulk settlement, in that order.
    let mut outcomes: Vec<(String, Settlement)> = Vec::new();
    for pass in ["CLEARED", "RETURNED"] {
        for m in matches.iter().filter(|m| m.outcome == pass) {
            let value_date = m
                .lines
                .iter()
                .map(|l| l.value_date)
                .max()
                .unwrap_or(m.lines[0].value_date);
            for p in &m.payments {
                let settlement = if pass == "CLEARED" {
                    if p.status != "SENT" {
                        continue; // already COMPLETED (e.g. by the provider): nothing to change
                    }
                    Settlement::Cleared { value_date }
                } else {
                    let text = &m.lines[0].description;
                    Settlement::Returned {
                        code: return_code(text),
                        reason: format!(
                            "credit back on statement line {}: {}",
                            m.lines[0].id,
                            text.chars().take(200).collect::<String>()
                        ),
                    }
                };
                outcomes.push((p.id.clone(), settlement));
            }
        }
    }
    payments::settle_many(tx, actor, &outcomes).await?;
    tracing::debug!(
        matches = matches.len(),
        settle_ms = settle_started.elapsed().as_millis() as u64,
        "matches written and payments settled"
    );
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_codes_come_from_the_bank_text() {
        assert_eq!(return_code("ACH RETURN R03 NO ACCOUNT TRACE 0210"), "R03");
        assert_eq!(return_code("RETURN/R10/UNAUTHORIZED"), "R10");
        assert_eq!(return_code("RETURNED ITEM"), "BANK_RETURN");
        assert_eq!(return_code("REF R1234"), "BANK_RETURN");
    }

    #[test]
    fn reasons_are_named_codes_with_values() {
        assert_eq!(
            reason_json(&Reason::DateWithin(2)),
            json!({"code": "DATE_WITHIN", "value": 2})
        );
        assert_eq!(
            reason_json(&Reason::ReferenceExact),
            json!({"code": "REFERENCE_EXACT"})
        );
        assert_eq!(
            reason_json(&Reason::AmountDiffers(-5)),
            json!({"code": "AMOUNT_DIFFERS", "value": -5})
        );
    }
}
