//! The outbox relay: fan-out, signed delivery, retries. The bookkeeping (fan-out into
//! deliveries, attempts recorded with their retry) is `clearway_app::events`; here the
//! signed HTTP POST with the shared client.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use clearway_app::{events, AppResult};
use clearway_store::{outbox, webhooks, StoreError};
use tokio::sync::watch;
use tracing::Instrument;

use super::dto::EventView;
use crate::leader::Leader;
use crate::observability::propagation;
use crate::state::AppState;

pub use crate::http::signature::{sign, verify, SIGNATURE_HEADER};

/// Attempts every due delivery once; returns how many were attempted.
pub async fn deliver_due(state: &AppState) -> AppResult<usize> {
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
        // Checked again on every attempt: IP-literal hosts never reach the client's resolver,
        // and the URL may predate the policy. The resolver re-checks what is connected to.
        if let Err(e) = state.config.outbound.check(&d.url).await {
            record(
                state,
                d,
                None,
                Err(format!("refused by the outbound policy: {e}")),
            )
            .await?;
            continue;
        }
        // The relay runs in the lease holder only, but a holder that lost its lease mid-pass
        // may still be here: taking the delivery first means two processes never send it
        // at the same time.
        let hold = state.config.webhook_timeout * 2 + std::time::Duration::from_secs(5);
        if !webhooks::take(&state.db, d, hold).await? {
            continue;
        }
        let span = delivery_span(state, &event).await;
        let mut request = state
            .http
            .post(&d.url)
            .timeout(state.config.webhook_timeout)
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, sign(&d.secret, now, &body))
            .header("Clearway-Event-Id", &event.id)
            .header("Clearway-Event-Type", &event.event_type);
        if let Some(traceparent) = propagation::traceparent_of(&span) {
            request = request.header(propagation::TRACEPARENT, traceparent);
        }
        let result = request.body(body).send().instrument(span.clone()).await;
        let (status, outcome) = match result {
            Ok(resp) if resp.status().is_success() => (Some(resp.status().as_u16()), Ok(())),
            Ok(resp) => (
                Some(resp.status().as_u16()),
                Err(format!("receiver answered {}", resp.status())),
            ),
            Err(e) => (None, Err(format!("request failed: {e}"))),
        };
        if let Some(code) = status {
            span.record("http.response.status_code", code);
        }
        record(state, d, status, outcome).await?;
    }
    Ok(due.len())
}

/// The delivery's span, continuing the trace its event was written in (read only when
/// tracing is on).
async fn delivery_span(state: &AppState, event: &outbox::Event) -> tracing::Span {
    if !crate::observability::active() {
        return tracing::Span::none();
    }
    let traceparent = outbox::traceparent(&state.db, &event.id)
        .await
        .unwrap_or_default();
    propagation::delivery_span(&event.event_type, &event.id, traceparent.as_deref())
}

async fn record(
    state: &AppState,
    d: &webhooks::Delivery,
    status: Option<u16>,
    outcome: Result<(), String>,
) -> AppResult<()> {
    metrics::counter!("clearway_webhook_attempts_total", "outcome" => if outcome.is_ok() { "delivered" } else { "failed" }).increment(1);
    let max = state.config.webhook_max_failures;
    events::record_attempt(&state.db, &state.webhook_failures, d, status, outcome, max).await?;
    Ok(())
}

/// The relay loop; stops when `shutdown` flips to true.
pub async fn run(state: AppState, leader: Arc<Leader>, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            leader.release().await;
            return;
        }
        if !leader.holds().await {
            tokio::select! {
                _ = tokio::time::sleep(leader.retry_after()) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        let mut busy = false;
        match events::fan_out(&state.db, &state.config.streams.sink_names()).await {
            Ok(n) => {
                busy |= n > 0;
                if n > 0 {
                    state.streams_ready.notify_waiters();
                }
            }
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
