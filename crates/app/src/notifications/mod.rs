//! Investor notifications: the engine that turns outbox events into one message per
//! (event, investor, channel), the channels that deliver them, and delivery tracking.

pub mod channels;
pub mod engine;
mod render;
pub mod send;
pub mod writer;
