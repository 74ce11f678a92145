//! Backend differences outside bulk loading: per-backend SQL text and row locking.
//!
//! Capability code asks these instead of matching on [`Backend`] itself, so every place the
//! two databases are spoken to differently can be found here.

use super::Backend;

impl Backend {
    /// `sqlite` on SQLite, `postgres` on PostgreSQL: how a query whose SQL cannot be written
    /// once for both picks its text.
    pub(crate) fn pick<T>(self, sqlite: T, postgres: T) -> T {
        match self {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        }
    }

    /// Whether write transactions already run one at a time (SQLite's single writer
    /// connection), so row locks taken only to serialize writers would add nothing.
    pub(crate) fn serializes_writers(self) -> bool {
        self == Backend::Sqlite
    }
}

/// ` FOR UPDATE SKIP LOCKED` on PostgreSQL, to end a `SELECT` whose rows concurrent claimers
/// should pass over rather than queue on; nothing on SQLite, which has no row locks.
pub(crate) fn skip_locked(backend: Backend) -> &'static str {
    backend.pick("", " FOR UPDATE SKIP LOCKED")
}
