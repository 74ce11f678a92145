//! The outbox relay: fan-out, signed delivery, retries.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::Utc;
use clearway_core::retry::{next_delay, WEBHOOK_RETRY_DELAYS};
use clearway_store::{outbox, webhooks, StoreError};
use tokio::sync::watch;

use super::dto::EventView;
use crate::state::AppState;

pub use crate::http::signature::{sign, verify, SIGNATURE_HEADER};

/// Moves undispatched outbox events into per-subscription deliveries; returns how many events.
pub async fn fan_out(state: &AppState) -> Result<usize, StoreError> {
    let mut tx = state.db.begin().await?;
    let events = outbox::undispatched(&mut tx, 500).await?;
    for event in &events {
        webhooks::fan_out(&mut tx, event).await?;
        outbox::mark_dispatched(&mut tx, &event.id).await?;
    }
    tx.commit().await?;
    Ok(events.len())
}

/// Attempts every due delivery once; returns how many were attempted.
pub async fn deliver_due(state: &AppState) -> Result<usize, StoreError> {
    let due = webhooks::due(&state.db, 100).await?;
    for d in &due {
        let event = outbox::get(&state.db, &d.event_id).await?;
        // Strings, numbers and a parsed JSON value: serialising cannot fail, and a delivery
        // never goes out with an empty body.
        let body = serde_json::to_vec(&EventView::from(&event))
            .map_err(|e| StoreError::Corrupt(format!("event {}: {e}", event.id)))?;
        // A clock before 1970 signs with 0: receivers refuse the stale timestamp, and the
        // delivery is retried like any refused one.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let result = state
            .http
            .post(&d.url)
            .timeout(state.config.webhook_timeout)
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, sign(&d.secret, now, &body))
            .header("Clearway-Event-Id", &event.id)
            .header("Clearway-Event-Type", &event.event_type)
            .body(body)
            .send()
            .await;
        let (status, outcome) = match result {
            Ok(resp) if resp.status().is_success() => (Some(resp.status().as_u16()), Ok(())),
            Ok(resp) => (
                Some(resp.status().as_u16()),
                Err(format!("receiver answered {}", resp.status())),
            ),
            Err(e) => (None, Err(format!("request failed: {e}"))),
        };
        let outcome = outcome.map_err(|error| {
            // An attempt count past u32 is past every retry delay: no retry (parked).
            let attempt = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
            // The retry delays are minutes to hours: always within chrono's range.
            let retry_at = next_delay(&WEBHOOK_RETRY_DELAYS, attempt)
                .map(|delay| Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default());
            tracing::warn!(delivery = %d.id, event = %d.event_id, attempt = d.attempts + 1, %error, "webhook delivery failed");
            (error, retry_at)
        });
        metrics::counter!("clearway_webhook_attempts_total", "outcome" => if outcome.is_ok() { "delivered" } else { "failed" }).increment(1);
        webhooks::record_attempt(&state.db, &d.id, status, outcome).await?;
    }
    Ok(due.len())
}

/// The relay loop; stops when `shutdown` flips to true.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let mut busy = false;
        match fan_out(&state).await {
            Ok(n) => busy |= n > 0,
            Err(e) => tracing::error!(error = %e, "outbox fan-out failed"),
        }
        match deliver_due(&state).await {
            Ok(n) => busy |= n > 0,
            Err(e) => tracing::error!(error = %e, "webhook delivery failed"),
        }
        if !busy {
            tokio::select! {
                _ = state.events_ready.notified() => {}
                _ = tokio::time::sleep(state.config.poll_interval) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
