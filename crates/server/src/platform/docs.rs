//! The API docs page at `/api/docs`, fully offline: Swagger UI's files are embedded in the
//! binary and served from here, so nothing is fetched from a CDN at build or run time (the
//! Scalar page it replaces loaded its script from jsDelivr and was blank without internet).
//! Swagger UI rather than a hand-written renderer: it is the reference renderer, it lets an
//! operator try a request with a bearer token, and its dist files are two plain files
//! (Apache-2.0, licence kept beside them in `assets/swagger-ui/`).

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

const PAGE: &str = include_str!("../../assets/docs.html");
const INIT_JS: &str = include_str!("../../assets/docs-init.js");
const BUNDLE_JS: &str = include_str!("../../assets/swagger-ui/swagger-ui-bundle.js");
const CSS: &str = include_str!("../../assets/swagger-ui/swagger-ui.css");
const LICENSE: &str = include_str!("../../assets/swagger-ui/LICENSE");

/// The page and its assets. Not in the OpenAPI document: they are not part of the API.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/docs", get(|| asset("text/html; charset=utf-8", PAGE)))
        .route(
            "/api/docs/",
            get(|| asset("text/html; charset=utf-8", PAGE)),
        )
        .route("/api/docs/init.js", get(|| asset(JS, INIT_JS)))
        .route(
            "/api/docs/swagger-ui-bundle.js",
            get(|| asset(JS, BUNDLE_JS)),
        )
        .route("/api/docs/swagger-ui.css", get(|| asset("text/css", CSS)))
        .route(
            "/api/docs/LICENSE",
            get(|| asset("text/plain; charset=utf-8", LICENSE)),
        )
}

const JS: &str = "text/javascript; charset=utf-8";

async fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type)], body)
}
