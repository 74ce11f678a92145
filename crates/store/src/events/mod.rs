//! Events leave through the outbox: rows written in the caller's transaction ([`outbox`]) and
//! the webhook subscriptions and delivery bookkeeping that carry them out ([`webhooks`]).

pub mod outbox;
pub mod webhooks;
