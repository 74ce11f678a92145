//! Events leaving Clearway: webhook subscriptions (created and removed with their audit
//! entry, in one transaction) and the relay's bookkeeping (fanning outbox events out to
//! deliveries, recording each delivery attempt with its retry). The HTTP delivery itself is
//! the caller's (the server's relay signs and POSTs).
//!
//! - [`subscriptions`]: [`create_subscription`] (URL checked by the outbound policy),
//!   [`delete_subscription`], [`enable_subscription`].
//! - [`relay`]: [`fan_out`], [`record_attempt`] (backoff, disabling, [`FailureLog`]).
//! - [`streams`]: outbox events relayed to brokers through a [`streams::Sink`], at least once.

pub mod relay;
pub mod streams;
pub mod subscriptions;

pub use relay::{fan_out, record_attempt, FailureLog, LogDecision};
pub use subscriptions::{
    create_subscription, delete_subscription, enable_subscription, CreatedSubscription,
    NewSubscription,
};
