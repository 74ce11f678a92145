//! Event streams: outbox events published to brokers (NATS JetStream, Kafka), at least once,
//! in outbox order per sink. Events are enrolled per configured sink when they are fanned out
//! ([`super::fan_out`]); [`relay_batch`] publishes the oldest pending ones through a [`Sink`]
//! and forgets them only once the broker acknowledged them all. A crash or a broker failure in
//! between leaves them pending: they are published again, and receivers deduplicate on the
//! event id (JetStream itself within its duplicate window, by `Nats-Msg-Id`).

use std::future::Future;

use clearway_store::outbox::Event;
use clearway_store::{streams, Db};

use crate::{AppError, AppResult};

/// A broker events are published to.
pub trait Sink: Send + Sync {
    /// The sink's name (`nats`, `kafka`): its pending rows, lease and metrics label.
    fn name(&self) -> &'static str;

    /// Publishes `events` in the given order, returning once the broker acknowledged every
    /// one; an error when any was not (the whole batch is then published again).
    fn publish(&self, events: &[Event]) -> impl Future<Output = Result<(), String>> + Send;
}

/// What one [`relay_batch`] did.
#[derive(Debug, Clone, Default)]
pub struct Relayed {
    /// The events acknowledged and forgotten, in publication order.
    pub events: Vec<Event>,
}

/// Publishes the oldest `limit` events pending for `sink` and forgets them once acknowledged.
/// A broker failure is [`AppError::Remote`], with the events still pending.
pub async fn relay_batch<S: Sink>(db: &Db, sink: &S, limit: i64) -> AppResult<Relayed> {
    let events = streams::pending(db, sink.name(), limit).await?;
    if events.is_empty() {
        return Ok(Relayed::default());
    }
    sink.publish(&events).await.map_err(AppError::Remote)?;
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    streams::mark_published(db, sink.name(), &seqs).await?;
    Ok(Relayed { events })
}

/// A NATS subject token: `.`, `*`, `>` and whitespace would change the subject's shape, so
/// everything but ASCII letters, digits, `_` and `-` becomes `_` (an empty token is `_`).
pub fn subject_token(raw: &str) -> String {
    if raw.is_empty() {
        return "_".into();
    }
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The subject of an event: `<prefix>.<org>.<event type>`, each dot-separated part of the event
/// type a token of its own (`distribution.approved` → `clearway.org_1.distribution.approved`,
/// the event type's first part naming its aggregate family).
pub fn subject(prefix: &str, event: &Event) -> String {
    let mut s = format!("{prefix}.{}", subject_token(&event.org_id));
    for part in event.event_type.split('.') {
        s.push('.');
        s.push_str(&subject_token(part));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(org: &str, event_type: &str) -> Event {
        Event {
            seq: 1,
            id: "evt_1".into(),
            org_id: org.into(),
            event_type: event_type.into(),
            aggregate_type: "distribution".into(),
            aggregate_id: "dist_1".into(),
            data: serde_json::json!({}),
            created_at: "2026-12-07T00:00:00.000000Z".into(),
        }
    }

    #[test]
    fn subjects_are_prefix_org_and_event_type_tokens() {
        assert_eq!(
            subject("clearway", &event("org_1", "distribution.approved")),
            "clearway.org_1.distribution.approved"
        );
        // Wildcards, separators and whitespace cannot reshape the subject.
        assert_eq!(
            subject("clearway", &event("o.r*g >1", "pay ment..held")),
            "clearway.o_r_g__1.pay_ment._.held"
        );
        assert_eq!(subject_token(""), "_");
        assert_eq!(subject_token("tax-form_2"), "tax-form_2");
    }
}
