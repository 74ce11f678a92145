//! The relay's bookkeeping: outbox events fanned out into per-subscription deliveries, and
//! each delivery attempt recorded (delivered, or failed with its next retry or parked), with
//! subscriptions that keep failing disabled and failure warnings rate-limited.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use clearway_core::retry::{
    backoff, WEBHOOK_BACKOFF_BASE, WEBHOOK_BACKOFF_CAP, WEBHOOK_MAX_ATTEMPTS,
};
use clearway_store::audit::{self, Change};
use clearway_store::webhooks::Delivery;
use clearway_store::{outbox, streams, webhooks, Actor, Db, StoreError};
use serde_json::json;

use crate::AppResult;

/// Moves undispatched outbox events into per-subscription deliveries and enrolls them for
/// each configured stream sink (`sinks`, see [`super::streams`]), in one transaction; returns
/// how many events.
pub async fn fan_out(db: &Db, sinks: &[&str]) -> AppResult<usize> {
    let mut tx = db.begin().await?;
    let events = outbox::undispatched(&mut tx, 1_000).await?;
    if events.is_empty() {
        return Ok(0);
    }
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    // Marked first: a second relay racing on the same rows (a lease lost mid-pass) waits on
    // their locks, then marks none and rolls back instead of fanning them out again.
    let marked = outbox::mark_dispatched(&mut tx, &seqs).await?;
    if marked != seqs.len() as u64 {
        return Err(StoreError::Conflict(format!(
            "{} of {} events were dispatched by another relay",
            seqs.len() as u64 - marked,
            seqs.len()
        ))
        .into());
    }
    webhooks::fan_out(&mut tx, &events).await?;
    streams::enroll(&mut tx, sinks, &events).await?;
    tx.commit().await?;
    Ok(events.len())
}

/// Records one attempt of a delivery: `status` is the receiver's HTTP status (none when the
/// request failed), `outcome` why it failed. A failure is retried after an exponential,
/// jittered backoff, or parked when attempts are spent; the `max_failures`th failure in a row
/// disables the subscription (audited). Returns true when this attempt disabled it.
pub async fn record_attempt(
    db: &Db,
    log: &FailureLog,
    d: &Delivery,
    status: Option<u16>,
    outcome: Result<(), String>,
    max_failures: u32,
) -> AppResult<bool> {
    // An attempt count past u32 is past every retry: no retry (parked).
    let attempt = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
    let outcome = outcome.map_err(|error| {
        let delay = backoff(
            WEBHOOK_BACKOFF_BASE,
            WEBHOOK_BACKOFF_CAP,
            WEBHOOK_MAX_ATTEMPTS,
            attempt,
            jitter_permille(),
        );
        // The waits are seconds to hours: always within chrono's range.
        let retry_at =
            delay.map(|delay| Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default());
        log_failure(log, d, attempt, &error);
        (error, retry_at)
    });
    let mut tx = db.begin().await?;
    let disabled =
        webhooks::record_attempt(&mut tx, d, status, outcome, i64::from(max_failures)).await?;
    if disabled {
        audit::record(
            &mut tx,
            &Actor::system(&d.org_id),
            Change {
                action: "webhook.disable",
                entity_type: "webhook",
                entity_id: &d.subscription_id,
                before: None,
                after: Some(json!({ "consecutiveFailures": max_failures })),
            },
        )
        .await?;
    }
    tx.commit().await?;
    if disabled {
        tracing::warn!(subscription = %d.subscription_id, failures = max_failures, "webhook subscription disabled after consecutive failed deliveries; an admin can enable it again");
    }
    Ok(disabled)
}

/// A uniformly random 0–1000 for the backoff's jitter; the middle when the OS has no
/// randomness to give (the wait is then merely not spread).
fn jitter_permille() -> u32 {
    let mut b = [0u8; 2];
    match getrandom::getrandom(&mut b) {
        Ok(()) => u32::from(u16::from_le_bytes(b)) % 1001,
        Err(_) => 500,
    }
}

fn log_failure(log: &FailureLog, d: &Delivery, attempt: u32, error: &str) {
    match log.decide(&d.subscription_id, Instant::now()) {
        LogDecision::Warn { suppressed } => {
            tracing::warn!(subscription = %d.subscription_id, delivery = %d.id, event = %d.event_id, attempt, %error, suppressed, "webhook delivery failed")
        }
        LogDecision::Debug => {
            tracing::debug!(subscription = %d.subscription_id, delivery = %d.id, event = %d.event_id, attempt, %error, "webhook delivery failed")
        }
    }
}

/// How to log one failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogDecision {
    /// At WARN, with how many failures of this key were logged at debug since the last WARN.
    Warn {
        /// Failures logged at debug level since the previous warning.
        suppressed: u64,
    },
    /// At debug (a warning for this key went out within the interval).
    Debug,
}

/// Rate limit of failure warnings: one WARN per key (subscription) per interval, the rest at
/// debug, so a dead receiver cannot flood the log.
#[derive(Debug)]
pub struct FailureLog {
    interval: Duration,
    windows: Mutex<HashMap<String, (Instant, u64)>>,
}

/// Most keys remembered; the map is emptied when full (bounded; at worst one extra WARN each).
const FAILURE_LOG_KEYS: usize = 10_000;

impl Default for FailureLog {
    fn default() -> Self {
        FailureLog::new(Duration::from_secs(60))
    }
}

impl FailureLog {
    /// One warning per key per `interval`.
    pub fn new(interval: Duration) -> FailureLog {
        FailureLog {
            interval,
            windows: Mutex::default(),
        }
    }

    /// How to log a failure of `key` happening at `now`.
    pub fn decide(&self, key: &str, now: Instant) -> LogDecision {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((started, suppressed)) = windows.get_mut(key) {
            if now.saturating_duration_since(*started) < self.interval {
                *suppressed += 1;
                return LogDecision::Debug;
            }
            let before = *suppressed;
            *started = now;
            *suppressed = 0;
            return LogDecision::Warn { suppressed: before };
        }
        if windows.len() >= FAILURE_LOG_KEYS {
            windows.clear();
        }
        windows.insert(key.to_string(), (now, 0));
        LogDecision::Warn { suppressed: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 17,000 failures of one dead receiver within ten minutes make ten warnings, each
    /// telling how many were suppressed; another subscription has its own window.
    #[test]
    fn failure_warnings_are_one_per_subscription_per_interval() {
        let log = FailureLog::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let mut warns = Vec::new();
        for i in 0..17_000u64 {
            let now = t0 + Duration::from_millis(i * 600_000 / 17_000);
            if let LogDecision::Warn { suppressed } = log.decide("sub_dead", now) {
                warns.push(suppressed);
            }
        }
        assert_eq!(warns.len(), 10);
        assert_eq!(warns[0], 0);
        assert!(warns[1..].iter().all(|&s| s > 1_500), "{warns:?}");
        // Every failure is accounted for: warned, reported as suppressed, or pending report.
        let reported: u64 = warns.iter().sum();
        assert_eq!(reported + 10 + suppressed_tail(&log), 17_000);
        assert_eq!(
            log.decide("sub_other", t0),
            LogDecision::Warn { suppressed: 0 }
        );
    }

    fn suppressed_tail(log: &FailureLog) -> u64 {
        log.windows.lock().unwrap()["sub_dead"].1
    }
}
