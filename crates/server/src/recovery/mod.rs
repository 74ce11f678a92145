//! Recovering money after a reversal: receivables, their recoveries, write-offs and ACH
//! reversing entries (routes and DTOs).

pub mod dto;
pub mod routes;

use axum::routing::{get, post};
use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/receivables", get(routes::list))
        .route("/api/receivables/{id}", get(routes::get_one))
        .route(
            "/api/receivables/{id}/recoveries",
            post(routes::record_recovery),
        )
        .route("/api/receivables/{id}/write-off", post(routes::write_off))
        .route(
            "/api/receivables/{id}/ach-reversal",
            post(routes::ach_reversal),
        )
        .route(
            "/api/receivables/{id}/ach-reversal/file",
            get(routes::download_file),
        )
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(
        routes::list,
        routes::get_one,
        routes::record_recovery,
        routes::write_off,
        routes::ach_reversal,
        routes::download_file,
    ),
    components(schemas(
        dto::ReceivableView,
        dto::RecoveryView,
        dto::ReceivableDetail,
        dto::ReceivableTotals,
        dto::ReceivablesPage,
        dto::RecoveryRequest,
        dto::WriteOffRequest,
        dto::AchReversalRequest,
        dto::RecoveryResult,
    ))
)]
pub struct ApiDoc;
