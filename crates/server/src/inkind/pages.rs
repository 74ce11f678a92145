//! Web pages of in-kind distributions.

use axum::Router;

use crate::state::AppState;

/// Routes of the pages.
pub fn router() -> Router<AppState> {
    Router::new()
}
