//! Dividend reinvestment (DRIP): elections, NAV, the reinvestment step of processing,
//! tax lots and reports.
//!
//! # Layout
//! The processing step and its pre-flight check are application services:
//! [`clearway_app::reinvestment`].
//! - [`routes`]: preferences (elections), organization settings, NAV upload and lookup.
//! - [`reports`]: reinvestments of a distribution, an investor's summary, lots, cost basis.
//! - [`nav`]: NAV CSV/JSON parsing, shared with the CLI's `clearway nav import`.
//! - [`export`]: CSV and XLSX tables.
//! - [`dto`]: wire shapes.
//!
//! The rounding rules live in the pure core: [`clearway_core::reinvestment`] (the split of a
//! line), [`clearway_core::reinvestment::nav`] (NAV at date) and [`clearway_core::taxlots`].

pub mod dto;
pub mod export;
pub mod nav;
pub mod pages;
pub mod reports;
pub mod routes;

use axum::routing::{get, post, put};
use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/investors/{investor_id}/reinvestment-preferences",
            get(routes::get_preferences),
        )
        .route(
            "/api/investors/{investor_id}/reinvestment-preferences/history",
            get(routes::preference_history),
        )
        .route(
            "/api/investors/{investor_id}/reinvestment-preferences/{fund_id}",
            put(routes::put_preference),
        )
        .route(
            "/api/reinvestment-preferences/import",
            post(routes::import_preferences),
        )
        .route(
            "/api/reinvestment/settings",
            get(routes::get_settings).put(routes::put_settings),
        )
        .route(
            "/api/funds/{fund_id}/navs",
            get(routes::list_navs).post(routes::upload_navs),
        )
        .route("/api/funds/{fund_id}/navs/at", get(routes::nav_at))
        .route(
            "/api/distributions/{id}/reinvestments",
            get(reports::for_distribution),
        )
        .route(
            "/api/distributions/{id}/reinvestments/export",
            get(reports::export_distribution),
        )
        .route(
            "/api/investors/{investor_id}/reinvestments/summary",
            get(reports::investor_summary),
        )
        .route(
            "/api/investors/{investor_id}/reinvestments/summary/export",
            get(reports::export_summary),
        )
        .route(
            "/api/investors/{investor_id}/lots",
            get(reports::investor_lots),
        )
        .route(
            "/api/investors/{investor_id}/cost-basis",
            post(reports::cost_basis),
        )
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(
        routes::get_preferences, routes::put_preference, routes::preference_history,
        routes::import_preferences, routes::get_settings, routes::put_settings,
        routes::upload_navs, routes::list_navs, routes::nav_at,
        reports::for_distribution, reports::export_distribution, reports::investor_summary,
        reports::export_summary, reports::investor_lots, reports::cost_basis,
    ),
    components(schemas(
        dto::ElectionRequest, dto::ElectionView, dto::ElectionChanged, dto::FundPreference,
        dto::PreferencesView, dto::DefaultView, dto::SettingsView, dto::SettingsRequest,
        dto::ElectionImportItem, dto::ElectionImportRequest, dto::ElectionImportResult,
        dto::NavItem, dto::NavUpload, dto::NavImportView, dto::NavView, dto::NavAtView,
        dto::ReinvestmentView, dto::FundSummary, dto::SummaryView, dto::LotView, dto::LotPick,
        dto::CostBasisRequest, dto::PartView, dto::CostBasisView,
    )),
    tags((name = "reinvestment", description = "DRIP elections, NAV, reinvestments, tax lots and cost basis")),
)]
pub struct ApiDoc;
