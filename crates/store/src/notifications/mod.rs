//! Notifications: the engine's fan-out of outbox events, the messages it queues and sends,
//! the addresses not to send to, investors' preferences and contacts, and the in-app inbox.

pub mod contacts;
pub mod fanout;
pub mod inbox;
pub mod messages;
pub mod preferences;
pub mod suppressions;
pub mod upcoming;
