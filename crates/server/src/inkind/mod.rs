//! In-kind distributions: securities, fund positions, distributing a security to a fund's
//! investors (whole units, cash in lieu of fractions), and the lots they receive.
//!
//! # Layout
//! The services are [`clearway_app::inkind`]; the split rule is [`clearway_core::inkind`].
//! - [`routes`]: the API.
//! - [`pages`]: positions per fund, the in-kind declaration form, the in-kind part of a
//!   distribution.
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
            "/api/securities",
            post(routes::create_security).get(routes::list_securities),
        )
        .route(
            "/api/funds/{fund_id}/positions",
            get(routes::list_positions),
        )
        .route(
            "/api/funds/{fund_id}/positions/{security_id}",
            put(routes::put_position),
        )
        .route(
            "/api/funds/{fund_id}/in-kind-distributions",
            post(routes::create),
        )
        .route(
            "/api/funds/{fund_id}/in-kind-distributions/preview",
            post(routes::preview),
        )
        .route("/api/distributions/{id}/in-kind", get(routes::get_in_kind))
        .route(
            "/api/investors/{investor_id}/security-lots",
            get(routes::investor_lots),
        )
        .merge(pages::router())
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(
        routes::create_security, routes::list_securities, routes::put_position,
        routes::list_positions, routes::preview, routes::create, routes::get_in_kind,
        routes::investor_lots,
    ),
    components(schemas(
        dto::SecurityRequest, dto::SecurityView, dto::SecurityPage, dto::PositionRequest,
        dto::PositionView, dto::InKindDistributionRequest, dto::InKindLineView, dto::InKindView,
        dto::SecurityLotView, dto::SecurityLotPage,
    )),
    tags((name = "in-kind", description = "Securities, fund positions, in-kind distributions and the lots investors receive")),
)]
pub struct ApiDoc;
