//! The investor's notifications page. The notification engine is not built yet, so the page
//! says so plainly and lists nothing.

use askama::Template;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::error::render;
use super::{Chrome, PageResult, Viewer};
use crate::state::AppState;

/// Route of the notifications page.
pub fn router() -> Router<AppState> {
    Router::new().route("/account/notifications", get(page))
}

#[derive(Template)]
#[template(path = "account/notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
}

async fn page(viewer: Viewer) -> PageResult<Response> {
    if let Some(away) = viewer.portal_page() {
        return Ok(away);
    }
    render(&NotificationsPage {
        chrome: Chrome::new(&viewer, "Notifications", "/account/notifications"),
    })
}
