//! Notifications over HTTP and the workers that deliver them.
//!
//! - [`messages`]: the staff API over delivery records (list, resend, mark sent).
//! - [`worker`]: the engine, sender and in-doubt sweep tasks, their settings and metrics.
//! - [`pages`]: the operators' page (status counts, dead letters with their actions).

pub mod messages;
pub mod pages;
pub mod worker;

use axum::Router;

use crate::state::AppState;

/// Every notifications route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(messages::router())
        .merge(pages::router())
}
