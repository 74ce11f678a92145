//! The `distribution.process` job: takes an APPROVED→PROCESSING distribution to COMPLETED.
//!
//! This is the orchestration of several capabilities (distributions, reinvestment, payments),
//! so it lives beside them rather than inside `distributions`.
//!
//! Steps run in one transaction together with the job's completion, so a crash at any point
//! leaves the distribution PROCESSING with nothing half-done, and the job runs again once
//! its lease expires. A job that finds the distribution no longer PROCESSING does nothing:
//! re-running it never emits a second event. The steps: tie-out check, withholding
//! ([`crate::tax::withholding::step`]), reinvestment
//! ([`crate::reinvestment::step()`]), flagging the open distributions whose record-date
//! holdings it changed ([`crate::distributions::stale::after_processing`]), recovery
//! ([`crate::recovery::step()`]: a reversal's receivables, or offsets of what investors owe),
//! payments ([`crate::payments::step()`]), completion, and the forecasting hook
//! ([`crate::forecast::stored::after_completion`], which queues the forecast snapshot job).

use clearway_core::distribution::{Action, Status};
use clearway_store::distributions as store;
use clearway_store::jobs::{self, Job};
use clearway_store::{Actor, Db, Tx};

use crate::jobs::{payload_text, JobError};

/// Runs one processing job (of kind [`crate::distributions::PROCESS_JOB`]); the caller wakes
/// the outbox relay after it returns, as its events are committed by then.
/// `limits` decide which ACH credits are too large for a file (see [`crate::payments::step()`]).
pub async fn run(
    db: &Db,
    limits: &clearway_core::payments::limits::AchLimits,
    job: &Job,
    worker_id: &str,
) -> Result<(), JobError> {
    let id = payload_text(job, "distributionId")?;
    let actor = Actor::system(&job.org_id);
    let mut tx = db.begin().await?;
    let current = store::get_tx(&mut tx, &actor, &id).await?;
    if current.status != Status::Processing {
        // Already completed by an earlier run (or cancelled): nothing to do, nothing to emit.
        jobs::finish(&mut tx, job, worker_id).await?;
        tx.commit().await?;
        return Ok(());
    }
    verify_ties_out(&mut tx, &actor, &current).await?;
    // Withholding first: it sets each line's withheld amount, which is never reinvested or paid.
    crate::tax::withholding::step(&mut tx, &actor, &current).await?;
    // Reinvestment next (it decides each line's cash part), then payments of the cash parts.
    crate::reinvestment::step(&mut tx, &actor, &current).await?;
    crate::distributions::stale::after_processing(&mut tx, &actor, &current).await?;
    // Receivables of a reversal's paid lines; offsets of what investors owe from their cash.
    crate::recovery::step(&mut tx, &actor, &current).await?;
    crate::payments::step(&mut tx, &actor, &current, limits).await?;
    // In kind: lots delivered (or returned by a reversal), the fund's position moved.
    crate::inkind::step(&mut tx, &actor, &current).await?;
    let completed = store::transition(&mut tx, &actor, &current, Action::Complete).await?;
    crate::distributions::trail(
        &mut tx,
        &actor,
        "distribution.complete",
        "distribution.completed",
        Some(&current),
        &completed,
    )
    .await
    .map_err(|e| JobError::Retryable(e.to_string()))?;
    // Forecasting, queued: the errors of stored forecasts for this period, and a fresh snapshot.
    crate::forecast::stored::after_completion(&mut tx, &actor, &completed)
        .await
        .map_err(|e| JobError::Retryable(e.to_string()))?;
    jobs::finish(&mut tx, job, worker_id).await?;
    tx.commit().await?;
    Ok(())
}

/// The stored lines must still sum to the header total, line by line and in count.
async fn verify_ties_out(
    tx: &mut Tx,
    actor: &Actor,
    d: &store::Distribution,
) -> Result<(), JobError> {
    let lines = store::line_summary_tx(tx, actor, &d.id).await?;
    if lines.count != d.line_count || lines.total_minor != d.total_minor {
        return Err(JobError::Permanent(format!(
            "lines do not tie out: {} lines totalling {} vs header {} lines totalling {}",
            lines.count, lines.total_minor, d.line_count, d.total_minor
        )));
    }
    Ok(())
}
