//! Payments to investors (money out). The table is created by migration `0003_payments`.
//!
//! Settling outcomes (cleared by the bank, returned, failed) is composed by the application
//! layer (`clearway_app::payments::settle_many`) from [`settling`], [`write_settlements`],
//! [`log_settlements`] and [`follow_up_failures`]: it moves the payment, its line, and writes
//! the audit entry and outbox event in the caller's transaction. A failure also decides what happens next: an automatic retry on
//! the 5 min / 1 h / 1 day schedule (a `payment.retry` job), or the manual-review queue (bad
//! account details wait for a payee update; refusals and exhausted retries wait for a person).
//!
//! Every status change goes through [`transition`] (or its bulk twins [`mark_sent`] and
//! [`write_settlements`]), which checks the core status machine, keeps the line status in step, and
//! writes a `payment_events` row with the attempt number and the reason.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::payments::{Method, PaymentStatus};
use clearway_core::Currency;
use rust_decimal::Decimal;

use crate::{Actor, Row, StoreError};

pub mod ach_files;
pub mod bank_accounts;
pub mod fx;
pub mod payment_batches;
pub mod status_reports;

mod checks;
mod create;
mod reads;
mod settlement;
mod transitions;

pub use checks::*;
pub use create::*;
pub use reads::*;
pub use settlement::*;
pub use transitions::*;

/// Job kind of a scheduled automatic retry of a failed payment.
pub const RETRY_JOB: &str = "payment.retry";

/// A final outcome reported for a payment (the core's).
pub use clearway_core::payments::settlement::Settlement;

/// A payment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub currency: Currency,
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
    pub expected_date: NaiveDate,
    /// Bank value date once completed.
    pub cleared_date: Option<NaiveDate>,
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
    pub fx_rate: Option<Decimal>,
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
        currency: Currency::parse(&r.text("currency")?).map_err(StoreError::Corrupt)?,
        amount_minor: r.i64("amount_minor")?,
        fund_amount_minor: r.i64("fund_amount_minor")?,
        payee_name: r.text("payee_name")?,
        trace_number: r.opt_text("trace_number")?,
        end_to_end_id: r.opt_text("end_to_end_id")?,
        check_number: r.opt_text("check_number")?,
        batch_id: r.opt_text("batch_id")?,
        expected_date: date(r.text("expected_date")?)?,
        cleared_date: r.opt_text("cleared_date")?.map(date).transpose()?,
        failure_code: r.opt_text("failure_code")?,
        failure_reason: r.opt_text("failure_reason")?,
        attempt: r.i64("attempt")?,
        retry_of: r.opt_text("retry_of")?,
        bank_account_id: r.opt_text("bank_account_id")?,
        fx_rate: r
            .opt_text("fx_rate")?
            .map(|t| {
                t.parse::<Decimal>()
                    .map_err(|e| StoreError::Corrupt(format!("fx rate '{t}': {e}")))
            })
            .transpose()?,
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

/// A stored `YYYY-MM-DD` date.
fn date(text: String) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("date '{text}': {e}")))
}

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

/// Visibility: staff see the organization's payments, investors only their own.
fn visible(actor: &Actor) -> Result<(), StoreError> {
    actor.require(Permission::Read)
}
