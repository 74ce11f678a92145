//! Job workers: claim due jobs from the durable queue, run their handler, retry failures on
//! the 5 min / 1 h / 1 day schedule, then park them as DEAD for manual review.
//!
//! This module knows job kinds only as strings: each capability registers its handlers in a
//! [`Handlers`] table (built in `lib.rs`), so the workers depend on no capability.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use clearway_core::retry::{next_delay, JOB_RETRY_DELAYS};
use clearway_store::jobs::{self, Job};
use clearway_store::{StoreError, Tx};
use tokio::sync::watch;
use tracing::Instrument;

use crate::state::AppState;

pub use clearway_app::jobs::{payload_text, JobError};

/// The future a job handler returns.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>>;

/// Runs one claimed job (state, job, worker id); completes the job in its own transaction.
pub type Handler = for<'a> fn(&'a AppState, &'a Job, &'a str) -> JobFuture<'a>;

/// The future a job's death hook returns.
pub type DeadFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

/// Runs, in the transaction that parks a job as DEAD, what its death must leave behind (the
/// payments it would have moved held for review): transaction, job, error.
pub type DeadHook = for<'a> fn(&'a mut Tx, &'a Job, &'a str) -> DeadFuture<'a>;

/// Which handler runs which job kind: exact kinds first, then the longest matching prefix.
#[derive(Clone, Default)]
pub struct Handlers {
    exact: Vec<(&'static str, Handler)>,
    prefixes: Vec<(&'static str, Handler)>,
    dead: Vec<(&'static str, DeadHook)>,
}

impl Handlers {
    /// An empty table.
    pub fn new() -> Handlers {
        Handlers::default()
    }

    /// Runs jobs of exactly this kind with `handler`.
    pub fn kind(mut self, kind: &'static str, handler: Handler) -> Handlers {
        self.exact.push((kind, handler));
        self
    }

    /// Runs jobs whose kind starts with `prefix` (e.g. `payment.`) with `handler`.
    pub fn prefix(mut self, prefix: &'static str, handler: Handler) -> Handlers {
        self.prefixes.push((prefix, handler));
        self
    }

    /// Runs `hook` when a job whose kind starts with `prefix` is parked as DEAD, in the same
    /// transaction.
    pub fn on_dead(mut self, prefix: &'static str, hook: DeadHook) -> Handlers {
        self.dead.push((prefix, hook));
        self
    }

    /// The death hook of a job kind (the longest matching prefix).
    fn dead_hook(&self, kind: &str) -> Option<DeadHook> {
        self.dead
            .iter()
            .filter(|(p, _)| kind.starts_with(p))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, h)| *h)
    }

    /// The handler of a job kind.
    pub fn find(&self, kind: &str) -> Option<Handler> {
        self.exact
            .iter()
            .find(|(k, _)| *k == kind)
            .or_else(|| {
                self.prefixes
                    .iter()
                    .filter(|(p, _)| kind.starts_with(p))
                    .max_by_key(|(p, _)| p.len())
            })
            .map(|(_, h)| *h)
    }
}

async fn dispatch(
    handlers: &Handlers,
    state: &AppState,
    job: &Job,
    worker_id: &str,
) -> Result<(), JobError> {
    match handlers.find(&job.kind) {
        Some(handler) => handler(state, job, worker_id).await,
        None => Err(JobError::Permanent(format!(
            "no handler for job kind '{}'",
            job.kind
        ))),
    }
}

/// Runs one claimed job and records a failure if it fails, in a span continuing the trace
/// the job was enqueued in (when tracing is on).
pub async fn run_one(handlers: &Handlers, state: &AppState, job: &Job, worker_id: &str) {
    let span = crate::observability::propagation::job_span(job);
    run_traced(handlers, state, job, worker_id)
        .instrument(span)
        .await
}

async fn run_traced(handlers: &Handlers, state: &AppState, job: &Job, worker_id: &str) {
    let lease = state.config.job_lease;
    // Jobs are claimed in batches: the lease of one waiting its turn may have run out.
    match jobs::extend_lease(&state.db, job, worker_id, lease).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(job_id = %job.id, "lease taken over by another worker before the job started; skipped");
            return;
        }
        Err(e) => tracing::warn!(job_id = %job.id, error = %e, "could not extend the job's lease"),
    }
    // A heartbeat keeps the lease while the job runs, so a job longer than one lease is not
    // taken over (and rolled back at its end) while it is still alive; a killed worker stops
    // beating and its job is taken over after one lease, as before.
    let heartbeat = {
        let (db, job, worker_id) = (state.db.clone(), job.clone(), worker_id.to_string());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                match jobs::extend_lease(&db, &job, &worker_id, lease).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(job_id = %job.id, error = %e, "could not extend the job's lease")
                    }
                }
            }
        })
    };
    let started = std::time::Instant::now();
    let outcome = dispatch(handlers, state, job, worker_id).await;
    heartbeat.abort();
    metrics::histogram!("clearway_job_seconds", "kind" => job.kind.clone())
        .record(started.elapsed().as_secs_f64());
    if let Err(error) = outcome {
        let retry_at = match &error {
            JobError::Retryable(_) if job.attempts < job.max_attempts => {
                next_delay(&JOB_RETRY_DELAYS, job.attempts as u32)
                    .map(|d| Utc::now() + chrono::Duration::from_std(d).unwrap_or_default())
            }
            _ => None,
        };
        metrics::counter!("clearway_job_failures_total", "kind" => job.kind.clone()).increment(1);
        tracing::warn!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, %error, retry_at = ?retry_at, "job failed");
        let error = error.to_string();
        if let (None, Some(hook)) = (retry_at, handlers.dead_hook(&job.kind)) {
            match record_death(state, hook, job, worker_id, &error).await {
                Ok(()) => return,
                // The job is parked all the same; the orphan gauge shows what stayed behind.
                Err(e) => {
                    tracing::error!(job_id = %job.id, error = %e, "the job's death hook failed")
                }
            }
        }
        if let Err(e) = jobs::fail(&state.db, job, worker_id, &error, retry_at).await {
            tracing::error!(job_id = %job.id, error = %e, "could not record job failure; the lease will expire and it will run again");
        }
    }
}

/// Parks a job as DEAD together with its death hook's effects, in one transaction.
async fn record_death(
    state: &AppState,
    hook: DeadHook,
    job: &Job,
    worker_id: &str,
    error: &str,
) -> Result<(), StoreError> {
    let mut tx = state.db.begin().await?;
    hook(&mut tx, job, error).await?;
    jobs::fail_in(&mut tx, job, worker_id, error, None).await?;
    tx.commit().await?;
    state.events_ready.notify_one();
    Ok(())
}

/// One worker loop; stops when `shutdown` flips to true.
pub async fn worker(
    handlers: Arc<Handlers>,
    state: AppState,
    worker_id: String,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let claimed = jobs::claim(&state.db, &worker_id, state.config.job_lease, 16).await;
        let busy = match claimed {
            Ok(batch) => {
                let n = batch.len();
                run_batch(&handlers, &state, batch, &worker_id, &shutdown).await;
                n > 0
            }
            Err(e) => {
                tracing::error!(error = %e, "claiming jobs failed");
                false
            }
        };
        if !busy {
            tokio::select! {
                _ = state.jobs_ready.notified() => {}
                _ = tokio::time::sleep(state.config.poll_interval) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// Runs a claimed batch in order. The jobs still waiting when half a lease has passed go back
/// to the queue for other workers, whether or not a job is running then: a job that started
/// just before that point and ran long would otherwise leave them waiting until their leases
/// ran out, and another worker would take them over (a second attempt for a job that ran
/// once). On shutdown, the job in hand is finished and the rest goes back.
async fn run_batch(
    handlers: &Handlers,
    state: &AppState,
    batch: Vec<Job>,
    worker_id: &str,
    shutdown: &watch::Receiver<bool>,
) {
    let batch = Arc::new(batch);
    // The index of the next job to start; None once the rest of the batch is given back.
    let next = Arc::new(std::sync::Mutex::new(Some(0usize)));
    let keeper = {
        let (batch, next, state) = (batch.clone(), next.clone(), state.clone());
        let (worker_id, half) = (worker_id.to_string(), state.config.job_lease / 2);
        tokio::spawn(async move {
            tokio::time::sleep(half).await;
            let from = next.lock().unwrap_or_else(|e| e.into_inner()).take();
            for job in batch.iter().skip(from.unwrap_or(usize::MAX)) {
                release(&state, job, &worker_id).await;
            }
        })
    };
    loop {
        let i = {
            let mut next = next.lock().unwrap_or_else(|e| e.into_inner());
            match *next {
                Some(i) if i < batch.len() && !*shutdown.borrow() => {
                    *next = Some(i + 1);
                    i
                }
                _ => break,
            }
        };
        run_one(handlers, state, &batch[i], worker_id).await;
    }
    let rest = next.lock().unwrap_or_else(|e| e.into_inner()).take();
    match rest {
        // The batch ended (or shutdown came) before half a lease: the rest is ours to give back.
        Some(from) => {
            keeper.abort();
            for job in batch.iter().skip(from) {
                release(state, job, worker_id).await;
            }
        }
        // The keeper took the rest: let it finish giving it back.
        None => {
            let _ = keeper.await;
        }
    }
}

async fn release(state: &AppState, job: &Job, worker_id: &str) {
    if let Err(e) = jobs::release(&state.db, job, worker_id).await {
        tracing::warn!(job_id = %job.id, error = %e, "could not give back a claimed job; it runs once its lease expires");
    }
}

/// How long shutdown waits for the workers to finish their current job (and in-flight
/// requests to complete), in all.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
