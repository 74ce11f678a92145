//! The pages' stylesheet and script, compiled into the binary (nothing is fetched at run
//! time). Their URLs carry a content version, so browsers may keep them for a day.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// The stylesheet.
pub const CSS: &str = include_str!("../../assets/app.css");
/// The script (progressive enhancement only: every page works without it).
pub const JS: &str = include_str!("../../assets/app.js");

/// Routes of the assets.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/assets/app.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/assets/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
}
