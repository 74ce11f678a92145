//! Events leave through the outbox: a relay fans new outbox rows out to webhook
//! subscriptions and delivers them signed (HMAC-SHA256 over timestamp and body), retrying
//! with backoff. Receivers deduplicate on the event id (`Clearway-Event-Id`). The [`streams`]
//! publish the same events to NATS JetStream and Kafka.

pub mod dto;
pub mod relay;
pub mod routes;
pub mod streams;
