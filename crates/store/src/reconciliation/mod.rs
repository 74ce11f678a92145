//! Reconciliation in the store: reads of the organization's open statement lines and
//! candidate payments for the matcher, writes of its decisions as matches and of what it could
//! not decide as exceptions with candidates, runs, manual matches' reads and undo, and the
//! reconciliation summary. The workflows composing them (with the core's matcher and the
//! payments' settlement) are `clearway_app::reconciliation`.
//!
//! Never twice: a line in a live match is not offered again, a payment already cleared by a
//! live match is not cleared again, and two partial unique indexes (one live match per line;
//! one live CLEARED and one live RETURNED per payment) make the database refuse what the code
//! might miss. Runs of one organization queue on its `reconciliation_locks` row.

use chrono::NaiveDate;
use clearway_core::reconciliation::{Candidate, ExceptionCause, PaymentMethod, Reason};
use clearway_core::{Currency, FieldError, Invalid};
use serde_json::{json, Value};
use tracing::Instrument;

use clearway_core::access::Permission;

use crate::db::{RowSink, RowSource};
use crate::{new_id, now_text, q, Actor, Row, StoreError, Tx};

pub mod statements;

mod evaluation;
mod exceptions;
mod match_requests;
mod matches;
mod run;
mod summary;

pub use evaluation::*;
pub use exceptions::*;
pub use match_requests::*;
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
    match reason_parts(r) {
        (code, Some(v)) => json!({ "code": code, "value": v }),
        (code, None) => json!({ "code": code }),
    }
}

/// A reason's stored code and value.
fn reason_parts(r: &Reason) -> (&'static str, Option<i64>) {
    match r {
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
        Reason::FeeDeducted(c) => ("FEE_DEDUCTED", Some(*c)),
        Reason::CounterpartyContradicts(s) => ("COUNTERPARTY_CONTRADICTS", Some(i64::from(*s))),
        Reason::AccountContradicts => ("ACCOUNT_CONTRADICTS", None),
    }
}

/// Reasons as stored JSON text: what `reason_json` of each, as an array, writes (`code` before
/// `value`, as `serde_json` orders keys), built without a `Value` (a run stores a million).
pub fn reasons_text(reasons: &[Reason]) -> String {
    let mut out = String::with_capacity(24 + 40 * reasons.len());
    out.push('[');
    for (i, r) in reasons.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let (code, value) = reason_parts(r);
        out.push_str("{\"code\":\"");
        out.push_str(code);
        out.push('"');
        if let Some(v) = value {
            out.push_str(",\"value\":");
            out.push_str(&v.to_string());
        }
        out.push('}');
    }
    out.push(']');
    out
}

pub fn candidates_json(cands: &[Candidate]) -> Value {
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
        ExceptionCause::Contradicted => "CONTRADICTED",
    }
}

/// Every cause an exception can have (the matcher's, plus the store's own).
pub const CAUSES: [&str; 8] = [
    "NO_CANDIDATE",
    "BELOW_THRESHOLD",
    "AMBIGUOUS",
    "CONTESTED",
    "AMOUNT_MISMATCH",
    "CONTRADICTED",
    "ALREADY_MATCHED",
    "MANUALLY_UNMATCHED",
];

/// Takes the organization's run lock (held until `tx` ends): runs, manual matches and
/// unmatches of one organization queue here.
pub async fn lock(tx: &mut Tx, actor: &Actor) -> Result<(), StoreError> {
    let org = &actor.org_id;
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

/// A statement line as the match writer needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLine {
    /// Id.
    pub id: String,
    /// Account.
    pub account_id: String,
    /// Currency.
    pub currency: Currency,
    /// Signed amount in minor units (negative = debit).
    pub amount_minor: i64,
    /// Value date.
    pub value_date: NaiveDate,
    /// Free text as stored.
    pub description: String,
    /// OPEN, MATCHED or EXCEPTION.
    pub status: String,
}

/// A payment as the match writer needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    /// Id.
    pub id: String,
    /// Payment status as stored (SENT, COMPLETED, …).
    pub status: String,
    /// Currency.
    pub currency: Currency,
    /// Amount in minor units.
    pub amount_minor: i64,
}

/// Marks MATCHED the open lines `ids` (just put in live matches). SQLite: one prepared UPDATE
/// stepped per line (scanning every open line for a live match cost 1.5 s per 200,000).
/// PostgreSQL: one statement driven by the open lines and the live-match index on `line_id`
/// (a chunked `id IN (…)` update cost seconds per run on freshly imported lines).
async fn set_lines_matched(
    tx: &mut Tx,
    actor: &Actor,
    now: &str,
    ids: Vec<&str>,
) -> Result<(), StoreError> {
    let rows = LinesMatched {
        ids,
        org: &actor.org_id,
        now,
    };
    if tx.sqlite_each(LINE_MATCHED, &rows).await?.is_some() {
        return Ok(());
    }
    tx.execute(
        q("UPDATE bank_statement_lines SET status = 'MATCHED', exception_cause = NULL, candidates = NULL, exception_since = NULL, updated_at = $1
           WHERE org_id = $2 AND status IN ('OPEN','EXCEPTION')
             AND EXISTS (SELECT 1 FROM reconciliation_match_lines ml WHERE ml.line_id = bank_statement_lines.id AND ml.org_id = $2 AND ml.live = 1)")
            .bind(now)
            .bind(&actor.org_id),
    )
    .await?;
    Ok(())
}

/// One line marked MATCHED ([`LinesMatched`]).
const LINE_MATCHED: &str = "UPDATE bank_statement_lines SET status = 'MATCHED', exception_cause = NULL, candidates = NULL, exception_since = NULL, updated_at = ?
     WHERE id = ? AND org_id = ? AND status IN ('OPEN','EXCEPTION')";

/// The parameters of [`LINE_MATCHED`], one row per line.
struct LinesMatched<'a> {
    ids: Vec<&'a str>,
    org: &'a str,
    now: &'a str,
}

impl RowSource for LinesMatched<'_> {
    fn len(&self) -> usize {
        self.ids.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        sink.text(self.now).text(self.ids[at]).text(self.org);
        sink.end_row();
    }
}

/// A decision ready to write.
#[derive(Debug, Clone)]
pub struct NewMatch<'a> {
    /// `AUTO` or `MANUAL`.
    pub kind: &'static str,
    /// `CLEARED` or `RETURNED`.
    pub outcome: &'static str,
    /// Matcher score (auto only).
    pub score: Option<i64>,
    /// Reasons as stored JSON text ([`reasons_text`]), or the manual note.
    pub reasons: String,
    /// Statement lines (at least one).
    pub lines: Vec<&'a OpenLine>,
    /// Payments.
    pub payments: Vec<&'a PaymentRow>,
}

impl NewMatch<'_> {
    /// The latest value date of its lines (the day the money moved).
    pub fn value_date(&self) -> Option<NaiveDate> {
        self.lines.iter().map(|l| l.value_date).max()
    }
}

const MATCH_COLS: [&str; 14] = [
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
];

/// The rows of the three match tables, written field by field straight into the bulk
/// loader (no `Arg` per field: a run writes three rows per payment).
struct MatchRows<'m, 'a> {
    org: &'m str,
    run_id: Option<&'m str>,
    created_by: &'m str,
    now: &'m str,
    matches: &'m [NewMatch<'a>],
    /// New match ids, one per match.
    ids: &'m [String],
}

/// Rows of `reconciliation_matches` ([`MATCH_COLS`]).
struct MatchTable<'r, 'm, 'a>(&'r MatchRows<'m, 'a>);
/// Rows of `reconciliation_match_lines`: (match, line index).
struct LineTable<'r, 'm, 'a>(&'r MatchRows<'m, 'a>, Vec<(usize, usize)>);
/// Rows of `reconciliation_match_payments`: (match, payment index).
struct PaymentTable<'r, 'm, 'a>(&'r MatchRows<'m, 'a>, Vec<(usize, usize)>);

impl RowSource for MatchTable<'_, '_, '_> {
    fn len(&self) -> usize {
        self.0.matches.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        let r = self.0;
        let m = &r.matches[at];
        // Checked non-empty by `write_matches` before any row is written.
        let first = m.lines[0];
        let amount: i64 = m.lines.iter().map(|l| l.amount_minor.abs()).sum();
        let value_date = m.value_date().unwrap_or(first.value_date);
        sink.text(&r.ids[at])
            .text(r.org)
            .opt_text(r.run_id)
            .text(m.kind)
            .text(m.outcome);
        match m.score {
            Some(s) => sink.int(s),
            None => sink.null(),
        };
        sink.text(&m.reasons)
            .text(&first.account_id)
            .text(first.currency.code())
            .int(amount)
            .plain(value_date)
            .int(1)
            .text(r.created_by)
            .text(r.now);
        sink.end_row();
    }
}

impl RowSource for LineTable<'_, '_, '_> {
    fn len(&self) -> usize {
        self.1.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        let (m, l) = self.1[at];
        let r = self.0;
        sink.text(&r.ids[m])
            .text(&r.matches[m].lines[l].id)
            .text(r.org)
            .int(1);
        sink.end_row();
    }
}

impl RowSource for PaymentTable<'_, '_, '_> {
    fn len(&self) -> usize {
        self.1.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        let (m, p) = self.1[at];
        let r = self.0;
        let matched = &r.matches[m];
        let payment = matched.payments[p];
        sink.text(&r.ids[m])
            .text(&payment.id)
            .text(r.org)
            .text(matched.outcome)
            .int(1)
            .text(&payment.status);
        sink.end_row();
    }
}

/// Writes matches (rows in bulk) and marks their lines MATCHED; returns the new match ids in
/// order. Settling their payments is the caller's (the application's) step.
pub async fn write_matches(
    tx: &mut Tx,
    actor: &Actor,
    run_id: Option<&str>,
    matches: &[NewMatch<'_>],
) -> Result<Vec<String>, StoreError> {
    actor.require(Permission::Operate)?;
    if matches.iter().any(|m| m.lines.is_empty()) {
        return Err(invalid(
            "lineIds",
            "a match needs at least one statement line",
        ));
    }
    let now = now_text();
    let ids: Vec<String> = matches.iter().map(|_| new_id()).collect();
    let rows = MatchRows {
        org: &actor.org_id,
        run_id,
        created_by: &actor.user_id,
        now: &now,
        matches,
        ids: &ids,
    };
    let mut line_keys = Vec::with_capacity(matches.len());
    let mut pay_keys = Vec::with_capacity(matches.len());
    for (k, m) in matches.iter().enumerate() {
        line_keys.extend((0..m.lines.len()).map(|l| (k, l)));
        pay_keys.extend((0..m.payments.len()).map(|p| (k, p)));
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
    tx.bulk_load("reconciliation_matches", &MATCH_COLS, &MatchTable(&rows))
        .instrument(tracing::debug_span!("match_rows"))
        .await?;
    tx.bulk_load(
        "reconciliation_match_lines",
        &["match_id", "line_id", "org_id", "live"],
        &LineTable(&rows, line_keys),
    )
    .instrument(tracing::debug_span!("match_lines"))
    .await
    .map_err(unique)?;
    tx.bulk_load(
        "reconciliation_match_payments",
        &[
            "match_id",
            "payment_id",
            "org_id",
            "outcome",
            "live",
            "prior_status",
        ],
        &PaymentTable(&rows, pay_keys),
    )
    .instrument(tracing::debug_span!("match_payments"))
    .await
    .map_err(unique)?;
    // In key order, as the lines' pages lie.
    let mut line_ids: Vec<&str> = matches
        .iter()
        .flat_map(|m| m.lines.iter().map(|l| l.id.as_str()))
        .collect();
    line_ids.sort_unstable();
    set_lines_matched(tx, actor, &now, line_ids)
        .instrument(tracing::debug_span!("lines_matched"))
        .await?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_as_text_are_what_serde_json_writes() {
        let all = [
            Reason::ReferenceExact,
            Reason::AmountDiffers(-5),
            Reason::DateWithin(2),
            Reason::FeeDeducted(2_500),
            Reason::AccountContradicts,
        ];
        let value = Value::Array(all.iter().map(reason_json).collect());
        assert_eq!(reasons_text(&all), value.to_string());
        assert_eq!(reasons_text(&[]), "[]");
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
