//! The NATS JetStream sink: each event published to `<prefix>.<org>.<event type>`
//! (`clearway_app::events::streams::subject`) with `Nats-Msg-Id` = the event id, so JetStream
//! drops a re-publication within the stream's duplicate window. A batch is sent pipelined
//! (every message, then every acknowledgement awaited) on one connection, which keeps order.

use async_nats::jetstream::{self, stream, Context};
use async_nats::HeaderMap;
use clearway_app::events::streams::{subject, Sink};
use clearway_store::outbox::Event;
use tokio::sync::Mutex;

/// The sink's name (pending rows, metrics label; lease `stream-nats`).
pub use crate::state::{NatsConfig, NATS_SINK as SINK};

/// Publishes to JetStream; connects on first use and again after any failure.
pub struct NatsSink {
    config: NatsConfig,
    context: Mutex<Option<Context>>,
}

impl NatsSink {
    /// A sink that connects when it first publishes.
    pub fn new(config: NatsConfig) -> NatsSink {
        NatsSink {
            config,
            context: Mutex::new(None),
        }
    }

    async fn connect(&self) -> Result<Context, String> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(self.config.timeout)
            .connect(self.config.url.as_str())
            .await
            .map_err(|e| format!("connecting to NATS at {}: {e}", self.config.url))?;
        let js = jetstream::ContextBuilder::new()
            .timeout(self.config.timeout)
            .ack_timeout(self.config.timeout)
            .build(client);
        // An existing stream is left as its operator configured it.
        js.get_or_create_stream(stream::Config {
            name: self.config.stream.clone(),
            subjects: vec![format!("{}.>", self.config.subject_prefix)],
            ..Default::default()
        })
        .await
        .map_err(|e| format!("stream {}: {e}", self.config.stream))?;
        Ok(js)
    }

    async fn publish_on(&self, js: &Context, events: &[Event]) -> Result<(), String> {
        let mut acks = Vec::with_capacity(events.len());
        for e in events {
            let ack = js
                .publish_with_headers(
                    subject(&self.config.subject_prefix, e),
                    headers(e),
                    super::body(e)?.into(),
                )
                .await
                .map_err(|err| format!("publishing event {}: {err}", e.id))?;
            acks.push((e, ack));
        }
        // Already in flight: awaiting them in turn costs the slowest, not their sum.
        for (e, ack) in acks {
            ack.await
                .map_err(|err| format!("acknowledgement of event {}: {err}", e.id))?;
        }
        Ok(())
    }
}

/// `Nats-Msg-Id` for JetStream's deduplication, and what consumers route and dedupe on
/// without parsing the body.
fn headers(e: &Event) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("Nats-Msg-Id", e.id.as_str());
    h.insert("Clearway-Event-Id", e.id.as_str());
    h.insert("Clearway-Event-Type", e.event_type.as_str());
    h.insert("Clearway-Aggregate-Type", e.aggregate_type.as_str());
    h.insert("Clearway-Aggregate-Id", e.aggregate_id.as_str());
    h.insert("Clearway-Seq", e.seq.to_string().as_str());
    h
}

impl Sink for NatsSink {
    fn name(&self) -> &'static str {
        SINK
    }

    async fn publish(&self, events: &[Event]) -> Result<(), String> {
        let mut context = self.context.lock().await;
        let js = match context.as_ref() {
            Some(js) => js.clone(),
            None => {
                let js = self.connect().await?;
                *context = Some(js.clone());
                js
            }
        };
        let result = self.publish_on(&js, events).await;
        if result.is_err() {
            // A server that comes back may be a new one without the stream: start afresh.
            *context = None;
        }
        result
    }
}
