//! What a matching run reads and writes: the open lines and candidate payments offered to the
//! matcher, the exceptions it leaves, and the run's own record. The run itself (the core's
//! matcher between these reads and writes) is `clearway_app::reconciliation::run`.

use std::collections::HashSet;

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::payments::reference;
use clearway_core::reconciliation::{Payment, PaymentStatus, StatementLine};
use serde_json::Value;

use crate::{now_text, q, Actor, Row, StoreError, Tx};

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

fn open_line(r: &Row) -> Result<(OpenLine, StatementLine), StoreError> {
    let value_date = parse_date(r, "value_date")?;
    let description = r.text("description")?;
    let cur = currency(&r.text("currency")?)?;
    let customer = r.opt_text("customer_reference")?;
    let e2e = r.opt_text("end_to_end_id")?;
    let mut text = description.clone();
    if let Some(e) = e2e.as_ref().filter(|e| Some(*e) != customer.as_ref()) {
        // The matcher reads two reference fields; an extra end-to-end id goes to the text.
        text.push(' ');
        text.push_str(e);
    }
    let engine = StatementLine {
        id: r.text("id")?,
        amount_minor: r.i64("amount_minor")?,
        currency: cur,
        value_date,
        booking_date: parse_date(r, "booking_date")?,
        bank_reference: r.opt_text("bank_reference")?,
        customer_reference: customer,
        description: text,
        counterparty: r.opt_text("counterparty_name")?,
        counterparty_account: r.opt_text("counterparty_account")?,
        type_code: Some(r.text("type_code")?),
    };
    let open = OpenLine {
        id: r.text("id")?,
        account_id: r.text("account_id")?,
        currency: cur,
        amount_minor: r.i64("amount_minor")?,
        value_date,
        description,
        status: r.text("status")?,
    };
    Ok((open, engine))
}

/// The organization's lines the matcher may decide (OPEN or EXCEPTION, not left to people),
/// by id.
pub async fn open_lines(tx: &mut Tx, actor: &Actor) -> Result<OpenLines, StoreError> {
    actor.require(Permission::Operate)?;
    let rows = tx
        .fetch_all(
            q("SELECT id, account_id, currency, amount_minor, value_date, booking_date, bank_reference, customer_reference, end_to_end_id, counterparty_name, counterparty_account, type_code, description, status
               FROM bank_statement_lines WHERE org_id = $1 AND status IN ('OPEN','EXCEPTION') AND manual_only = 0 ORDER BY id")
                .bind(&actor.org_id),
        )
        .await?;
    let mut out = OpenLines {
        lines: Vec::with_capacity(rows.len()),
        engine: Vec::with_capacity(rows.len()),
    };
    for r in &rows {
        let (open, engine) = open_line(r)?;
        out.lines.push(open);
        out.engine.push(engine);
    }
    Ok(out)
}

fn candidate_payment(r: &Row) -> Result<(PaymentRow, Payment), StoreError> {
    let status = r.text("status")?;
    let cur = currency(&r.text("currency")?)?;
    let id = r.text("id")?;
    let engine = Payment {
        id: id.clone(),
        amount_minor: r.i64("amount_minor")?,
        currency: cur,
        method: method(&r.text("method")?)?,
        expected_date: parse_date(r, "expected_date")?,
        trace_number: r.opt_text("trace_number")?,
        end_to_end_id: r.opt_text("end_to_end_id")?,
        check_number: r.opt_text("check_number")?,
        batch_id: r.opt_text("batch_id")?,
        counterparty_name: r.text("payee_name")?,
        // Derived from the id: every payment has one, whatever references it was sent with.
        reference_token: Some(reference::token(&id)),
        // The payee's last four digits would need a join on bank_accounts; not read yet.
        counterparty_account: None,
        status: if status == "SENT" {
            PaymentStatus::Initiated
        } else {
            PaymentStatus::Paid
        },
    };
    let row = PaymentRow {
        id,
        status,
        currency: cur,
        amount_minor: r.i64("amount_minor")?,
    };
    Ok((row, engine))
}

/// The organization's payments a line may clear or return: SENT ones, and COMPLETED ones
/// expected on or after `since`; by id.
pub async fn candidate_payments(
    tx: &mut Tx,
    actor: &Actor,
    since: NaiveDate,
) -> Result<CandidatePayments, StoreError> {
    actor.require(Permission::Operate)?;
    let rows = tx
        .fetch_all(
            q("SELECT id, method, status, currency, amount_minor, payee_name, trace_number, end_to_end_id, check_number, batch_id, expected_date
               FROM payments WHERE org_id = $1 AND (status = 'SENT' OR (status = 'COMPLETED' AND expected_date >= $2)) ORDER BY id")
                .bind(&actor.org_id)
                .bind(since.to_string()),
        )
        .await?;
    let mut out = CandidatePayments {
        rows: Vec::with_capacity(rows.len()),
        engine: Vec::with_capacity(rows.len()),
    };
    for r in &rows {
        let (row, engine) = candidate_payment(r)?;
        out.rows.push(row);
        out.engine.push(engine);
    }
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
