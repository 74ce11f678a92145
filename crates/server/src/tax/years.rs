//! Tax years over HTTP: close a year (admins) and list the closed years.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clearway_core::access::Permission;
use clearway_store::tax::years::{self as store, ClosedYear};
use clearway_store::Actor;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::http::{idempotent, ApiError, ApiResult, Problem, RawBody, Saved};
use crate::reinvestment::routes::today;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tax-years", get(list_years))
        .route("/api/tax-years/{tax_year}/close", post(close_year))
}

/// The OpenAPI paths of this module.
#[derive(OpenApi)]
#[openapi(
    paths(list_years, close_year),
    components(schemas(TaxYearView, TaxYearList)),
    tags((name = "tax", description = "Year-end tax: profiles, withholding, forms, K-1, re-characterization")),
)]
pub struct ApiDoc;

/// A closed tax year.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxYearView {
    /// The year.
    pub tax_year: i32,
    /// Who closed it (user id).
    pub closed_by: String,
    /// When (UTC, RFC 3339).
    pub closed_at: String,
}

impl From<ClosedYear> for TaxYearView {
    fn from(y: ClosedYear) -> Self {
        TaxYearView {
            tax_year: y.tax_year,
            closed_by: y.closed_by,
            closed_at: y.closed_at,
        }
    }
}

/// The closed years, newest first (a year per row: never more than a few dozen).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxYearList {
    /// Closed years.
    pub items: Vec<TaxYearView>,
}

/// Parses a `taxYear` path segment (four digits; 422 naming `taxYear` otherwise).
pub fn parse_year(text: &str) -> ApiResult<i32> {
    text.parse::<i32>()
        .ok()
        .filter(|y| (1000..=9999).contains(y) && text.len() == 4)
        .ok_or_else(|| ApiError::field("taxYear", "must be a four-digit year"))
}

#[utoipa::path(get, path = "/api/tax-years", tag = "tax",
    responses((status = 200, body = TaxYearList), (status = 401, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_years(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<TaxYearList>> {
    let mut tx = state.db.begin().await?;
    let years = store::list_tx(&mut tx, &actor).await?;
    tx.commit().await?;
    Ok(Json(TaxYearList {
        items: years.into_iter().map(TaxYearView::from).collect(),
    }))
}

#[utoipa::path(post, path = "/api/tax-years/{tax_year}/close", tag = "tax",
    params(("tax_year" = String, Path, description = "Four-digit year", pattern = "^[0-9]{4}$"), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = TaxYearView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn close_year(
    State(state): State<AppState>,
    actor: Actor,
    Path(tax_year): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Administer)?;
    let year = parse_year(&tax_year)?;
    let path = format!("/api/tax-years/{year}/close");
    let saved = idempotent(
        &state,
        &actor,
        Permission::Administer,
        &headers,
        &path,
        &body,
        async |tx| {
            let closed = clearway_app::tax::years::close(tx, &actor, year, today()).await?;
            Saved::json(StatusCode::CREATED, &TaxYearView::from(closed))
        },
    )
    .await?;
    Ok(saved.into_response())
}
