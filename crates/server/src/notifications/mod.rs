//! Notifications over HTTP.
//!
//! - [`preferences`]: investors' and the organization's preferences, and contacts (API).
//! - [`inbox`]: the in-app inbox and its live feed (Server-Sent Events).
//! - [`unsubscribe`]: signed unsubscribe links, used without a login.
//! - [`portal`]: the investor's inbox and preference pages and the staff defaults page.

pub mod inbox;
pub mod portal;
pub mod preferences;
pub mod unsubscribe;
