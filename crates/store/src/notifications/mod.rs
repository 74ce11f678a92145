//! Notifications: the engine's fan-out of outbox events, the messages it queues and sends,
//! and the addresses not to send to.

pub mod fanout;
pub mod messages;
pub mod suppressions;
