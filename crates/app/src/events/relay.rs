//! The relay's bookkeeping: outbox events fanned out into per-subscription deliveries, and
//! each delivery attempt recorded (delivered, or failed with its next retry or parked).

use chrono::Utc;
use clearway_core::retry::{next_delay, WEBHOOK_RETRY_DELAYS};
use clearway_store::webhooks::Delivery;
use clearway_store::{outbox, webhooks, Db};

use crate::AppResult;

/// Moves undispatched outbox events into per-subscription deliveries, in one transaction;
/// returns how many events.
pub async fn fan_out(db: &Db) -> AppResult<usize> {
    let mut tx = db.begin().await?;
    let events = outbox::undispatched(&mut tx, 500).await?;
    for event in &events {
        webhooks::fan_out(&mut tx, event).await?;
        outbox::mark_dispatched(&mut tx, &event.id).await?;
    }
    tx.commit().await?;
    Ok(events.len())
}

/// Records one attempt of a delivery: `status` is the receiver's HTTP status (none when the
/// request failed), `outcome` why it failed. A failure is retried after the next webhook
/// retry delay, or parked when there is none left.
pub async fn record_attempt(
    db: &Db,
    d: &Delivery,
    status: Option<u16>,
    outcome: Result<(), String>,
) -> AppResult<()> {
    let outcome = outcome.map_err(|error| {
        // An attempt count past u32 is past every retry delay: no retry (parked).
        let attempt = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
        // The retry delays are minutes to hours: always within chrono's range.
        let retry_at = next_delay(&WEBHOOK_RETRY_DELAYS, attempt)
            .map(|delay| Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default());
        tracing::warn!(delivery = %d.id, event = %d.event_id, attempt = d.attempts + 1, %error, "webhook delivery failed");
        (error, retry_at)
    });
    webhooks::record_attempt(db, &d.id, status, outcome).await?;
    Ok(())
}
