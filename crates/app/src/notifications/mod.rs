//! Investor notifications: the engine that turns outbox events into one message per
//! (event, investor, channel), the channels that deliver them, and delivery tracking.

pub mod channels;
pub mod contacts;
pub mod engine;
pub mod inbox;
pub mod preferences;
mod render;
pub mod send;
pub mod unsubscribe;
pub mod webhooks;
pub mod writer;

pub use render::install_templates;
