//! Payments to investors (money out). The table is created by migration `0003_payments`.
//!
//! Contract used by reconciliation: [`settle_many`] (and [`settle`], the same path for one
//! outcome) is the one way a payment's final outcome (cleared by the bank, returned, failed)
//! is recorded; it moves the payment, its line, and writes the audit entry and outbox event in
//! the caller's transaction. A failure also decides what happens next: an automatic retry on
//! the 5 min / 1 h / 1 day schedule (a `payment.retry` job), or the manual-review queue (bad
//! account details wait for a payee update; refusals and exhausted retries wait for a person).
//!
//! Every status change goes through [`transition`] (or its bulk twins [`mark_sent`] and
//! [`settle_many`]), which checks the core status machine, keeps the line status in step, and
//! writes a `payment_events` row with the attempt number and the reason.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use clearway_core::access::Permission;
use clearway_core::payments::returns::{classify, ReturnClass};
use clearway_core::payments::{retry_delay, Method, PaymentStatus};
use serde::Serialize;
use serde_json::{json, Value};

use crate::audit::{self, Change};
use crate::db::Arg;
use crate::{jobs, new_id, now_text, outbox, q, Actor, Db, Row, StoreError, Tx};

/// Job kind of a scheduled automatic retry of a failed payment.
pub const RETRY_JOB: &str = "payment.retry";

/// A final outcome reported for a payment (by the bank statement, a return file or a provider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// The money left the account on `value_date`: COMPLETED, line PAID.
    Cleared {
        /// Bank value date.
        value_date: NaiveDate,
    },
    /// The money came back (NACHA return, bounced wire, credit back): RETURNED, line FAILED.
    Returned {
        /// Return code (e.g. `R03`).
        code: String,
        /// Human-readable reason.
        reason: String,
    },
    /// The payment never left (rejected by the provider or bank): FAILED, line FAILED.
    Failed {
        /// Failure code.
        code: String,
        /// Human-readable reason.
        reason: String,
    },
}

/// A payment as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// Id (also the idempotency key sent to providers).
    pub id: String,
    /// Distribution paid.
    pub distribution_id: String,
    /// Investor paid.
    pub investor_id: String,
    /// ACH, WIRE or CHECK.
    pub method: Method,
    /// Status.
    pub status: PaymentStatus,
    /// Payment currency.
    pub currency: String,
    /// Amount in payment-currency minor units.
    pub amount_minor: i64,
    /// Same money in the distribution currency.
    pub fund_amount_minor: i64,
    /// Payee name.
    pub payee_name: String,
    /// ACH trace number.
    pub trace_number: Option<String>,
    /// Wire end-to-end id.
    pub end_to_end_id: Option<String>,
    /// Check number.
    pub check_number: Option<String>,
    /// File / batch it went out in.
    pub batch_id: Option<String>,
    /// Expected debit date on the bank statement.
    pub expected_date: String,
    /// Bank value date once completed.
    pub cleared_date: Option<String>,
    /// Failure or return code.
    pub failure_code: Option<String>,
    /// Failure or return reason.
    pub failure_reason: Option<String>,
    /// Attempt number for this line (1 for the first).
    pub attempt: i64,
    /// The payment this one retries.
    pub retry_of: Option<String>,
    /// Payee instructed.
    pub bank_account_id: Option<String>,
    /// FX rate used, if any.
    pub fx_rate: Option<String>,
    /// Source of the FX rate.
    pub fx_source: Option<String>,
    /// Timestamp of the FX rate.
    pub fx_as_of: Option<String>,
    /// Provider connector used.
    pub provider: Option<String>,
    /// Provider's id for it.
    pub provider_ref: Option<String>,
    /// Why it is held (not sent).
    pub hold_reason: Option<String>,
    /// Why it waits for a person.
    pub review_reason: Option<String>,
    /// Stale-dated check whose money is unclaimed.
    pub unclaimed: bool,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
    /// Incremented on every change.
    pub version: i64,
}

/// Columns of [`Payment`], in order.
pub const COLUMNS: &str = "id, distribution_id, investor_id, method, status, currency, amount_minor, fund_amount_minor, payee_name, trace_number, end_to_end_id, check_number, batch_id, expected_date, cleared_date, failure_code, failure_reason, attempt, retry_of, bank_account_id, fx_rate, fx_source, fx_as_of, provider, provider_ref, hold_reason, review_reason, unclaimed, created_at, updated_at, version";

/// Reads a payment row.
pub fn from_row(r: &Row) -> Result<Payment, StoreError> {
    Ok(Payment {
        id: r.text("id")?,
        distribution_id: r.text("distribution_id")?,
        investor_id: r.text("investor_id")?,
        method: r.parse("method")?,
        status: r.parse("status")?,
        currency: r.text("currency")?,
        amount_minor: r.i64("amount_minor")?,
        fund_amount_minor: r.i64("fund_amount_minor")?,
        payee_name: r.text("payee_name")?,
        trace_number: r.opt_text("trace_number")?,
        end_to_end_id: r.opt_text("end_to_end_id")?,
        check_number: r.opt_text("check_number")?,
        batch_id: r.opt_text("batch_id")?,
        expected_date: r.text("expected_date")?,
        cleared_date: r.opt_text("cleared_date")?,
        failure_code: r.opt_text("failure_code")?,
        failure_reason: r.opt_text("failure_reason")?,
        attempt: r.i64("attempt")?,
        retry_of: r.opt_text("retry_of")?,
        bank_account_id: r.opt_text("bank_account_id")?,
        fx_rate: r.opt_text("fx_rate")?,
        fx_source: r.opt_text("fx_source")?,
        fx_as_of: r.opt_text("fx_as_of")?,
        provider: r.opt_text("provider")?,
        provider_ref: r.opt_text("provider_ref")?,
        hold_reason: r.opt_text("hold_reason")?,
        review_reason: r.opt_text("review_reason")?,
        unclaimed: r.i64("unclaimed")? == 1,
        created_at: r.text("created_at")?,
        updated_at: r.text("updated_at")?,
        version: r.i64("version")?,
    })
}

/// A payment to insert.
#[derive(Debug, Clone)]
pub struct NewPayment {
    /// Id (pre-assigned so jobs can name it).
    pub id: String,
    /// Distribution.
    pub distribution_id: String,
    /// Investor.
    pub investor_id: String,
    /// Method.
    pub method: Method,
    /// PENDING, or FAILED when it cannot be sent at all (no payee, no FX rate).
    pub status: PaymentStatus,
    /// Payment currency.
    pub currency: String,
    /// Payment-currency amount.
    pub amount_minor: i64,
    /// Fund-currency amount.
    pub fund_amount_minor: i64,
    /// Payee name.
    pub payee_name: String,
    /// Expected date.
    pub expected_date: NaiveDate,
    /// Attempt.
    pub attempt: i64,
    /// Retried payment.
    pub retry_of: Option<String>,
    /// Payee.
    pub bank_account_id: Option<String>,
    /// FX rate, source, timestamp.
    pub fx: Option<(String, String, String)>,
    /// Failure code (status FAILED).
    pub failure_code: Option<String>,
    /// Failure reason (status FAILED).
    pub failure_reason: Option<String>,
    /// Review reason (status FAILED).
    pub review_reason: Option<String>,
}

const INSERT_COLUMNS: [&str; 22] = [
    "id",
    "org_id",
    "distribution_id",
    "investor_id",
    "method",
    "status",
    "currency",
    "amount_minor",
    "fund_amount_minor",
    "payee_name",
    "expected_date",
    "attempt",
    "retry_of",
    "bank_account_id",
    "fx_rate",
    "fx_source",
    "fx_as_of",
    "failure_code",
    "failure_reason",
    "review_reason",
    "created_at",
    "updated_at",
];

const EVENT_COLUMNS: [&str; 9] = [
    "id",
    "org_id",
    "payment_id",
    "attempt",
    "from_status",
    "to_status",
    "code",
    "reason",
    "at",
];

/// Inserts payments (bulk) with their first `payment_events` row, inside `tx`. The unique
/// index `payments_one_live_per_line` refuses a second live payment for a line.
pub async fn insert_many(
    tx: &mut Tx,
    org_id: &str,
    payments: &[NewPayment],
) -> Result<(), StoreError> {
    if payments.is_empty() {
        return Ok(());
    }
    let now = now_text();
    let rows: Vec<Vec<Arg>> = payments
        .iter()
        .map(|p| {
            let (rate, source, as_of) = match &p.fx {
                Some((r, s, a)) => (Some(r.clone()), Some(s.clone()), Some(a.clone())),
                None => (None, None, None),
            };
            vec![
                (&p.id).into(),
                org_id.into(),
                (&p.distribution_id).into(),
                (&p.investor_id).into(),
                p.method.as_str().into(),
                p.status.as_str().into(),
                (&p.currency).into(),
                p.amount_minor.into(),
                p.fund_amount_minor.into(),
                (&p.payee_name).into(),
                p.expected_date.to_string().into(),
                p.attempt.into(),
                p.retry_of.clone().into(),
                p.bank_account_id.clone().into(),
                rate.into(),
                source.into(),
                as_of.into(),
                p.failure_code.clone().into(),
                p.failure_reason.clone().into(),
                p.review_reason.clone().into(),
                (&now).into(),
                (&now).into(),
            ]
        })
        .collect();
    tx.bulk_insert("payments", &INSERT_COLUMNS, &rows).await?;
    let events: Vec<Vec<Arg>> = payments
        .iter()
        .map(|p| {
            vec![
                new_id().into(),
                org_id.into(),
                (&p.id).into(),
                p.attempt.into(),
                Arg::Text(None),
                p.status.as_str().into(),
                p.failure_code.clone().into(),
                p.failure_reason
                    .clone()
                    .or_else(|| Some("created".into()))
                    .into(),
                (&now).into(),
            ]
        })
        .collect();
    tx.bulk_insert("payment_events", &EVENT_COLUMNS, &events)
        .await
}

/// Visibility: staff see the organization's payments, investors only their own.
fn visible(actor: &Actor) -> Result<(), StoreError> {
    actor.require(Permission::Read)
}

/// One payment the actor may see.
pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<Payment, StoreError> {
    visible(actor)?;
    let row = db
        .fetch_optional(
            q(format!("SELECT {COLUMNS} FROM payments WHERE id = $1 AND org_id = $2 AND ($3 IS NULL OR investor_id = $3)"))
                .bind(id)
                .bind(&actor.org_id)
                .bind(actor.investor_id.clone()),
        )
        .await?
        .ok_or(StoreError::NotFound("payment"))?;
    from_row(&row)
}

/// One payment inside a transaction (staff and system).
pub async fn get_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Payment, StoreError> {
    visible(actor)?;
    let row = tx
        .fetch_optional(
            q(format!("SELECT {COLUMNS} FROM payments WHERE id = $1 AND org_id = $2 AND ($3 IS NULL OR investor_id = $3)"))
                .bind(id)
                .bind(&actor.org_id)
                .bind(actor.investor_id.clone()),
        )
        .await?
        .ok_or(StoreError::NotFound("payment"))?;
    from_row(&row)
}

/// Filters for [`list`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this distribution.
    pub distribution_id: Option<String>,
    /// Only this status.
    pub status: Option<PaymentStatus>,
    /// Only payments waiting for a person (review reason or hold set).
    pub needs_review: bool,
    /// Only stale-dated checks whose money is unclaimed.
    pub unclaimed: bool,
    /// Only this batch.
    pub batch_id: Option<String>,
    /// Ids after this one.
    pub after_id: Option<String>,
    /// Page size.
    pub limit: i64,
}

/// Payments the actor may see (investors: their own), by id.
pub async fn list(db: &Db, actor: &Actor, f: &ListFilter) -> Result<Vec<Payment>, StoreError> {
    visible(actor)?;
    db.fetch_all(
        q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND ($2 IS NULL OR investor_id = $2)
                   AND ($3 IS NULL OR distribution_id = $3) AND ($4 IS NULL OR status = $4)
                   AND ($5 = 0 OR review_reason IS NOT NULL OR hold_reason IS NOT NULL) AND ($6 = 0 OR unclaimed = 1)
                   AND ($7 IS NULL OR batch_id = $7) AND id > $8
                   ORDER BY id LIMIT $9"))
            .bind(&actor.org_id)
            .bind(actor.investor_id.clone())
            .bind(f.distribution_id.clone())
            .bind(f.status.map(|s| s.as_str()))
            .bind(i64::from(f.needs_review))
            .bind(i64::from(f.unclaimed))
            .bind(f.batch_id.clone())
            .bind(f.after_id.clone().unwrap_or_default())
            .bind(f.limit),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Pending, unheld payments of a distribution by method (optionally only `ids`), for a rail.
pub async fn pending_for_rail(
    tx: &mut Tx,
    org_id: &str,
    distribution_id: &str,
    method: Method,
    ids: Option<&[String]>,
) -> Result<Vec<Payment>, StoreError> {
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND distribution_id = $2 AND method = $3 AND status = 'PENDING' AND hold_reason IS NULL AND provider IS NULL ORDER BY investor_id"))
                .bind(org_id)
                .bind(distribution_id)
                .bind(method.as_str()),
        )
        .await?;
    let mut out: Vec<Payment> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    if let Some(ids) = ids {
        let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        out.retain(|p| wanted.contains(p.id.as_str()));
    }
    Ok(out)
}

/// What changes with a status.
#[derive(Debug, Clone, Default)]
pub struct Update {
    /// Failure / return code.
    pub code: Option<String>,
    /// Reason (logged on the event; stored on the payment for failures).
    pub reason: Option<String>,
    /// Bank value date (COMPLETED).
    pub cleared_date: Option<String>,
    /// Provider connector used.
    pub provider: Option<String>,
    /// Provider's id for the payment.
    pub provider_ref: Option<String>,
    /// Expected date.
    pub expected_date: Option<String>,
    /// References.
    pub trace_number: Option<String>,
    /// Wire end-to-end id.
    pub end_to_end_id: Option<String>,
    /// Check number.
    pub check_number: Option<String>,
    /// Batch.
    pub batch_id: Option<String>,
}

/// Moves one payment to `to` (checked by the core machine, conditional on its version), keeps
/// the line in step and logs a `payment_events` row with the attempt and reason.
pub async fn transition(
    tx: &mut Tx,
    org_id: &str,
    current: &Payment,
    to: PaymentStatus,
    update: &Update,
) -> Result<Payment, StoreError> {
    current
        .status
        .to(to)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let now = now_text();
    let is_failure = !to.is_live();
    let row = tx
        .fetch_optional(
            q(format!("UPDATE payments SET status = $1, failure_code = CASE WHEN $2 = 1 THEN $3 ELSE failure_code END, failure_reason = CASE WHEN $2 = 1 THEN $4 ELSE failure_reason END,
                         cleared_date = COALESCE($5, cleared_date), provider = COALESCE($6, provider), provider_ref = COALESCE($7, provider_ref),
                         expected_date = COALESCE($8, expected_date), trace_number = COALESCE($9, trace_number), end_to_end_id = COALESCE($10, end_to_end_id),
                         check_number = COALESCE($11, check_number), batch_id = COALESCE($12, batch_id), updated_at = $13, version = version + 1
                       WHERE id = $14 AND org_id = $15 AND version = $16 RETURNING {COLUMNS}"))
                .bind(to.as_str())
                .bind(i64::from(is_failure))
                .bind(update.code.clone())
                .bind(update.reason.clone())
                .bind(update.cleared_date.clone())
                .bind(update.provider.clone())
                .bind(update.provider_ref.clone())
                .bind(update.expected_date.clone())
                .bind(update.trace_number.clone())
                .bind(update.end_to_end_id.clone())
                .bind(update.check_number.clone())
                .bind(update.batch_id.clone())
                .bind(&now)
                .bind(&current.id)
                .bind(org_id)
                .bind(current.version),
        )
        .await?
        .ok_or_else(|| StoreError::Conflict(format!("payment {} changed meanwhile; retry", current.id)))?;
    let updated = from_row(&row)?;
    log_event(tx, org_id, &updated, Some(current.status), update).await?;
    set_line_status(tx, org_id, &updated).await?;
    Ok(updated)
}

async fn log_event(
    tx: &mut Tx,
    org_id: &str,
    p: &Payment,
    from: Option<PaymentStatus>,
    update: &Update,
) -> Result<(), StoreError> {
    tx.execute(
        q("INSERT INTO payment_events (id, org_id, payment_id, attempt, from_status, to_status, code, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(new_id())
            .bind(org_id)
            .bind(&p.id)
            .bind(p.attempt)
            .bind(from.map(|s| s.as_str()))
            .bind(p.status.as_str())
            .bind(update.code.clone())
            .bind(update.reason.clone())
            .bind(now_text()),
    )
    .await?;
    if matches!(p.status, PaymentStatus::Failed | PaymentStatus::Returned) {
        tracing::warn!(payment_id = %p.id, attempt = p.attempt, status = %p.status, code = ?update.code, reason = ?update.reason, "payment failed");
    }
    Ok(())
}

/// Keeps the line's status in step with its payment.
async fn set_line_status(tx: &mut Tx, org_id: &str, p: &Payment) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE distribution_lines SET status = $1 WHERE distribution_id = $2 AND investor_id = $3 AND org_id = $4")
            .bind(p.status.line_status().as_str())
            .bind(&p.distribution_id)
            .bind(&p.investor_id)
            .bind(org_id),
    )
    .await?;
    Ok(())
}

/// One payment handed to a rail: its references.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Payment id.
    pub id: String,
    /// ACH trace number / wire end-to-end id / check number (by method).
    pub reference: String,
    /// The payment's attempt number (logged on its event).
    pub attempt: i64,
}

/// Marks many PENDING payments SENT in one go (a file for the bank): references, batch and
/// expected date set, a `payment_events` row and a `payment.sent` outbox event each. Payments
/// no longer PENDING are refused (the whole transaction rolls back).
pub async fn mark_sent(
    tx: &mut Tx,
    org_id: &str,
    method: Method,
    batch_id: &str,
    expected_date: NaiveDate,
    sent: &[Sent],
) -> Result<(), StoreError> {
    let reference_column = match method {
        Method::Ach => "trace_number",
        Method::Wire => "end_to_end_id",
        Method::Check => "check_number",
    };
    let now = now_text();
    let date = expected_date.to_string();
    let staged: Vec<Vec<Arg>> = sent
        .iter()
        .map(|s| vec![batch_id.into(), (&s.id).into(), (&s.reference).into()])
        .collect();
    tx.bulk_insert(
        "payment_handover",
        &["batch_id", "payment_id", "reference"],
        &staged,
    )
    .await?;
    // The organization is checked apart from the UPDATE: with it in the UPDATE, PostgreSQL
    // without statistics (autovacuum off, or a table that just grew) walks every PENDING payment
    // of the organization through its (org_id, status) index for each file, where the batch's
    // few staged rows and the primary key are all it needs.
    let foreign = tx
        .count(
            q("SELECT COUNT(*) AS n FROM payment_handover h JOIN payments p ON p.id = h.payment_id
               WHERE h.batch_id = $1 AND p.org_id <> $2")
            .bind(batch_id)
            .bind(org_id),
        )
        .await?;
    if foreign != 0 {
        return Err(StoreError::NotFound("payment"));
    }
    let n = tx
        .execute(
            q(format!(
                "UPDATE payments SET status = 'SENT', {reference_column} = h.reference, batch_id = $1, expected_date = $2, updated_at = $3, version = version + 1
                 FROM payment_handover h WHERE h.batch_id = $1 AND payments.id = h.payment_id AND payments.status = 'PENDING'"
            ))
            .bind(batch_id)
            .bind(&date)
            .bind(&now),
        )
        .await?;
    if n as usize != sent.len() {
        return Err(StoreError::Conflict(
            "some payments of the batch are no longer PENDING; the batch was not sent".into(),
        ));
    }
    tx.execute(q("DELETE FROM payment_handover WHERE batch_id = $1").bind(batch_id))
        .await?;
    let events: Vec<Vec<Arg>> = sent
        .iter()
        .map(|s| {
            vec![
                new_id().into(),
                org_id.into(),
                (&s.id).into(),
                s.attempt.into(),
                "PENDING".into(),
                "SENT".into(),
                Arg::Text(None),
                format!("in batch {batch_id}").into(),
                (&now).into(),
            ]
        })
        .collect();
    tx.bulk_insert("payment_events", &EVENT_COLUMNS, &events)
        .await?;
    let payloads: Vec<Value> = sent
        .iter()
        .map(|s| json!({ "paymentId": s.id, "batchId": batch_id, "method": method.as_str(), "expectedDate": date }))
        .collect();
    let outbox_events: Vec<outbox::NewEvent<'_>> = sent
        .iter()
        .zip(payloads)
        .map(|(s, payload)| outbox::NewEvent {
            event_type: "payment.sent",
            aggregate_type: "payment",
            aggregate_id: &s.id,
            payload,
        })
        .collect();
    outbox::emit_many(tx, org_id, &outbox_events).await
}

/// Sets or clears the review reason (manual-review queue).
pub async fn set_review(
    tx: &mut Tx,
    org_id: &str,
    payment_id: &str,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE payments SET review_reason = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND org_id = $4")
            .bind(reason)
            .bind(now_text())
            .bind(payment_id)
            .bind(org_id),
    )
    .await?;
    Ok(())
}

/// Holds every not-yet-sent payment instructed to `bank_account_id` (its details changed),
/// and flags the ones already sent to the old details for review. Returns the held ids.
pub async fn hold_for_payee(
    tx: &mut Tx,
    org_id: &str,
    bank_account_id: &str,
    reason: &str,
) -> Result<Vec<String>, StoreError> {
    let now = now_text();
    let held = tx
        .fetch_all(
            q("UPDATE payments SET hold_reason = $1, review_reason = $1, updated_at = $2, version = version + 1
               WHERE org_id = $3 AND bank_account_id = $4 AND status = 'PENDING' AND hold_reason IS NULL RETURNING id")
                .bind(reason)
                .bind(&now)
                .bind(org_id)
                .bind(bank_account_id),
        )
        .await?
        .iter()
        .map(|r| r.text("id"))
        .collect::<Result<Vec<_>, _>>()?;
    tx.execute(
        q(
            "UPDATE payments SET review_reason = $1, updated_at = $2, version = version + 1
           WHERE org_id = $3 AND bank_account_id = $4 AND status IN ('PROCESSING','SENT')",
        )
        .bind(format!("{reason} after it was sent"))
        .bind(&now)
        .bind(org_id)
        .bind(bank_account_id),
    )
    .await?;
    Ok(held)
}

/// Failed or returned payments of an investor whose failure was bad account details and that
/// nothing has replaced yet (a payee update re-queues them).
pub async fn awaiting_payee_update(
    tx: &mut Tx,
    org_id: &str,
    investor_id: &str,
) -> Result<Vec<Payment>, StoreError> {
    tx.fetch_all(
        q(format!("SELECT {COLUMNS} FROM payments p WHERE org_id = $1 AND investor_id = $2 AND status IN ('FAILED','RETURNED') AND (review_reason LIKE 'BAD_ACCOUNT%' OR review_reason LIKE 'NO_PAYEE%')
                   AND NOT EXISTS (SELECT 1 FROM payments n WHERE n.retry_of = p.id)"))
            .bind(org_id)
            .bind(investor_id),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Whether the line already has a live payment.
pub async fn live_for_line(
    tx: &mut Tx,
    org_id: &str,
    distribution_id: &str,
    investor_id: &str,
) -> Result<Option<Payment>, StoreError> {
    tx.fetch_optional(
        q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND distribution_id = $2 AND investor_id = $3 AND status NOT IN ('FAILED','RETURNED','CANCELLED')"))
            .bind(org_id)
            .bind(distribution_id)
            .bind(investor_id),
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// The newest payment of a line (any status).
pub async fn latest_for_line(
    tx: &mut Tx,
    org_id: &str,
    distribution_id: &str,
    investor_id: &str,
) -> Result<Option<Payment>, StoreError> {
    tx.fetch_optional(
        q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND distribution_id = $2 AND investor_id = $3 ORDER BY attempt DESC, id DESC LIMIT 1"))
            .bind(org_id)
            .bind(distribution_id)
            .bind(investor_id),
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// A payment found by a rail reference (ACH trace number, wire end-to-end id, check number),
/// across organizations (return files name no organization).
pub async fn find_by_reference(
    tx: &mut Tx,
    column: &'static str,
    value: &str,
) -> Result<Option<(String, Payment)>, StoreError> {
    debug_assert!(matches!(
        column,
        "trace_number" | "end_to_end_id" | "check_number"
    ));
    tx.fetch_optional(
        q(format!(
            "SELECT org_id, {COLUMNS} FROM payments WHERE {column} = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(value),
    )
    .await?
    .map(|r| Ok((r.text("org_id")?, from_row(&r)?)))
    .transpose()
}

/// A payment found by its provider's id (provider webhooks name no organization).
pub async fn find_by_provider_ref(
    tx: &mut Tx,
    provider: &str,
    reference: &str,
) -> Result<Option<(String, Payment)>, StoreError> {
    tx.fetch_optional(
        q(format!(
            "SELECT org_id, {COLUMNS} FROM payments WHERE provider = $1 AND provider_ref = $2"
        ))
        .bind(provider)
        .bind(reference),
    )
    .await?
    .map(|r| Ok((r.text("org_id")?, from_row(&r)?)))
    .transpose()
}

/// One logged status change.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentEvent {
    /// Attempt number.
    pub attempt: i64,
    /// From.
    pub from_status: Option<String>,
    /// To.
    pub to_status: String,
    /// Code.
    pub code: Option<String>,
    /// Reason.
    pub reason: Option<String>,
    /// When.
    pub at: String,
}

/// The history of a payment's line: every attempt's status changes, oldest first.
pub async fn history(
    db: &Db,
    actor: &Actor,
    payment: &Payment,
) -> Result<Vec<PaymentEvent>, StoreError> {
    visible(actor)?;
    db.fetch_all(
        q("SELECT e.attempt, e.from_status, e.to_status, e.code, e.reason, e.at FROM payment_events e JOIN payments p ON p.id = e.payment_id
           WHERE e.org_id = $1 AND p.distribution_id = $2 AND p.investor_id = $3 ORDER BY e.at, e.id LIMIT 500")
            .bind(&actor.org_id)
            .bind(&payment.distribution_id)
            .bind(&payment.investor_id),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(PaymentEvent {
            attempt: r.i64("attempt")?,
            from_status: r.opt_text("from_status")?,
            to_status: r.text("to_status")?,
            code: r.opt_text("code")?,
            reason: r.opt_text("reason")?,
            at: r.text("at")?,
        })
    })
    .collect()
}

/// After a payment failed or came back: schedule the automatic retry (transient causes, while
/// attempts remain) or put it in the manual-review queue, saying why.
pub async fn after_failure(tx: &mut Tx, org_id: &str, p: &Payment) -> Result<(), StoreError> {
    let code = p.failure_code.clone().unwrap_or_default();
    let class = if code.starts_with('R') {
        classify(&code).1
    } else if code == "NO_PAYEE" || code == "BAD_ACCOUNT" {
        ReturnClass::BadAccount
    } else if code == "REFUSED" || code == "NO_FX_RATE" {
        ReturnClass::Refused
    } else {
        ReturnClass::Transient
    };
    match class {
        ReturnClass::BadAccount => {
            set_review(
                tx,
                org_id,
                &p.id,
                Some(&format!(
                    "BAD_ACCOUNT: {code} {}",
                    p.failure_reason.clone().unwrap_or_default()
                )),
            )
            .await
        }
        ReturnClass::Refused => {
            set_review(
                tx,
                org_id,
                &p.id,
                Some(&format!(
                    "REFUSED: {code} {}",
                    p.failure_reason.clone().unwrap_or_default()
                )),
            )
            .await
        }
        ReturnClass::Transient => match retry_delay(p.attempt) {
            Some(delay) => {
                let run_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                jobs::enqueue_at(
                    tx,
                    org_id,
                    RETRY_JOB,
                    json!({ "paymentId": p.id }),
                    Some(&format!("{RETRY_JOB}:{}", p.id)),
                    4,
                    run_at,
                )
                .await?;
                Ok(())
            }
            None => {
                set_review(
                    tx,
                    org_id,
                    &p.id,
                    Some(&format!(
                        "RETRIES_EXHAUSTED: attempt {} failed with {code}",
                        p.attempt
                    )),
                )
                .await
            }
        },
    }
}

impl Settlement {
    /// The status this outcome leads to, what it writes, and the name of its audit action and
    /// outbox event.
    fn effect(&self) -> (PaymentStatus, Update, &'static str) {
        match self {
            Settlement::Cleared { value_date } => (
                PaymentStatus::Completed,
                Update {
                    cleared_date: Some(value_date.to_string()),
                    reason: Some("cleared".into()),
                    ..Update::default()
                },
                "payment.completed",
            ),
            Settlement::Returned { code, reason } => (
                PaymentStatus::Returned,
                Update {
                    code: Some(code.clone()),
                    reason: Some(reason.clone()),
                    ..Update::default()
                },
                "payment.returned",
            ),
            Settlement::Failed { code, reason } => (
                PaymentStatus::Failed,
                Update {
                    code: Some(code.clone()),
                    reason: Some(reason.clone()),
                    ..Update::default()
                },
                "payment.failed",
            ),
        }
    }
}

/// Records a payment's outcome inside `tx` (operators, admins and the system actor).
/// Settling a payment that already has this outcome is a no-op (returns `false`).
/// The same path as [`settle_many`] with one item.
pub async fn settle(
    tx: &mut Tx,
    actor: &Actor,
    payment_id: &str,
    settlement: &Settlement,
) -> Result<bool, StoreError> {
    let counts = settle_many(tx, actor, &[(payment_id.to_string(), settlement.clone())]).await?;
    Ok(counts.applied == 1)
}

/// What [`settle_many`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettledCounts {
    /// Outcomes recorded (the payment's status changed).
    pub applied: usize,
    /// Outcomes the payment already had: nothing written for them.
    pub unchanged: usize,
}

/// Scratch table of [`settle_many`] (migration `0006_bulk_settlement`).
const STAGE: &str = "payment_settlement_stage";

const STAGE_COLUMNS: [&str; 11] = [
    "stage_id",
    "payment_id",
    "version",
    "new_version",
    "status",
    "cleared_date",
    "failure_code",
    "failure_reason",
    "distribution_id",
    "investor_id",
    "line_status",
];

/// What [`settle_many`] reads of a payment: what its outcomes check and change.
struct Settling {
    id: String,
    distribution_id: String,
    investor_id: String,
    status: PaymentStatus,
    attempt: i64,
    cleared_date: Option<String>,
    failure_code: Option<String>,
    failure_reason: Option<String>,
    version: i64,
}

/// Columns of [`Settling`].
const SETTLING_COLUMNS: &str = "id, distribution_id, investor_id, status, attempt, cleared_date, failure_code, failure_reason, version";

/// One status change planned by [`settle_many`].
struct Step {
    /// Index of the payment in the rows read.
    payment: usize,
    from: PaymentStatus,
    to: PaymentStatus,
    update: Update,
    event: &'static str,
}

/// Records many outcomes inside `tx`, with exactly the rows that calling [`settle`] once per
/// item, in order, would write: per applied outcome the payment's new status (conditional on
/// the version read), its line's status, a `payment_events` row, an audit entry and an outbox
/// event; then the failure follow-up ([`after_failure`]) of failed and returned payments.
/// Items apply in order, so a payment cleared and then returned in one call ends RETURNED
/// with both changes logged. An outcome the payment already has is skipped (counted as
/// unchanged); an unknown payment (not found in the actor's organization) or an outcome the
/// status machine refuses fails the whole call with the error `settle` gives for that item,
/// and nothing is written.
///
/// Set-based: the ids are staged with one bulk load and read with one query, the outcomes are
/// checked in memory, the new values are staged with a second bulk load and applied by one
/// `UPDATE … FROM` for payments and one for lines; events, audit entries and outbox rows are
/// bulk-loaded. Only the failure follow-up (rare: returns) is per payment.
pub async fn settle_many(
    tx: &mut Tx,
    actor: &Actor,
    items: &[(String, Settlement)],
) -> Result<SettledCounts, StoreError> {
    actor.require(Permission::Operate)?;
    let mut counts = SettledCounts::default();
    if items.is_empty() {
        return Ok(counts);
    }
    let org = actor.org_id.as_str();
    let clock = std::time::Instant::now();
    let mut phases: Vec<(&str, u128)> = Vec::new();
    let read_stage = new_id();
    let write_stage = new_id();
    let mut seen = HashSet::with_capacity(items.len());
    let keys: Vec<Vec<Arg>> = items
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| seen.insert(*id))
        .map(|id| vec![(&read_stage).into(), id.into()])
        .collect();
    tx.bulk_insert(STAGE, &STAGE_COLUMNS[..2], &keys).await?;
    phases.push(("stage_ids", clock.elapsed().as_millis()));
    // The staff view of the organization (as `get_tx` without an investor), whoever asks; only
    // the columns settling reads (decoding whole rows cost seconds per 100,000 on SQLite).
    let rows = tx
        .fetch_all(
            q(format!("SELECT {SETTLING_COLUMNS} FROM payments WHERE org_id = $1 AND id IN (SELECT payment_id FROM {STAGE} WHERE stage_id = $2)"))
                .bind(org)
                .bind(&read_stage),
        )
        .await?;
    let mut payments: Vec<Settling> = rows
        .iter()
        .map(|r| {
            Ok(Settling {
                id: r.text("id")?,
                distribution_id: r.text("distribution_id")?,
                investor_id: r.text("investor_id")?,
                status: r.parse("status")?,
                attempt: r.i64("attempt")?,
                cleared_date: r.opt_text("cleared_date")?,
                failure_code: r.opt_text("failure_code")?,
                failure_reason: r.opt_text("failure_reason")?,
                version: r.i64("version")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    drop(rows);
    phases.push(("read", clock.elapsed().as_millis()));
    let read_versions: Vec<i64> = payments.iter().map(|p| p.version).collect();
    let index: HashMap<String, usize> = payments
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.clone(), i))
        .collect();
    let now = now_text();
    // Each outcome against the state the previous ones left, as one `settle` after another.
    let mut steps: Vec<Step> = Vec::new();
    let mut refused: Option<StoreError> = None;
    for (id, settlement) in items {
        let Some(&i) = index.get(id.as_str()) else {
            refused = Some(StoreError::NotFound("payment"));
            break;
        };
        let (status, update, event) = settlement.effect();
        let p = &mut payments[i];
        if p.status == status {
            counts.unchanged += 1;
            continue;
        }
        if !p.status.can_become(status) {
            refused = Some(StoreError::Conflict(format!(
                "payment {id} is {}; it cannot become {status}",
                p.status
            )));
            break;
        }
        let from = p.status;
        // What `transition`'s UPDATE does to the row.
        if !status.is_live() {
            p.failure_code = update.code.clone();
            p.failure_reason = update.reason.clone();
        }
        if update.cleared_date.is_some() {
            p.cleared_date = update.cleared_date.clone();
        }
        p.status = status;
        p.version += 1;
        steps.push(Step {
            payment: i,
            from,
            to: status,
            update,
            event,
        });
        counts.applied += 1;
    }
    if refused.is_some() || steps.is_empty() {
        // Nothing to write: leave no scratch rows behind, whatever the caller does next.
        tx.execute(q(format!("DELETE FROM {STAGE} WHERE stage_id = $1")).bind(&read_stage))
            .await?;
        return match refused {
            Some(e) => Err(e),
            None => Ok(counts),
        };
    }
    // Payments changed, in order of their first change; each line takes the status of the
    // payment whose change came last (what the last `set_line_status` would have written).
    let mut touched: Vec<usize> = Vec::new();
    let mut is_touched = vec![false; payments.len()];
    let mut line_owner: HashMap<(&str, &str), usize> = HashMap::new();
    for step in &steps {
        if !is_touched[step.payment] {
            is_touched[step.payment] = true;
            touched.push(step.payment);
        }
        let p = &payments[step.payment];
        line_owner.insert(
            (p.distribution_id.as_str(), p.investor_id.as_str()),
            step.payment,
        );
    }
    let values: Vec<Vec<Arg>> = touched
        .iter()
        .map(|&i| {
            let p = &payments[i];
            let owns_line = line_owner[&(p.distribution_id.as_str(), p.investor_id.as_str())] == i;
            vec![
                (&write_stage).into(),
                (&p.id).into(),
                read_versions[i].into(),
                p.version.into(),
                p.status.as_str().into(),
                p.cleared_date.clone().into(),
                p.failure_code.clone().into(),
                p.failure_reason.clone().into(),
                (&p.distribution_id).into(),
                (&p.investor_id).into(),
                owns_line.then(|| p.status.line_status().as_str()).into(),
            ]
        })
        .collect();
    tx.bulk_insert(STAGE, &STAGE_COLUMNS, &values).await?;
    phases.push(("stage_values", clock.elapsed().as_millis()));
    let n = tx
        .execute(
            q(format!(
                "UPDATE payments SET status = s.status, cleared_date = s.cleared_date, failure_code = s.failure_code, failure_reason = s.failure_reason,
                     updated_at = $1, version = s.new_version
                 FROM {STAGE} s WHERE s.stage_id = $2 AND payments.id = s.payment_id AND payments.org_id = $3 AND payments.version = s.version"
            ))
            .bind(&now)
            .bind(&write_stage)
            .bind(org),
        )
        .await?;
    phases.push(("update_payments", clock.elapsed().as_millis()));
    if n as usize != touched.len() {
        // Changed by someone else since it was read (as `transition`'s version check).
        let stale: HashSet<String> = tx
            .fetch_all(
                q(format!(
                    "SELECT s.payment_id FROM {STAGE} s JOIN payments p ON p.id = s.payment_id
                           WHERE s.stage_id = $1 AND p.version <> s.new_version"
                ))
                .bind(&write_stage),
            )
            .await?
            .iter()
            .map(|r| r.text("payment_id"))
            .collect::<Result<_, _>>()?;
        let id = touched
            .iter()
            .map(|&i| &payments[i].id)
            .find(|id| stale.contains(*id))
            .cloned()
            .unwrap_or_default();
        tx.execute(
            q(format!("DELETE FROM {STAGE} WHERE stage_id IN ($1, $2)"))
                .bind(&read_stage)
                .bind(&write_stage),
        )
        .await?;
        return Err(StoreError::Conflict(format!(
            "payment {id} changed meanwhile; retry"
        )));
    }
    tx.execute(
        q(format!(
            "UPDATE distribution_lines SET status = s.line_status FROM {STAGE} s
             WHERE s.stage_id = $1 AND s.line_status IS NOT NULL AND distribution_lines.distribution_id = s.distribution_id
               AND distribution_lines.investor_id = s.investor_id AND distribution_lines.org_id = $2"
        ))
        .bind(&write_stage)
        .bind(org),
    )
    .await?;
    phases.push(("update_lines", clock.elapsed().as_millis()));
    tx.execute(
        q(format!("DELETE FROM {STAGE} WHERE stage_id IN ($1, $2)"))
            .bind(&read_stage)
            .bind(&write_stage),
    )
    .await?;
    phases.push(("unstage", clock.elapsed().as_millis()));
    let events: Vec<Vec<Arg>> = steps
        .iter()
        .map(|step| {
            let p = &payments[step.payment];
            vec![
                new_id().into(),
                org.into(),
                (&p.id).into(),
                p.attempt.into(),
                step.from.as_str().into(),
                step.to.as_str().into(),
                step.update.code.clone().into(),
                step.update.reason.clone().into(),
                (&now).into(),
            ]
        })
        .collect();
    tx.bulk_insert("payment_events", &EVENT_COLUMNS, &events)
        .await?;
    let results: Vec<Value> = steps
        .iter()
        .map(|step| json!({ "status": step.to.as_str(), "clearedDate": step.update.cleared_date, "failureCode": step.update.code, "failureReason": step.update.reason }))
        .collect();
    let changes: Vec<Change<'_>> = steps
        .iter()
        .zip(&results)
        .map(|(step, after)| Change {
            action: step.event,
            entity_type: "payment",
            entity_id: &payments[step.payment].id,
            before: Some(json!({ "status": step.from.as_str() })),
            after: Some(after.clone()),
        })
        .collect();
    audit::record_many(tx, actor, &changes).await?;
    let outbox_events: Vec<outbox::NewEvent<'_>> = steps
        .iter()
        .zip(results)
        .map(|(step, after)| {
            let p = &payments[step.payment];
            outbox::NewEvent {
                event_type: step.event,
                aggregate_type: "payment",
                aggregate_id: &p.id,
                payload: json!({ "paymentId": p.id, "distributionId": p.distribution_id, "investorId": p.investor_id, "attempt": p.attempt, "result": after }),
            }
        })
        .collect();
    outbox::emit_many(tx, org, &outbox_events).await?;
    phases.push(("events_audit_outbox", clock.elapsed().as_millis()));
    // Failed and returned are final, so the row as it stands now is the row the change left.
    let staff = Actor {
        investor_id: None,
        ..actor.clone()
    };
    for step in steps.iter().filter(|s| !s.to.is_live()) {
        let p = &payments[step.payment];
        tracing::warn!(payment_id = %p.id, attempt = p.attempt, status = %p.status, code = ?step.update.code, reason = ?step.update.reason, "payment failed");
        let updated = get_tx(tx, &staff, &p.id).await?;
        after_failure(tx, org, &updated).await?;
    }
    phases.push(("after_failure", clock.elapsed().as_millis()));
    tracing::debug!(
        applied = counts.applied,
        unchanged = counts.unchanged,
        payments = touched.len(),
        phases_ms = ?phases,
        "payment outcomes settled"
    );
    Ok(counts)
}

/// Undoes a recorded outcome inside `tx` (used when a person unmatches a reconciliation):
/// COMPLETED → SENT (line PAYMENT_INITIATED, cleared date removed); RETURNED → COMPLETED when
/// the payment had cleared, else SENT (return code removed). Audited with `reason`; emits
/// `payment.reopened`. Refused (409) from any other status, or when another payment has
/// become live for the same line meanwhile (a retry).
pub async fn reopen(
    tx: &mut Tx,
    actor: &Actor,
    payment_id: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    actor.require(Permission::Operate)?;
    let staff = Actor {
        investor_id: None,
        ..actor.clone()
    };
    let current = get_tx(tx, &staff, payment_id).await?;
    // An undo of a recorded outcome, not a step of the payment's life: the status machine has
    // no such edge, so it is decided here, and logged like any other change.
    let (status, keep_cleared) = match (current.status, &current.cleared_date) {
        (PaymentStatus::Completed, _) => (PaymentStatus::Sent, 0i64),
        (PaymentStatus::Returned, Some(_)) => (PaymentStatus::Completed, 1),
        (PaymentStatus::Returned, None) => (PaymentStatus::Sent, 0),
        (other, _) => {
            return Err(StoreError::Conflict(format!(
            "payment {payment_id} is {other}; only a COMPLETED or RETURNED payment can be reopened"
        )))
        }
    };
    let row = tx
        .fetch_optional(
            q(format!("UPDATE payments SET status = $1, cleared_date = CASE WHEN $2 = 1 THEN cleared_date ELSE NULL END, failure_code = NULL, failure_reason = NULL, updated_at = $3, version = version + 1
               WHERE id = $4 AND org_id = $5 AND version = $6 RETURNING {COLUMNS}"))
                .bind(status.as_str())
                .bind(keep_cleared)
                .bind(now_text())
                .bind(payment_id)
                .bind(&actor.org_id)
                .bind(current.version),
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                StoreError::Conflict(format!(
                    "payment {payment_id} cannot be reopened: another payment is live for its line"
                ))
            } else {
                e
            }
        })?
        .ok_or_else(|| StoreError::Conflict(format!("payment {payment_id} changed concurrently")))?;
    let updated = from_row(&row)?;
    let update = Update {
        reason: Some(format!("reopened: {reason}")),
        ..Update::default()
    };
    log_event(tx, &actor.org_id, &updated, Some(current.status), &update).await?;
    set_line_status(tx, &actor.org_id, &updated).await?;
    let after = json!({ "status": status.as_str(), "reason": reason });
    audit::record(
        tx,
        actor,
        Change {
            action: "payment.reopened",
            entity_type: "payment",
            entity_id: payment_id,
            before: Some(
                json!({ "status": current.status.as_str(), "clearedDate": current.cleared_date }),
            ),
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        &actor.org_id,
        "payment.reopened",
        "payment",
        payment_id,
        json!({ "paymentId": payment_id, "distributionId": updated.distribution_id, "investorId": updated.investor_id, "result": after }),
    )
    .await?;
    Ok(true)
}

/// Records a provider webhook delivery; `false` if it was seen before (a replay).
pub async fn record_provider_event(
    tx: &mut Tx,
    provider: &str,
    event_id: &str,
) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            q("INSERT INTO provider_events (provider, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT (provider, event_id) DO NOTHING")
                .bind(provider)
                .bind(event_id)
                .bind(now_text()),
        )
        .await?;
    Ok(n == 1)
}

/// Allocates `count` consecutive numbers of the series `(scope, name)`, starting the series at
/// `first`; returns the first number of the block. The row update serializes concurrent
/// allocations, so two files never share a number.
pub async fn allocate_sequence(
    tx: &mut Tx,
    scope: &str,
    name: &str,
    first: i64,
    count: i64,
) -> Result<i64, StoreError> {
    tx.execute(
        q("INSERT INTO payment_sequences (scope, name, next_value) VALUES ($1, $2, $3) ON CONFLICT (scope, name) DO NOTHING")
            .bind(scope)
            .bind(name)
            .bind(first),
    )
    .await?;
    let row = tx
        .fetch_optional(
            q("UPDATE payment_sequences SET next_value = next_value + $1 WHERE scope = $2 AND name = $3 RETURNING next_value")
                .bind(count)
                .bind(scope)
                .bind(name),
        )
        .await?
        .ok_or(StoreError::NotFound("sequence"))?;
    Ok(row.i64("next_value")? - count)
}

/// The first of `count` new check numbers of an organization (sequential from `first`).
pub async fn next_check_numbers(
    tx: &mut Tx,
    org_id: &str,
    first: i64,
    count: i64,
) -> Result<i64, StoreError> {
    allocate_sequence(tx, org_id, "check_number", first, count).await
}

/// Issued checks (SENT) older than `cutoff` (issue date on or before it), for stale-dating.
pub async fn stale_checks(
    tx: &mut Tx,
    org_id: &str,
    cutoff: NaiveDate,
) -> Result<Vec<Payment>, StoreError> {
    tx.fetch_all(
        q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND method = 'CHECK' AND status = 'SENT' AND expected_date <= $2 ORDER BY id"))
            .bind(org_id)
            .bind(cutoff.to_string()),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Marks a payment's money unclaimed (stale-dated check).
pub async fn mark_unclaimed(tx: &mut Tx, org_id: &str, id: &str) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE payments SET unclaimed = 1, review_reason = 'UNCLAIMED: stale-dated check', updated_at = $1, version = version + 1 WHERE id = $2 AND org_id = $3")
            .bind(now_text())
            .bind(id)
            .bind(org_id),
    )
    .await?;
    Ok(())
}

/// Checks issued (SENT, COMPLETED, or voided) in a date range, for positive pay.
pub async fn checks_issued(
    db: &Db,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Payment>, StoreError> {
    actor.require(Permission::Operate)?;
    db.fetch_all(
        q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND method = 'CHECK' AND check_number IS NOT NULL AND expected_date >= $2 AND expected_date <= $3 ORDER BY CAST(check_number AS BIGINT)"))
            .bind(&actor.org_id)
            .bind(from.to_string())
            .bind(to.to_string()),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}
