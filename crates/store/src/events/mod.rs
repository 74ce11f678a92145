//! Events leave through the outbox: rows written in the caller's transaction ([`outbox`]) and
//! the webhook subscriptions and delivery bookkeeping that carry them out ([`webhooks`]), and
//! the events still to publish to each stream sink ([`streams`]).

pub mod outbox;
pub mod streams;
pub mod webhooks;
