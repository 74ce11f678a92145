//! Notifications over HTTP and the workers that deliver them.
//!
//! - [`messages`]: the staff API over delivery records (list, resend, mark sent).
//! - [`worker`]: the engine, sender and in-doubt sweep tasks, their settings and metrics.
//! - [`pages`]: the operators' page (status counts, dead letters with their actions).
//! - [`preferences`]: investors' and the organization's preferences, and contacts (API).
//! - [`inbox`]: the in-app inbox and its live feed (Server-Sent Events).
//! - [`unsubscribe`]: signed unsubscribe links, used without a login.
//! - [`webhooks`]: SendGrid's event webhook and Twilio's status and inbound webhooks.
//! - [`portal`]: the investor's inbox and preference pages and the staff defaults page.

pub mod inbox;
pub mod messages;
pub mod pages;
pub mod portal;
pub mod preferences;
pub mod unsubscribe;
pub mod webhooks;
pub mod worker;

use axum::Router;

use crate::state::AppState;

/// Every notifications API and operator-page route (the portal pages and the unsubscribe
/// link are registered with the other pages).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(messages::router())
        .merge(pages::router())
        .merge(preferences::router())
        .merge(inbox::router())
        .merge(webhooks::router())
}
