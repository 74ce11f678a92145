//! Investor documents over HTTP: notices, statements and tax summaries as PDF, XLSX or CSV.
//!
//! - [`dto`]: wire types and their validation.
//! - [`routes`]: the API.
//! - [`pages`]: the portal's documents page and the staff view of an investor's documents.

pub mod dto;
pub mod pages;
pub mod routes;

use axum::routing::get;
use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

/// The documents API routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/investors/{investor_id}/documents",
            get(routes::list).post(routes::generate),
        )
        .route("/api/documents/{id}", get(routes::get))
        .route("/api/documents/{id}/content", get(routes::content))
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(routes::list, routes::generate, routes::get, routes::content),
    components(schemas(dto::DocumentRequestBody, dto::DocumentView)),
    tags((name = "documents", description = "Investor documents: distribution notices, statements and tax summaries (PDF, XLSX, CSV), stored once per version")),
)]
pub struct ApiDoc;
