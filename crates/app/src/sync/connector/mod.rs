//! The administrator REST connector: pull the administrator's changed records since a cursor,
//! push our distributions (with their lines and payments). Behind [`AdministratorConnector`]
//! so that another administrator is one more implementation; [`carta::CartaStyle`] speaks a
//! Carta-style API (bearer token, cursor pagination, `Idempotency-Key` on writes).
//!
//! Transport faults are retried inside one call ([`RetryPolicy`]): 429 (waiting at least its
//! `Retry-After`), 5xx, timeouts and refused connections back off exponentially with jitter up
//! to a capped number of attempts, then the call fails [`ConnectorError::Transient`] and the
//! job queue retries the whole run later. Any other 4xx is [`ConnectorError::Permanent`].

mod apply;
pub mod carta;
pub mod pull;
pub mod push;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An opaque position in the administrator's change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

/// What kind of record a change carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKind {
    /// NAV per share of a fund (and class) at a date.
    Nav,
    /// Units an investor holds in a fund (and class) at a date.
    Holding,
    /// An investor's reinvestment election in a fund.
    Election,
    /// An investor's payment preference (rail and bank account) in a fund.
    BankDetails,
    /// A fund's distribution schedule (frequency, next record date, amount per unit).
    Schedule,
    /// A type this connector does not know: skipped and counted.
    Other(String),
}

impl RecordKind {
    /// From the wire's `type`.
    pub fn parse(s: &str) -> RecordKind {
        match s {
            "NAV" => RecordKind::Nav,
            "HOLDING" => RecordKind::Holding,
            "ELECTION" => RecordKind::Election,
            "BANK_DETAILS" => RecordKind::BankDetails,
            "SCHEDULE" => RecordKind::Schedule,
            other => RecordKind::Other(other.to_string()),
        }
    }
}

/// One changed record from the administrator: its fields as text (decimals as decimal
/// strings, never JSON numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    /// The administrator's change id.
    pub id: String,
    /// What it is.
    pub kind: RecordKind,
    /// Its fields by name (the file layouts' column names).
    pub fields: BTreeMap<String, String>,
}

/// One page of the change feed.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The changes, oldest first.
    pub records: Vec<ChangeRecord>,
    /// Where the next pull starts (after the last record of this page).
    pub next_cursor: Option<Cursor>,
    /// Whether more changes wait after this page.
    pub has_more: bool,
}

/// Our distribution as pushed: the distribution, its lines and its payments (money as decimal
/// strings in the distribution's or payment's currency).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutboundBatch {
    /// Sent as `Idempotency-Key`: the distribution id and the fingerprint of this content, so
    /// a retried push is recognised and a changed distribution is pushed again.
    #[serde(skip)]
    pub idempotency_key: String,
    /// The distribution.
    pub distribution: PushDistribution,
    /// Its lines.
    pub lines: Vec<PushLine>,
    /// Its payments (every attempt).
    pub payments: Vec<PushPayment>,
}

/// A distribution as pushed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PushDistribution {
    /// Our id.
    pub id: String,
    /// Fund id.
    pub fund_id: String,
    /// `REGULAR`, `REVERSAL`, `CORRECTION`.
    pub kind: String,
    /// Our status.
    pub status: String,
    /// ISO 4217.
    pub currency: String,
    /// `YYYY-MM-DD`.
    pub record_date: String,
    /// `YYYY-MM-DD`.
    pub payable_date: String,
    /// Decimal string.
    pub total: String,
    /// Free text.
    pub description: String,
}

/// A line as pushed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PushLine {
    /// Investor id.
    pub investor_id: String,
    /// Units held at the record date (decimal string), if known.
    pub units: Option<String>,
    /// Decimal string.
    pub total: String,
    /// Line status.
    pub status: String,
}

/// A payment as pushed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PushPayment {
    /// Our id.
    pub id: String,
    /// Investor id.
    pub investor_id: String,
    /// `ACH`, `WIRE`, `CHECK`.
    pub method: String,
    /// Payment status.
    pub status: String,
    /// ISO 4217 of the payment.
    pub currency: String,
    /// Decimal string in the payment's currency.
    pub amount: String,
    /// `YYYY-MM-DD`.
    pub expected_date: String,
}

/// The administrator's acknowledgement of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReceipt {
    /// Their id for what was pushed.
    pub id: String,
}

/// Why a connector call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// Worth trying later (429, 5xx, timeouts, unreachable), after this call's own retries.
    #[error("{0}")]
    Transient(String),
    /// Refused (4xx other than 429) or not understood: the same call fails the same way.
    #[error("{0}")]
    Permanent(String),
}

impl From<ConnectorError> for crate::jobs::JobError {
    fn from(e: ConnectorError) -> Self {
        match e {
            ConnectorError::Transient(why) => crate::jobs::JobError::Retryable(why),
            ConnectorError::Permanent(why) => crate::jobs::JobError::Permanent(why),
        }
    }
}

/// An administrator's API.
pub trait AdministratorConnector: Send + Sync {
    /// One page of changes after `since` (from the start when `None`).
    fn pull(
        &self,
        since: Option<Cursor>,
    ) -> impl Future<Output = Result<Pulled, ConnectorError>> + Send;
    /// Sends one distribution with its lines and payments, idempotently on its key.
    fn push(
        &self,
        batch: OutboundBatch,
    ) -> impl Future<Output = Result<PushReceipt, ConnectorError>> + Send;
    /// The name its state is kept under (`CARTA_STYLE`).
    fn name(&self) -> &str;
}

/// How one call retries transport faults.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts of one call, the first included.
    pub max_attempts: u32,
    /// First backoff wait (doubling after each failed attempt)…
    pub base: Duration,
    /// …up to this one.
    pub cap: Duration,
    /// A `Retry-After` longer than this ends the call (the job queue retries it later)
    /// rather than holding a worker.
    pub max_retry_after: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            timeout: Duration::from_secs(30),
        }
    }
}

/// The connector's settings (`CLEARWAY_SYNC_*`).
#[derive(Clone, Default)]
pub struct SyncSettings {
    /// The administrator's API root (`CLEARWAY_SYNC_API_URL`); the connector is off without it.
    pub api_url: Option<String>,
    /// Bearer token (`CLEARWAY_SYNC_API_TOKEN`, from the environment only).
    pub api_token: String,
    /// The organization the administrator's records belong to (`CLEARWAY_SYNC_ORG`).
    pub org_id: Option<String>,
    /// How often the leader enqueues a pull, a push and an export (`CLEARWAY_SYNC_PULL_EVERY_SECS`);
    /// never when `None`.
    pub every: Option<Duration>,
    /// Where each outbound export file is also written (`CLEARWAY_SYNC_OUTBOX_DIR`).
    pub outbox_dir: Option<std::path::PathBuf>,
    /// Retries of one call.
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for SyncSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token never prints.
        f.debug_struct("SyncSettings")
            .field("api_url", &self.api_url)
            .field("org_id", &self.org_id)
            .field("every", &self.every)
            .field("outbox_dir", &self.outbox_dir)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl SyncSettings {
    /// Whether the connector serves `org_id`.
    pub fn serves(&self, org_id: &str) -> bool {
        self.api_url.is_some() && self.org_id.as_deref() == Some(org_id)
    }
}
