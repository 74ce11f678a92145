//! New payments: the instruction rows and their first events, inserted in bulk.

use chrono::NaiveDate;
use clearway_core::payments::{Method, PaymentStatus};

use crate::db::Arg;
use crate::{new_id, now_text, Actor, StoreError, Tx};

use super::*;

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

/// Inserts payments (bulk) with their first `payment_events` row, inside `tx`. The unique
/// index `payments_one_live_per_line` refuses a second live payment for a line.
pub async fn insert_many(
    tx: &mut Tx,
    actor: &Actor,
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
                (&actor.org_id).into(),
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
                (&actor.org_id).into(),
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

/// Moves the lines of a distribution to follow their just-inserted payments (a payment not yet
/// changed since it was created, the line's newest attempt): PENDING → PAYMENT_INITIATED,
/// FAILED → FAILED.
pub async fn lines_follow_new_payments(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<(), StoreError> {
    actor.require(clearway_core::access::Permission::Operate)?;
    for status in [PaymentStatus::Pending, PaymentStatus::Failed] {
        tx.execute(
            crate::q("UPDATE distribution_lines SET status = $1 WHERE distribution_id = $2 AND org_id = $3
               AND EXISTS (SELECT 1 FROM payments p WHERE p.distribution_id = distribution_lines.distribution_id AND p.investor_id = distribution_lines.investor_id AND p.status = $4 AND p.updated_at = p.created_at AND p.attempt = (SELECT MAX(p2.attempt) FROM payments p2 WHERE p2.distribution_id = p.distribution_id AND p2.investor_id = p.investor_id))")
                .bind(status.line_status().as_str())
                .bind(distribution_id)
                .bind(&actor.org_id)
                .bind(status.as_str()),
        )
        .await?;
    }
    Ok(())
}
