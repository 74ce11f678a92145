//! Clearway's storage: SQLite (embedded default) and PostgreSQL behind one set of functions.
//!
//! Tenancy and roles are enforced here, not only in handlers: every function takes the
//! [`Actor`] making the call, filters by its organization, narrows investors to their own
//! rows, and refuses operations its role does not permit.
//!
//! # Layout
//! One folder per capability, as in the server, with a file per concern inside; modules that
//! moved keep their old root paths (`clearway_store::audit`, `::bank_accounts`, `::statements`,
//! …) as re-exports.
//! - [`classes`]: share classes of open-end funds (the rows beside the implicit DEFAULT class).
//! - [`db`]: the query layer, and every place the backends differ or a fast path depends on one:
//!   `bulk` (COPY text, row sinks) and `sqlite_bulk` (the C-API loader), `packed` (many rows
//!   read as one value), `dialect` (per-backend SQL text, row locks), `planner` (PostgreSQL
//!   planner hints). Capability modules call these instead of matching on [`Backend`].
//! - [`documents`]: investor documents stored once per version (SHA-256), and `facts`, the
//!   reads behind a statement and a tax summary.
//! - [`migrate`]: schema migrations, embedded in the binary.
//! - [`platform`]: [`auth`] (organizations, users, tokens, [`Actor`]), [`audit`], [`idempotency`].
//! - [`events`]: the [`outbox`], written in the caller's transaction, and [`webhooks`].
//! - [`jobs`]: the durable job queue with leases and backoff.
//! - [`funds`], [`taxlots`], [`distributions`]: funds, investors, holdings, commitments; tax
//!   lots; distributions and their lines.
//! - [`payments`]: `create`, `reads`, `transitions`, `settlement`, `checks`, and [`bank_accounts`]
//!   (payees), [`payment_batches`] (bank files, NOCs), [`fx`] (rates).
//! - [`reconciliation`]: [`statements`] (storing read files, typed records), `run` (the
//!   matcher's reads and writes), `matches`, `exceptions`, `summary`, `evaluation`.
//! - [`recovery`]: receivables after a reversal, their recoveries and ACH reversing files.
//! - [`reinvestment`]: [`nav`](reinvestment::nav) (NAV per share), `settings`, `elections`,
//!   `step_reads`, `step_writes`, `reporting`.
//! - [`testing`]: fresh, isolated databases for tests and benchmarks.

pub mod capital;
pub mod classes;
pub mod db;
pub mod distributions;
pub mod documents;
pub mod events;
pub mod forecast;
pub mod funds;
pub mod inkind;
pub mod jobs;
pub mod migrate;
pub mod notifications;
pub mod payments;
pub mod platform;
pub mod reconciliation;
pub mod recovery;
pub mod reinvestment;
pub mod schedules;
pub mod sync;
pub mod tax;
pub mod taxlots;
pub mod testing;
pub mod waterfall;

pub use auth::Actor;
pub use db::{q, Backend, Db, DbOptions, Row, Tx, WAL_SIZE_LIMIT_BYTES};

// Modules that moved into a capability folder keep their old root paths, which the server,
// the CLI and the tests use.
pub use events::{outbox, webhooks};
pub use payments::{bank_accounts, fx, payment_batches};
pub use platform::{audit, auth, idempotency, leases, sessions};
pub use reconciliation::statements;

use clearway_core::{distribution::IllegalTransition, Invalid};

/// Everything storage can refuse or fail with; mapped to HTTP once, at the boundary.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing does not exist, or the actor may not see it (never says which).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor's role does not permit the operation.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request conflicts with the current state (e.g. a status transition).
    #[error("{0}")]
    Conflict(String),
    /// A status transition the state machine refuses.
    #[error(transparent)]
    Transition(#[from] IllegalTransition),
    /// Input the domain rules refuse.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A stored value that cannot be read back (a bug or manual tampering).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Whether this is a unique-constraint violation (decided by the database's error kind).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.kind() == sqlx::error::ErrorKind::UniqueViolation)
    }
}

/// Current time as stored: fixed-width UTC text, so text order is time order.
pub fn now_text() -> String {
    time_text(chrono::Utc::now())
}

/// Formats a timestamp the way the store keeps it.
pub fn time_text(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A new time-ordered id (UUIDv7), so ids sort by creation.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
