//! Event streams: the outbox relayed to NATS JetStream ([`nats`]) and to a Kafka-protocol
//! broker ([`kafka`]), each optional, each in its own loop under its own lease
//! (`stream-nats`, `stream-kafka`). Events wait in `stream_pending` until their broker
//! acknowledged them (`clearway_app::events::streams`); a broker that is down leaves them
//! pending, and they drain in order once it is back. Consumer guide: `docs/events.md`.

pub mod kafka;
pub mod nats;
pub mod pages;
pub mod routes;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clearway_app::events::streams::{relay_batch, Sink};
use clearway_store::outbox::Event;
use clearway_store::{streams, Db};
use tokio::sync::watch;

use super::dto::EventView;
use crate::leader::Leader;
use crate::state::AppState;
pub use crate::state::StreamsConfig;

/// Starts a loop per configured sink.
pub fn spawn(
    state: &AppState,
    leader: impl Fn(&'static str) -> Arc<Leader>,
    shutdown: &watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    if let Some(cfg) = &state.config.streams.nats {
        let sink = nats::NatsSink::new(cfg.clone());
        let lease = leader("stream-nats");
        tasks.push(tokio::spawn(run(
            state.clone(),
            sink,
            lease,
            shutdown.clone(),
        )));
    }
    if let Some(cfg) = &state.config.streams.kafka {
        let sink = kafka::KafkaSink::new(cfg.clone());
        let lease = leader("stream-kafka");
        tasks.push(tokio::spawn(run(
            state.clone(),
            sink,
            lease,
            shutdown.clone(),
        )));
    }
    tasks
}

/// The JSON body of a published event: the webhook body.
pub fn body(event: &Event) -> Result<Vec<u8>, String> {
    serde_json::to_vec(&EventView::from(event)).map_err(|e| format!("event {}: {e}", event.id))
}

/// One sink's relay loop; stops when `shutdown` flips to true.
pub async fn run<S: Sink>(
    state: AppState,
    sink: S,
    leader: Arc<Leader>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut outage = Outage::default();
    let mut gauges_at: Option<Instant> = None;
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
        if gauges_at.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
            update_gauges(&state.db, sink.name()).await;
            gauges_at = Some(Instant::now());
        }
        let wait = match relay_batch(&state.db, &sink, state.config.streams.batch).await {
            Ok(done) if done.events.is_empty() => {
                outage.recovered(sink.name());
                Some(state.config.poll_interval)
            }
            Ok(done) => {
                outage.recovered(sink.name());
                record_published(sink.name(), &done.events);
                None
            }
            Err(e) => Some(outage.failed(sink.name(), &e, state.config.streams.retry_cap)),
        };
        if let Some(wait) = wait {
            tokio::select! {
                _ = state.streams_ready.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// A sink's current failure streak: logged once when it starts and once when it ends, the
/// attempts in between at debug; the wait between attempts doubles up to a cap.
#[derive(Debug, Default)]
struct Outage {
    since: Option<Instant>,
    failures: u32,
}

impl Outage {
    fn failed(&mut self, sink: &str, error: &dyn std::fmt::Display, cap: Duration) -> Duration {
        self.failures = self.failures.saturating_add(1);
        if self.since.is_none() {
            self.since = Some(Instant::now());
            tracing::warn!(sink, %error, "event stream broker unavailable; events stay pending and are retried");
        } else {
            tracing::debug!(sink, %error, attempt = self.failures, "event stream publish failed again");
        }
        retry_wait(self.failures, cap)
    }

    fn recovered(&mut self, sink: &str) {
        if let Some(since) = self.since.take() {
            tracing::info!(
                sink,
                down_secs = since.elapsed().as_secs(),
                attempts = self.failures,
                "event stream broker reachable again; draining"
            );
        }
        self.failures = 0;
    }
}

/// 100 ms after the first failure, doubling, at most `cap`.
fn retry_wait(failures: u32, cap: Duration) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    (Duration::from_millis(100) * 2u32.pow(exp)).min(cap)
}

fn record_published(sink: &'static str, events: &[Event]) {
    metrics::counter!("clearway_stream_published_total", "sink" => sink)
        .increment(events.len() as u64);
    let now = Utc::now();
    let lag = metrics::histogram!("clearway_stream_publish_lag_seconds", "sink" => sink);
    for e in events {
        if let Some(age) = age_secs(&e.created_at, now) {
            lag.record(age);
        }
    }
}

/// Seconds from a stored timestamp to `now` (never negative); `None` when unparseable.
pub fn age_secs(created_at: &str, now: DateTime<Utc>) -> Option<f64> {
    let at = DateTime::parse_from_rfc3339(created_at).ok()?;
    let micros = (now - at.with_timezone(&Utc)).num_microseconds()?;
    Some(micros.max(0) as f64 / 1e6)
}

async fn update_gauges(db: &Db, sink: &'static str) {
    match streams::backlog(db, sink).await {
        Ok(b) => {
            metrics::gauge!("clearway_stream_pending", "sink" => sink).set(b.pending as f64);
            let age = b
                .oldest_created_at
                .and_then(|at| age_secs(&at, Utc::now()))
                .unwrap_or(0.0);
            metrics::gauge!("clearway_stream_lag_seconds", "sink" => sink).set(age);
        }
        Err(e) => tracing::warn!(sink, error = %e, "could not measure the stream backlog"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_waits_double_up_to_the_cap() {
        let cap = Duration::from_secs(30);
        let waits: Vec<u64> = (1..=12)
            .map(|n| retry_wait(n, cap).as_millis() as u64)
            .collect();
        assert_eq!(
            waits,
            [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000]
        );
        assert_eq!(retry_wait(u32::MAX, cap), cap);
    }

    #[test]
    fn ages_are_seconds_since_the_stored_time() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T00:00:01.500000Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(age_secs("2026-12-07T00:00:00.000000Z", now), Some(1.5));
        assert_eq!(age_secs("2026-12-07T00:00:02.000000Z", now), Some(0.0));
        assert_eq!(age_secs("yesterday", now), None);
    }
}
