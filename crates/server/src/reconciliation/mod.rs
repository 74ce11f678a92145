//! Bank reconciliation: statement import, automatic matching, exceptions, reports.

use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi()]
pub struct ApiDoc;
