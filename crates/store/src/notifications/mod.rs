//! Notifications: investors' preferences and contacts, and the in-app inbox.

pub mod contacts;
pub mod inbox;
pub mod preferences;
