//! Private-fund capital: commitments, capital calls, contributions, recallable amounts,
//! imports, income/gain/loss, ownership and capital accounts.
//!
//! # Layout
//! The services are [`clearway_app::capital`]; the rules [`clearway_core::capital`].
//! - [`routes`]: the JSON API (and CSV/XLSX report downloads).
//! - [`pages`]: the staff capital page per fund and the investor's own capital account.
//! - [`dto`]: wire shapes.

pub mod dto;
pub mod pages;
pub mod routes;

use axum::routing::{get, post, put};
use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/funds/{fund_id}/commitments",
            get(routes::list_commitments).post(routes::post_commitments),
        )
        .route(
            "/api/funds/{fund_id}/capital-calls",
            get(routes::list_calls).post(routes::post_call),
        )
        .route(
            "/api/funds/{fund_id}/contributions",
            get(routes::list_contributions).post(routes::post_contributions),
        )
        .route(
            "/api/funds/{fund_id}/recallables",
            post(routes::post_recallable),
        )
        .route(
            "/api/funds/{fund_id}/ownership-basis",
            put(routes::put_basis),
        )
        .route(
            "/api/funds/{fund_id}/capital-activity/import",
            post(routes::import),
        )
        .route("/api/funds/{fund_id}/income", post(routes::post_income))
        .route("/api/funds/{fund_id}/ownership", get(routes::ownership))
        .route(
            "/api/funds/{fund_id}/capital-accounts",
            get(routes::capital_accounts),
        )
        .route(
            "/api/funds/{fund_id}/capital-accounts/{investor_id}",
            get(routes::investor_account),
        )
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(
        routes::list_commitments, routes::post_commitments, routes::post_call, routes::list_calls,
        routes::post_contributions, routes::list_contributions, routes::post_recallable,
        routes::put_basis, routes::import, routes::post_income, routes::ownership,
        routes::capital_accounts, routes::investor_account,
    ),
    components(schemas(
        dto::CommitmentItem, dto::CommitmentsRequest, dto::CallItem, dto::CallRequest,
        dto::ContributionItem, dto::ContributionsRequest, dto::RecallableRequest, dto::BasisRequest,
        dto::IncomeRequest, dto::PositionView, dto::BatchView, dto::CallView, dto::ContributionView,
        dto::IncomeView, dto::AllocationView, dto::OwnershipView, dto::OwnershipItem,
        dto::AccountView, dto::ReportView,
    )),
    tags((name = "capital", description = "Private funds: commitments, capital calls, contributions, ownership, capital accounts")),
)]
pub struct ApiDoc;
