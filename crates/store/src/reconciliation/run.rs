//! What a matching run reads and writes: the open lines and candidate payments offered to the
//! matcher, the exceptions it leaves, and the run's own record. The run itself (the core's
//! matcher between these reads and writes) is `clearway_app::reconciliation::run`.

use std::collections::HashSet;

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::payments::reference;
use clearway_core::payments::settlement::Settling;
use clearway_core::payments::PaymentStatus as PaymentState;
use clearway_core::reconciliation::{Payment, PaymentStatus, StatementLine};
use serde_json::Value;

use crate::{now_text, q, Actor, StoreError, Tx};

use super::*;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Run id.
    pub id: String,
    /// `IMPORT`, `MANUAL` or `BENCH`.
    pub trigger: String,
    /// Open lines offered to the matcher.
    pub lines_considered: i64,
    /// Payments offered to the matcher.
    pub payments_considered: i64,
    /// Lines newly matched to payments they paid.
    pub matched_lines: i64,
    /// Lines newly matched as returns.
    pub returned_lines: i64,
    /// Lines left (or kept) as exceptions.
    pub exceptions: i64,
    /// Start (UTC timestamp as stored).
    pub started_at: String,
    /// End (UTC timestamp as stored).
    pub finished_at: String,
}

/// The open lines offered to the matcher: as the match writer needs them and as the engine
/// reads them (same order, same ids).
#[derive(Debug, Clone, Default)]
pub struct OpenLines {
    /// For the match writer.
    pub lines: Vec<OpenLine>,
    /// For the engine.
    pub engine: Vec<StatementLine>,
}

/// The payments offered to the matcher: as the match writer needs them and as the engine
/// reads them (same order, same ids).
#[derive(Debug, Clone, Default)]
pub struct CandidatePayments {
    /// For the match writer.
    pub rows: Vec<PaymentRow>,
    /// For the engine.
    pub engine: Vec<Payment>,
    /// For settling the run's matches (read in the same transaction, versions included).
    pub settling: Vec<Settling>,
}

/// A line the run could not decide.
#[derive(Debug, Clone, PartialEq)]
pub struct NewException {
    /// Statement line.
    pub line_id: String,
    /// Cause (one of [`CAUSES`]).
    pub cause: &'static str,
    /// Candidates (stored JSON, see [`candidates_json`]).
    pub candidates: Value,
}

/// Field `i` of a scanned row, required.
fn field<'a>(f: &[Option<&'a str>], i: usize, col: &str) -> Result<&'a str, StoreError> {
    f.get(i)
        .copied()
        .flatten()
        .ok_or_else(|| StoreError::Corrupt(format!("column {col} is NULL")))
}

fn field_i64(f: &[Option<&str>], i: usize, col: &str) -> Result<i64, StoreError> {
    let t = field(f, i, col)?;
    t.parse()
        .map_err(|e| StoreError::Corrupt(format!("column {col} = '{t}': {e}")))
}

fn field_date(f: &[Option<&str>], i: usize, col: &str) -> Result<NaiveDate, StoreError> {
    let t = field(f, i, col)?;
    t.parse()
        .map_err(|e| StoreError::Corrupt(format!("column {col} = '{t}': {e}")))
}

fn field_opt(f: &[Option<&str>], i: usize) -> Option<String> {
    f.get(i).copied().flatten().map(str::to_string)
}

/// Columns of [`open_line`], in order.
const OPEN_LINE_COLUMNS: &str = "id, account_id, currency, amount_minor, value_date, booking_date, bank_reference, customer_reference, end_to_end_id, counterparty_name, description, status, counterparty_account, type_code";

/// One scanned row of [`OPEN_LINE_COLUMNS`] as the writer and the engine read it.
fn open_line(f: &[Option<&str>]) -> Result<(OpenLine, StatementLine), StoreError> {
    let id = field(f, 0, "id")?;
    let value_date = field_date(f, 4, "value_date")?;
    let description = field(f, 10, "description")?;
    let cur = currency(field(f, 2, "currency")?)?;
    let amount_minor = field_i64(f, 3, "amount_minor")?;
    let customer = field_opt(f, 7);
    let e2e = f[8].filter(|e| Some(*e) != customer.as_deref());
    let mut text = description.to_string();
    if let Some(e) = e2e {
        // The matcher reads two reference fields; an extra end-to-end id goes to the text.
        text.push(' ');
        text.push_str(e);
    }
    let engine = StatementLine {
        id: id.to_string(),
        amount_minor,
        currency: cur,
        value_date,
        booking_date: field_date(f, 5, "booking_date")?,
        bank_reference: field_opt(f, 6),
        customer_reference: customer,
        description: text,
        counterparty: field_opt(f, 9),
        counterparty_account: field_opt(f, 12),
        type_code: field_opt(f, 13),
    };
    let open = OpenLine {
        id: id.to_string(),
        account_id: field(f, 1, "account_id")?.to_string(),
        currency: cur,
        amount_minor,
        value_date,
        description: description.to_string(),
        status: field(f, 11, "status")?.to_string(),
    };
    Ok((open, engine))
}

/// The organization's lines the matcher may decide (OPEN or EXCEPTION, not left to people),
/// by id. Scanned ([`Tx::scan`]): a million lines read as rows cost seconds.
pub async fn open_lines(tx: &mut Tx, actor: &Actor) -> Result<OpenLines, StoreError> {
    actor.require(Permission::Operate)?;
    let mut out = OpenLines::default();
    tx.scan(
        &format!("SELECT {OPEN_LINE_COLUMNS} FROM bank_statement_lines WHERE org_id = $1 AND status IN ('OPEN','EXCEPTION') AND manual_only = 0 ORDER BY id"),
        &[actor.org_id.as_str().into()],
        |f| {
            let (open, engine) = open_line(f)?;
            out.lines.push(open);
            out.engine.push(engine);
            Ok(())
        },
    )
    .await?;
    Ok(out)
}

/// Columns of [`candidate_payment`], in order.
const CANDIDATE_COLUMNS: &str = "p.id, p.method, p.status, p.currency, p.amount_minor, p.payee_name, p.trace_number, p.end_to_end_id, p.check_number, p.batch_id, p.expected_date, p.distribution_id, p.investor_id, p.attempt, p.cleared_date, p.failure_code, p.failure_reason, p.version,
     (SELECT b.account_last4 FROM bank_accounts b WHERE b.id = p.bank_account_id AND b.org_id = p.org_id)";

/// One scanned row of [`CANDIDATE_COLUMNS`]: as the writer, the engine and settling read it.
fn candidate_payment(f: &[Option<&str>]) -> Result<(PaymentRow, Payment, Settling), StoreError> {
    let id = field(f, 0, "id")?;
    let status_text = field(f, 2, "status")?;
    let status: PaymentState = status_text
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("column status = '{status_text}': {e}")))?;
    let cur = currency(field(f, 3, "currency")?)?;
    let amount_minor = field_i64(f, 4, "amount_minor")?;
    let engine = Payment {
        id: id.to_string(),
        amount_minor,
        currency: cur,
        method: method(field(f, 1, "method")?)?,
        expected_date: field_date(f, 10, "expected_date")?,
        trace_number: field_opt(f, 6),
        end_to_end_id: field_opt(f, 7),
        check_number: field_opt(f, 8),
        batch_id: field_opt(f, 9),
        counterparty_name: field(f, 5, "payee_name")?.to_string(),
        // Derived from the id: every payment has one, whatever references it was sent with.
        reference_token: Some(reference::token(id)),
        // The last four digits of the payee account it was instructed to: a line naming
        // another account is no match for it, however well the rest agrees.
        counterparty_account: field_opt(f, 18),
        status: if status_text == "SENT" {
            PaymentStatus::Initiated
        } else {
            PaymentStatus::Paid
        },
    };
    let settling = Settling {
        id: id.to_string(),
        distribution_id: field(f, 11, "distribution_id")?.to_string(),
        investor_id: field(f, 12, "investor_id")?.to_string(),
        status,
        attempt: field_i64(f, 13, "attempt")?,
        cleared_date: f[14]
            .map(|_| field_date(f, 14, "cleared_date"))
            .transpose()?,
        failure_code: field_opt(f, 15),
        failure_reason: field_opt(f, 16),
        version: field_i64(f, 17, "version")?,
    };
    let row = PaymentRow {
        id: id.to_string(),
        status: status_text.to_string(),
        currency: cur,
        amount_minor,
    };
    Ok((row, engine, settling))
}

/// The organization's payments a line may clear or return: SENT ones, and COMPLETED ones
/// expected on or after `since`; by id. Scanned, with what settling reads of them, so
/// settling the run's matches reads nothing again.
pub async fn candidate_payments(
    tx: &mut Tx,
    actor: &Actor,
    since: NaiveDate,
) -> Result<CandidatePayments, StoreError> {
    actor.require(Permission::Operate)?;
    let mut out = CandidatePayments::default();
    tx.scan(
        // The payee's digits by a key probe per payment: as a join, PostgreSQL planned a
        // nested loop over every payee for each payment without statistics (10 s at 100,000).
        &format!("SELECT {CANDIDATE_COLUMNS} FROM payments p
                  WHERE p.org_id = $1 AND (p.status = 'SENT' OR (p.status = 'COMPLETED' AND p.expected_date >= $2)) ORDER BY p.id"),
        &[actor.org_id.as_str().into(), since.to_string().into()],
        |f| {
            let (row, engine, settling) = candidate_payment(f)?;
            out.rows.push(row);
            out.engine.push(engine);
            out.settling.push(settling);
            Ok(())
        },
    )
    .await?;
    Ok(out)
}

/// COMPLETED payments expected on or after `since` that a live match already cleared.
pub async fn cleared_payment_ids(
    tx: &mut Tx,
    actor: &Actor,
    since: NaiveDate,
) -> Result<HashSet<String>, StoreError> {
    actor.require(Permission::Operate)?;
    tx.fetch_all(
        q("SELECT mp.payment_id FROM reconciliation_match_payments mp JOIN payments p ON p.id = mp.payment_id
           WHERE mp.org_id = $1 AND mp.live = 1 AND mp.outcome = 'CLEARED' AND p.status = 'COMPLETED' AND p.expected_date >= $2")
            .bind(&actor.org_id)
            .bind(since.to_string()),
    )
    .await?
    .iter()
    .map(|r| r.text("payment_id"))
    .collect()
}

/// Marks lines as exceptions with their cause and candidates (an exception keeps the day it
/// first became one).
pub async fn mark_exceptions(
    tx: &mut Tx,
    actor: &Actor,
    exceptions: &[NewException],
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let today = chrono::Utc::now().date_naive().to_string();
    let now = now_text();
    for e in exceptions {
        tx.execute(
            q("UPDATE bank_statement_lines SET status = 'EXCEPTION', exception_cause = $1, candidates = $2, exception_since = COALESCE(exception_since, $3), updated_at = $4
               WHERE org_id = $5 AND id = $6")
                .bind(e.cause)
                .bind(e.candidates.to_string())
                .bind(&today)
                .bind(&now)
                .bind(&actor.org_id)
                .bind(&e.line_id),
        )
        .await?;
    }
    Ok(())
}

/// Records a finished run.
pub async fn record_run(tx: &mut Tx, actor: &Actor, run: &RunSummary) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    tx.execute(
        q("INSERT INTO reconciliation_runs (id, org_id, trigger_kind, actor_id, lines_considered, payments_considered, matched, returned, exceptions, started_at, finished_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(&run.id)
            .bind(&actor.org_id)
            .bind(&run.trigger)
            .bind(&actor.user_id)
            .bind(run.lines_considered)
            .bind(run.payments_considered)
            .bind(run.matched_lines)
            .bind(run.returned_lines)
            .bind(run.exceptions)
            .bind(&run.started_at)
            .bind(&run.finished_at),
    )
    .await?;
    Ok(())
}
