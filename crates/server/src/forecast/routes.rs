//! Forecasting routes. Staff roles that can read distributions read forecasts; investors get
//! 404 (a fund's forecast is not theirs to see); operators store forecasts and set cash on
//! hand. A fund with fewer than two completed distributions answers 200 with no points and a
//! note saying why, so that pages and clients show the fund rather than an error.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use clearway_app::forecast::{
    self as app, aggregate, fund, liquidity, parse_request, stored, yale, Request,
};
use clearway_core::access::Permission;
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::views::*;
use crate::http::{
    idempotent, page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved,
};
use crate::state::AppState;
use crate::tax::profiles::{offset_of, offset_page};

/// Routes of forecasting.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/funds/{fund_id}/distribution-forecast", get(forecast))
        .route(
            "/api/funds/{fund_id}/distribution-forecast/with-scenarios",
            get(scenarios),
        )
        .route("/api/funds/{fund_id}/distribution-trends", get(trends))
        .route(
            "/api/funds/{fund_id}/distribution-forecasts",
            get(list_stored).post(store),
        )
        .route("/api/forecasts/aggregate", get(aggregate_all))
        .route("/api/forecasts/accuracy", get(accuracy))
        .route("/api/funds/{fund_id}/liquidity-plan", get(fund_plan))
        .route("/api/liquidity-plan", get(org_plan))
        .route("/api/funds/{fund_id}/cash-on-hand", put(put_cash))
        .route("/api/funds/{fund_id}/cash-flow-projection", get(projection))
}

/// Query of a forecast.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForecastQuery {
    /// Periods ahead, 1–120 (default 12).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 120)]
    horizon: Option<String>,
    /// `auto` (default: chosen by backtest) or one of naive, seasonal_naive, ets, theta,
    /// optimized_theta, croston, sba, tsb, ensemble.
    #[param(
        pattern = "^(auto|naive|seasonal_naive|ets|theta|optimized_theta|croston|sba|tsb|ensemble)$"
    )]
    model: Option<String>,
}

impl ForecastQuery {
    fn request(&self) -> ApiResult<Request> {
        parse_request(self.horizon.as_deref(), self.model.as_deref()).map_err(ApiError::Invalid)
    }
}

/// Query with a horizon only.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForecastHorizonQuery {
    /// Periods ahead per fund, 1–120 (default 12).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 120)]
    horizon: Option<String>,
}

impl ForecastHorizonQuery {
    fn horizon(&self) -> ApiResult<usize> {
        Ok(parse_request(self.horizon.as_deref(), None)
            .map_err(ApiError::Invalid)?
            .horizon)
    }
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/distribution-forecast", tag = "forecast",
    params(("fund_id" = String, Path, description = "Fund id or code"), ForecastQuery),
    responses((status = 200, body = FundForecastView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn forecast(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<ForecastQuery>,
) -> ApiResult<Json<FundForecastView>> {
    let req = q.request()?;
    let mut tx = state.db.begin().await?;
    let f = fund::forecast(&mut tx, &actor, &fund_id, &req).await?;
    Ok(Json((&f).into()))
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/distribution-forecast/with-scenarios", tag = "forecast",
    params(("fund_id" = String, Path, description = "Fund id or code"), ForecastQuery),
    responses((status = 200, body = ForecastWithScenariosView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn scenarios(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<ForecastQuery>,
) -> ApiResult<Json<ForecastWithScenariosView>> {
    let req = q.request()?;
    let mut tx = state.db.begin().await?;
    let s = fund::with_scenarios(&mut tx, &actor, &fund_id, &req).await?;
    Ok(Json((&s).into()))
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/distribution-trends", tag = "forecast",
    params(("fund_id" = String, Path, description = "Fund id or code")),
    responses((status = 200, body = ForecastTrendsView), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn trends(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
) -> ApiResult<Json<ForecastTrendsView>> {
    let mut tx = state.db.begin().await?;
    let t = fund::trends(&mut tx, &actor, &fund_id).await?;
    Ok(Json((&t).into()))
}

#[utoipa::path(get, path = "/api/forecasts/aggregate", tag = "forecast",
    params(ForecastHorizonQuery),
    responses((status = 200, description = "Per currency and month: the sum of the funds' forecast totals; the bounds are sums of the funds' bounds, a conservative approximation (as if the funds moved together), not a joint interval", body = ForecastAggregateView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn aggregate_all(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<ForecastHorizonQuery>,
) -> ApiResult<Json<ForecastAggregateView>> {
    let h = q.horizon()?;
    let mut tx = state.db.begin().await?;
    let a = aggregate::aggregate(&mut tx, &actor, h).await?;
    Ok(Json((&a).into()))
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/liquidity-plan", tag = "forecast",
    params(("fund_id" = String, Path, description = "Fund id or code"), ForecastHorizonQuery),
    responses((status = 200, body = ForecastLiquidityPlanView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn fund_plan(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<ForecastHorizonQuery>,
) -> ApiResult<Json<ForecastLiquidityPlanView>> {
    let h = q.horizon()?;
    let mut tx = state.db.begin().await?;
    let p = liquidity::plan(&mut tx, &actor, &fund_id, h).await?;
    Ok(Json((&p).into()))
}

#[utoipa::path(get, path = "/api/liquidity-plan", tag = "forecast",
    params(ForecastHorizonQuery),
    responses((status = 200, body = ForecastOrgLiquidityView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn org_plan(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<ForecastHorizonQuery>,
) -> ApiResult<Json<ForecastOrgLiquidityView>> {
    let h = q.horizon()?;
    let mut tx = state.db.begin().await?;
    let p = liquidity::org_plan(&mut tx, &actor, h).await?;
    Ok(Json((&p).into()))
}

#[utoipa::path(put, path = "/api/funds/{fund_id}/cash-on-hand", tag = "forecast",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("Idempotency-Key" = Option<String>, Header)),
    request_body = ForecastCashOnHandRequest,
    responses((status = 200, body = ForecastCashOnHandView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn put_cash(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let r: ForecastCashOnHandRequest = parse_json(&headers, &body)?;
    let path = format!("/api/funds/{fund_id}/cash-on-hand");
    let saved = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let c = liquidity::set_cash_on_hand(tx, &actor, &fund_id, &r.amount, &r.as_of).await?;
            Saved::json(StatusCode::OK, &ForecastCashOnHandView::from(&c))
        },
    )
    .await?;
    Ok(saved.into_response())
}

/// Query of the projection.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForecastProjectionQuery {
    /// Fund life in years, 1–30 (default 12).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 30)]
    life_years: Option<String>,
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/cash-flow-projection", tag = "forecast",
    params(("fund_id" = String, Path, description = "Fund id or code of a PARTNERSHIP fund"), ForecastProjectionQuery),
    responses((status = 200, body = ForecastCashFlowProjectionView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, description = "Bad lifeYears, or an open-end fund (named)", body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn projection(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<ForecastProjectionQuery>,
) -> ApiResult<Json<ForecastCashFlowProjectionView>> {
    let life = yale::parse_life_years(q.life_years.as_deref()).map_err(ApiError::Invalid)?;
    let mut tx = state.db.begin().await?;
    let p = yale::projection(&mut tx, &actor, &fund_id, life).await?;
    Ok(Json((&p).into()))
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/distribution-forecasts", tag = "forecast",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("Idempotency-Key" = Option<String>, Header)),
    request_body = ForecastStoreRequest,
    responses((status = 201, body = StoredForecastView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn store(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let r: ForecastStoreRequest = if body.is_empty() {
        ForecastStoreRequest::default()
    } else {
        parse_json(&headers, &body)?
    };
    let horizon = r.horizon.map(|h| h.to_string());
    let req = parse_request(horizon.as_deref(), r.model.as_deref()).map_err(ApiError::Invalid)?;
    let path = format!("/api/funds/{fund_id}/distribution-forecasts");
    let saved = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let f = stored::store(tx, &actor, &fund_id, &req).await?;
            Saved::json(StatusCode::CREATED, &StoredForecastView::from(&f))
        },
    )
    .await?;
    Ok(saved.into_response())
}

/// Page query (offset cursor).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForecastPageQuery {
    /// `nextCursor` of the previous page.
    #[param(pattern = "^[0-9]{1,9}$")]
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/distribution-forecasts", tag = "forecast",
    params(("fund_id" = String, Path, description = "Fund id or code"), ForecastPageQuery),
    responses((status = 200, body = Page<StoredForecastView>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn list_stored(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<ForecastPageQuery>,
) -> ApiResult<Json<Page<StoredForecastView>>> {
    let limit = page_limit(q.limit, 50)?;
    let offset = offset_of(q.cursor.as_deref())?;
    let mut tx = state.db.begin().await?;
    let (rows, total) = stored::list(&mut tx, &actor, &fund_id, limit, offset).await?;
    Ok(Json(offset_page(
        rows.iter().map(Into::into).collect(),
        offset,
        total,
    )))
}

/// Query of the accuracy report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForecastAccuracyQuery {
    /// One fund (id or code).
    fund_id: Option<String>,
    /// One model.
    #[param(
        pattern = "^(none|naive|seasonal_naive|ets|theta|optimized_theta|croston|sba|tsb|ensemble)$"
    )]
    model: Option<String>,
}

#[utoipa::path(get, path = "/api/forecasts/accuracy", tag = "forecast",
    params(ForecastAccuracyQuery),
    responses((status = 200, body = ForecastAccuracyReportView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn accuracy(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<ForecastAccuracyQuery>,
) -> ApiResult<Json<ForecastAccuracyReportView>> {
    let mut tx = state.db.begin().await?;
    let r = stored::accuracy(&mut tx, &actor, q.fund_id.as_deref(), q.model.as_deref()).await?;
    Ok(Json((&r).into()))
}

/// OpenAPI paths of forecasting.
#[derive(OpenApi)]
#[openapi(
    paths(
        forecast,
        scenarios,
        trends,
        aggregate_all,
        fund_plan,
        org_plan,
        put_cash,
        projection,
        store,
        list_stored,
        accuracy
    ),
    components(schemas(
        FundForecastView,
        ForecastPointView,
        ForecastAccuracyView,
        ForecastCandidateView,
        ForecastBasedOnView,
        ForecastActualView,
        ForecastWithScenariosView,
        ForecastScenarioView,
        ForecastTrendsView,
        ForecastTrendView,
        ForecastSeasonalityView,
        ForecastSeasonPositionView,
        ForecastAggregateView,
        ForecastAggregateMonthView,
        ForecastAggregateFundView,
        ForecastSkippedFundView,
        ForecastCashOnHandRequest,
        ForecastCashOnHandView,
        ForecastLiquidityRowView,
        ForecastLiquidityPlanView,
        ForecastLiquidityTotalView,
        ForecastOrgLiquidityView,
        ForecastYaleParamsView,
        ForecastCashFlowYearView,
        ForecastCashFlowProjectionView,
        ForecastStoreRequest,
        StoredForecastView,
        ForecastAccuracyPeriodView,
        ForecastAccuracyRowView,
        ForecastAccuracyReportView
    ))
)]
pub struct ApiDoc;

#[allow(dead_code)]
fn _uses(_: app::Frequency) {}
