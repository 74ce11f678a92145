//! Database-wide aggregates behind the business gauges of `/metrics`: counts by status across
//! every organization, never a label per organization, investor or payment. Each is one
//! grouped count over an index the table already has, read at scrape time.

use crate::{now_text, q, Db, StoreError};

/// What the business gauges show at one scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Distributions per status: (status, distributions, their lines).
    pub distributions: Vec<(String, i64, i64)>,
    /// Payments per (status, rail); the rail is the method, or `PROVIDER` when a provider
    /// connector pays it (as in the rail totals).
    pub payments: Vec<(String, String, i64)>,
    /// Bank statement lines per status (OPEN, MATCHED, EXCEPTION).
    pub statement_lines: Vec<(String, i64)>,
    /// `run_at` of the oldest job due now and not yet claimed.
    pub oldest_due_job: Option<String>,
    /// Outbox events not yet fanned out to webhook deliveries.
    pub outbox_undispatched: i64,
    /// `created_at` of the oldest of them.
    pub oldest_undispatched_event: Option<String>,
}

/// Reads the aggregates (six small queries, no transaction: each gauge stands alone).
pub async fn snapshot(db: &Db) -> Result<Snapshot, StoreError> {
    let distributions = db
        .fetch_all(q(
            "SELECT status, COUNT(*) AS n, CAST(COALESCE(SUM(line_count), 0) AS BIGINT) AS lines
             FROM distributions GROUP BY status ORDER BY status",
        ))
        .await?
        .iter()
        .map(|r| Ok((r.text("status")?, r.i64("n")?, r.i64("lines")?)))
        .collect::<Result<_, StoreError>>()?;
    let payments = db
        .fetch_all(q(
            "SELECT status, CASE WHEN provider IS NULL THEN method ELSE 'PROVIDER' END AS rail, COUNT(*) AS n
             FROM payments GROUP BY 1, 2 ORDER BY 1, 2",
        ))
        .await?
        .iter()
        .map(|r| Ok((r.text("status")?, r.text("rail")?, r.i64("n")?)))
        .collect::<Result<_, StoreError>>()?;
    let statement_lines = db
        .fetch_all(q(
            "SELECT status, COUNT(*) AS n FROM bank_statement_lines GROUP BY status ORDER BY status",
        ))
        .await?
        .iter()
        .map(|r| Ok((r.text("status")?, r.i64("n")?)))
        .collect::<Result<_, StoreError>>()?;
    let oldest_due_job = db
        .fetch_optional(
            q("SELECT run_at FROM jobs WHERE status = 'QUEUED' AND run_at <= $1 ORDER BY run_at LIMIT 1")
                .bind(now_text()),
        )
        .await?
        .map(|r| r.text("run_at"))
        .transpose()?;
    let outbox_undispatched = db
        .fetch_optional(q(
            "SELECT COUNT(*) AS n FROM outbox WHERE dispatched_at IS NULL",
        ))
        .await?
        .map(|r| r.i64("n"))
        .transpose()?
        .unwrap_or(0);
    let oldest_undispatched_event = db
        // Written so both planners walk `outbox_undispatched` (ordering by seq alone, or
        // MIN(seq), made one of them scan the whole outbox from its oldest event).
        .fetch_optional(q(
            "SELECT created_at FROM outbox WHERE seq =
               (SELECT seq FROM outbox WHERE dispatched_at IS NULL ORDER BY dispatched_at, seq LIMIT 1)",
        ))
        .await?
        .map(|r| r.text("created_at"))
        .transpose()?;
    Ok(Snapshot {
        distributions,
        payments,
        statement_lines,
        oldest_due_job,
        outbox_undispatched,
        oldest_undispatched_event,
    })
}
