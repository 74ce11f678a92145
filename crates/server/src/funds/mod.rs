//! Funds: the share classes of open-end funds (API) and the funds pages (`/funds`, a fund's
//! overview at `/funds/{id}`, with the form that adds a class).
//!
//! # Layout
//! - [`routes`]: `POST|GET /api/funds/{fundId}/classes`, `POST /api/funds/{fundId}/holdings`.
//! - [`pages`]: the funds list and a fund's page (sections other capabilities link from).
//! - [`dto`]: wire shapes.
//!
//! The rules live in [`clearway_core::classes`]; the services in [`clearway_app::classes`]
//! (which also declares per-class distributions for `POST /api/distributions`).

pub mod dto;
pub mod pages;
pub mod routes;

use axum::routing::{get, post};
use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

/// API routes of this module (the pages have their own router: [`pages::router`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/funds/{fund_id}/classes",
            get(routes::list_classes).post(routes::create_class),
        )
        .route(
            "/api/funds/{fund_id}/holdings",
            post(routes::record_holdings),
        )
}

/// The OpenAPI paths of this module.
#[derive(OpenApi)]
#[openapi(
    paths(routes::create_class, routes::list_classes, routes::record_holdings),
    components(schemas(
        dto::ClassRequest,
        dto::ClassView,
        dto::HoldingsRequest,
        dto::HoldingItem,
        dto::HoldingsView
    ))
)]
pub struct ApiDoc;
