//! The durable job queue. A job is claimed under a lease; its handler's effects and the job's
//! completion commit in one transaction ([`finish`] checks the lease is still held), so a
//! worker killed at any point leaves either nothing done or everything done, and the job is
//! claimed again once its lease expires.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{new_id, now_text, q, time_text, Actor, Db, StoreError, Tx};

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Id.
    pub id: String,
    /// Organization it runs for.
    pub org_id: String,
    /// Handler name, e.g. `distribution.process`.
    pub kind: String,
    /// Handler input.
    pub payload: Value,
    /// Attempt number of this run (1 for the first).
    pub attempts: i64,
    /// Attempts allowed before the job is parked as DEAD for manual review.
    pub max_attempts: i64,
    /// W3C trace context of the request or job that enqueued it (its run continues that trace).
    pub traceparent: Option<String>,
}

/// Enqueues a job inside `tx`. With a `dedupe_key`, a second enqueue for the same purpose is a
/// no-op (returns `None`).
pub async fn enqueue(
    tx: &mut Tx,
    actor: &Actor,
    kind: &str,
    payload: Value,
    dedupe_key: Option<&str>,
    max_attempts: i64,
) -> Result<Option<String>, StoreError> {
    let id = new_id();
    let now = now_text();
    let inserted = tx
        .execute(
            q("INSERT INTO jobs (id, org_id, kind, payload, dedupe_key, status, attempts, max_attempts, run_at, created_at, updated_at, traceparent)
               VALUES ($1, $2, $3, $4, $5, 'QUEUED', 0, $6, $7, $7, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING")
                .bind(&id)
                .bind(&actor.org_id)
                .bind(kind)
                .bind(payload.to_string())
                .bind(dedupe_key)
                .bind(max_attempts)
                .bind(now)
                .bind(crate::trace::traceparent()),
        )
        .await?;
    Ok((inserted == 1).then_some(id))
}

/// Enqueues a job inside `tx` to run no earlier than `run_at` (scheduled retries). With a
/// `dedupe_key`, a second enqueue for the same purpose is a no-op (returns `None`).
pub async fn enqueue_at(
    tx: &mut Tx,
    actor: &Actor,
    kind: &str,
    payload: Value,
    dedupe_key: Option<&str>,
    max_attempts: i64,
    run_at: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    let id = new_id();
    let now = now_text();
    let inserted = tx
        .execute(
            q("INSERT INTO jobs (id, org_id, kind, payload, dedupe_key, status, attempts, max_attempts, run_at, created_at, updated_at, traceparent)
               VALUES ($1, $2, $3, $4, $5, 'QUEUED', 0, $6, $7, $8, $8, $9) ON CONFLICT (dedupe_key) DO NOTHING")
                .bind(&id)
                .bind(&actor.org_id)
                .bind(kind)
                .bind(payload.to_string())
                .bind(dedupe_key)
                .bind(max_attempts)
                .bind(time_text(run_at))
                .bind(now)
                .bind(crate::trace::traceparent()),
        )
        .await?;
    Ok((inserted == 1).then_some(id))
}

const CLAIMABLE: &str =
    "((status = 'QUEUED' AND run_at <= $1) OR (status = 'RUNNING' AND locked_until < $1))";

/// When a lease taken at `now` runs out (as stored text).
fn lease_end(now: DateTime<Utc>, lease: Duration) -> String {
    time_text(now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30)))
}

/// Claims up to `limit` due jobs (and jobs whose lease expired) for `worker_id`.
pub async fn claim(
    db: &Db,
    worker_id: &str,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Job>, StoreError> {
    let now = Utc::now();
    let now_s = time_text(now);
    let until = lease_end(now, lease);
    let mut tx = db.begin().await?;
    // SKIP LOCKED only spares PostgreSQL workers from queueing on each other's rows; the
    // conditional UPDATE below is what guarantees a job is claimed once.
    let lock = crate::db::dialect::skip_locked(tx.backend());
    let ids = tx
        .fetch_all(
            q(format!(
                "SELECT id FROM jobs WHERE {CLAIMABLE} ORDER BY run_at, id LIMIT $2{lock}"
            ))
            .bind(&now_s)
            .bind(limit),
        )
        .await?;
    let mut jobs = Vec::new();
    for row in ids {
        let id = row.text("id")?;
        let claimed = tx
            .fetch_optional(
                q(format!("UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, locked_by = $2, locked_until = $3, updated_at = $1
                           WHERE id = $4 AND {CLAIMABLE}
                           RETURNING id, org_id, kind, payload, attempts, max_attempts, traceparent"))
                    .bind(&now_s)
                    .bind(worker_id)
                    .bind(&until)
                    .bind(&id),
            )
            .await?;
        if let Some(r) = claimed {
            jobs.push(Job {
                id: r.text("id")?,
                org_id: r.text("org_id")?,
                kind: r.text("kind")?,
                payload: serde_json::from_str(&r.text("payload")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                attempts: r.i64("attempts")?,
                max_attempts: r.i64("max_attempts")?,
                traceparent: r.opt_text("traceparent")?,
            });
        }
    }
    tx.commit().await?;
    Ok(jobs)
}

/// Extends the lease of a job this worker is running (a heartbeat), so that a job running
/// longer than one lease is not taken over and run twice; `false` when the lease is no longer
/// this worker's (another worker took the job over).
pub async fn extend_lease(
    db: &Db,
    job: &Job,
    worker_id: &str,
    lease: Duration,
) -> Result<bool, StoreError> {
    let until = lease_end(Utc::now(), lease);
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE jobs SET locked_until = $1 WHERE id = $2 AND status = 'RUNNING' AND locked_by = $3 AND attempts = $4")
                .bind(&until)
                .bind(&job.id)
                .bind(worker_id)
                .bind(job.attempts),
        )
        .await?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Marks a job done inside the handler's transaction; fails if the lease was lost (another
/// worker took the job over), which rolls the handler's work back with it.
pub async fn finish(tx: &mut Tx, job: &Job, worker_id: &str) -> Result<(), StoreError> {
    let done = tx
        .execute(
            q("UPDATE jobs SET status = 'DONE', locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = $1
               WHERE id = $2 AND status = 'RUNNING' AND locked_by = $3 AND attempts = $4")
                .bind(now_text())
                .bind(&job.id)
                .bind(worker_id)
                .bind(job.attempts),
        )
        .await?;
    lease_held(done, job)
}

/// One row updated: the lease was still this worker's; none: another worker took the job.
fn lease_held(updated: u64, job: &Job) -> Result<(), StoreError> {
    if updated == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "lease on job {} was lost",
            job.id
        )))
    }
}

/// Puts a running job back in the queue until `run_at` with `payload`, inside the handler's
/// transaction and the attempt not counted: a job waiting for its time (an ACH cut), not a
/// failure. Fails like [`finish`] if the lease was lost.
pub async fn postpone(
    tx: &mut Tx,
    job: &Job,
    worker_id: &str,
    run_at: DateTime<Utc>,
    payload: &Value,
) -> Result<(), StoreError> {
    let n = tx
        .execute(
            q("UPDATE jobs SET status = 'QUEUED', attempts = attempts - 1, run_at = $1, payload = $2, locked_by = NULL, locked_until = NULL, updated_at = $3
               WHERE id = $4 AND status = 'RUNNING' AND locked_by = $5 AND attempts = $6")
                .bind(time_text(run_at))
                .bind(payload.to_string())
                .bind(now_text())
                .bind(&job.id)
                .bind(worker_id)
                .bind(job.attempts),
        )
        .await?;
    lease_held(n, job)
}

/// Records a failed attempt: re-queued at `retry_at`, or parked as DEAD when `None`.
pub async fn fail(
    db: &Db,
    job: &Job,
    worker_id: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    fail_in(&mut tx, job, worker_id, error, retry_at).await?;
    tx.commit().await
}

/// [`fail`] inside the caller's transaction, so what a job's death leaves behind (its payments
/// held for review) commits with it.
pub async fn fail_in(
    tx: &mut Tx,
    job: &Job,
    worker_id: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let (status, run_at) = match retry_at {
        Some(at) => ("QUEUED", time_text(at)),
        None => ("DEAD", now_text()),
    };
    tx.execute(
        q("UPDATE jobs SET status = $1, run_at = $2, last_error = $3, locked_by = NULL, locked_until = NULL, updated_at = $4
           WHERE id = $5 AND locked_by = $6 AND attempts = $7")
            .bind(status)
            .bind(run_at)
            .bind(error)
            .bind(now_text())
            .bind(&job.id)
            .bind(worker_id)
            .bind(job.attempts),
    )
    .await?;
    Ok(())
}

/// Gives back a job claimed but not started (its worker is shutting down): queued again at
/// once, the attempt not counted, so another process runs it without waiting out the lease.
pub async fn release(db: &Db, job: &Job, worker_id: &str) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE jobs SET status = 'QUEUED', attempts = attempts - 1, locked_by = NULL, locked_until = NULL, updated_at = $1
               WHERE id = $2 AND status = 'RUNNING' AND locked_by = $3 AND attempts = $4")
                .bind(now_text())
                .bind(&job.id)
                .bind(worker_id)
                .bind(job.attempts),
        )
        .await?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Number of jobs per status (for metrics and tests).
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    db.fetch_all(q(
        "SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status",
    ))
    .await?
    .iter()
    .map(|r| Ok((r.text("status")?, r.i64("n")?)))
    .collect()
}
