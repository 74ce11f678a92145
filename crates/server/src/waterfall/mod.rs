//! Distribution waterfalls of partnerships: terms per fund, hypothetical runs, a run declared
//! as a distribution, the GP clawback, and the waterfall behind a distribution.
//!
//! The arithmetic is the pure core's ([`clearway_core::waterfall`], rules and worked examples
//! in `docs/private-funds.md`); the application service ([`clearway_app::waterfall`]) gathers
//! its inputs and writes the result in one transaction.
//! - [`routes`]: the API; [`dto`]: wire shapes; [`pages`]: the fund's waterfall page.

pub mod dto;
pub mod pages;
pub mod routes;

use axum::routing::{get, post};
use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/funds/{fund_id}/waterfall",
            get(routes::get_terms).put(routes::put_terms),
        )
        .route(
            "/api/funds/{fund_id}/waterfall/hypothetical",
            post(routes::hypothetical),
        )
        .route(
            "/api/funds/{fund_id}/waterfall/distributions",
            post(routes::create_distribution),
        )
        .route(
            "/api/funds/{fund_id}/waterfall/clawback",
            get(routes::clawback),
        )
        .route("/api/distributions/{id}/waterfall", get(routes::run_of))
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(
        routes::get_terms, routes::put_terms, routes::hypothetical, routes::create_distribution,
        routes::clawback, routes::run_of,
    ),
    components(schemas(
        dto::TermsRequest, dto::TierRequest, dto::TermsView, dto::HypotheticalRequest,
        dto::TierView, dto::InvestorTiersView, dto::WaterfallView,
        dto::WaterfallDistributionRequest, dto::ClawbackView,
        routes::WaterfallDistributionView, routes::RunView,
    )),
    tags((name = "waterfall", description = "Distribution waterfalls of partnerships: terms, hypothetical runs, distributions, clawback")),
)]
pub struct ApiDoc;
