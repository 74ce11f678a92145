//! HTTP handlers of the distributions API.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use clearway_core::distribution::{parse_date, Action, Status};
use clearway_store::distributions::{self as store, ListFilter};
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{
    DistributionRequest, DistributionView, LineRequest, LineView, ReallocationView,
    ReversalRequest, ReversalView,
};
use crate::http::{page_limit, ApiError, ApiResult, Page, Problem, Qs, RawBody};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/distributions", post(create).get(list))
        .route("/api/distributions/fund/{fund_id}", get(list_by_fund))
        .route("/api/distributions/{id}", get(get_one).put(update))
        .route("/api/distributions/{id}/lines", get(lines))
        .route(
            "/api/distributions/{id}/lines/{investor_id}",
            get(line).put(update_line),
        )
        .route("/api/distributions/{id}/ready", patch(ready))
        .route("/api/distributions/{id}/approve", patch(approve))
        .route("/api/distributions/{id}/process", patch(process))
        .route("/api/distributions/{id}/cancel", patch(cancel))
        .route("/api/distributions/{id}/reversal", post(reverse))
        .route("/api/distributions/{id}/reallocate", post(reallocate))
}

/// Default page size of distribution and line lists.
const PAGE_DEFAULT: i64 = 50;

#[utoipa::path(post, path = "/api/distributions", tag = "distributions", request_body = DistributionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    responses((status = 201, body = DistributionView), (status = 403, description = "the role may not create (checked before the body)", body = Problem), (status = 422, body = Problem), (status = 400, body = Problem), (status = 413, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    Ok(super::create(&state, &actor, &headers, &body)
        .await?
        .into_response())
}

/// Query of the distributions list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// Only this fund (id).
    fund_id: Option<String>,
    /// Only this status.
    #[param(pattern = "^(DRAFT|READY|APPROVED|PROCESSING|COMPLETED|CANCELLED)$")]
    status: Option<String>,
    /// Payable on or after (YYYY-MM-DD).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    payable_from: Option<String>,
    /// Payable on or before (YYYY-MM-DD).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    payable_to: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

fn filter(q: ListQuery) -> ApiResult<ListFilter> {
    let status = q
        .status
        .map(|s| {
            s.parse::<Status>()
                .map_err(|_| ApiError::field("status", format!("'{s}' is not a status")))
        })
        .transpose()?;
    let date = |field: &str, v: Option<String>| v.map(|t| parse_date(field, &t)).transpose();
    Ok(ListFilter {
        fund_id: q.fund_id,
        status,
        payable_from: date("payableFrom", q.payable_from)
            .map_err(|e| ApiError::Invalid(e.into()))?,
        payable_to: date("payableTo", q.payable_to).map_err(|e| ApiError::Invalid(e.into()))?,
        before_id: q.cursor,
        limit: page_limit(q.limit, PAGE_DEFAULT)?,
        search: None,
    })
}

async fn list_page(
    state: &AppState,
    actor: &Actor,
    f: ListFilter,
) -> ApiResult<Json<Page<DistributionView>>> {
    let items = store::list(&state.db, actor, &f).await?;
    Ok(Json(
        Page::new(items, f.limit, |d| d.id.clone()).map(|d| DistributionView::from(&d)),
    ))
}

#[utoipa::path(get, path = "/api/distributions", tag = "distributions", params(ListQuery),
    description = "Staff see the organization's distributions. Investors see only those they have a line in, from APPROVED on, with their own amount (no allocation, staff ids or organization totals).",
    responses((status = 200, body = Page<DistributionView>)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<ListQuery>,
) -> ApiResult<Json<Page<DistributionView>>> {
    list_page(&state, &actor, filter(q)?).await
}

#[utoipa::path(get, path = "/api/distributions/fund/{fund_id}", tag = "distributions", params(("fund_id" = String, Path), ListQuery),
    responses((status = 200, body = Page<DistributionView>), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_by_fund(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<ListQuery>,
) -> ApiResult<Json<Page<DistributionView>>> {
    let fund = clearway_store::funds::find_fund(&state.db, &actor, &fund_id).await?;
    let mut f = filter(q)?;
    f.fund_id = Some(fund.id);
    list_page(&state, &actor, f).await
}

#[utoipa::path(get, path = "/api/distributions/{id}", tag = "distributions", params(("id" = String, Path)),
    description = "Investors: only one they have a line in, from APPROVED on (404 otherwise), with their own amount only.",
    responses((status = 200, body = DistributionView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<DistributionView>> {
    Ok(Json(DistributionView::from(
        &store::get(&state.db, &actor, &id).await?,
    )))
}

#[utoipa::path(put, path = "/api/distributions/{id}", tag = "distributions", params(("id" = String, Path)), request_body = DistributionRequest,
    responses((status = 200, body = DistributionView), (status = 403, description = "the role may not edit (checked before the body)", body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<DistributionView>> {
    Ok(Json(
        super::update(&state, &actor, &id, &headers, &body).await?,
    ))
}

/// Query of the lines list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinesQuery {
    /// `nextCursor` of the previous page (an investor id).
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/distributions/{id}/lines", tag = "distributions", params(("id" = String, Path), LinesQuery),
    responses((status = 200, body = Page<LineView>), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn lines(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Qs(q): Qs<LinesQuery>,
) -> ApiResult<Json<Page<LineView>>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let d = store::get(&state.db, &actor, &id).await?;
    let items = store::lines(&state.db, &actor, &id, q.cursor.as_deref(), limit).await?;
    Ok(Json(
        Page::new(items, limit, |l| l.investor_id.clone()).map(|l| LineView::new(&l, d.currency)),
    ))
}

#[utoipa::path(get, path = "/api/distributions/{id}/lines/{investor_id}", tag = "distributions", params(("id" = String, Path), ("investor_id" = String, Path)),
    responses((status = 200, body = LineView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn line(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, investor_id)): Path<(String, String)>,
) -> ApiResult<Json<LineView>> {
    let d = store::get(&state.db, &actor, &id).await?;
    let line = store::line(&state.db, &actor, &id, &investor_id).await?;
    Ok(Json(LineView::new(&line, d.currency)))
}

#[utoipa::path(put, path = "/api/distributions/{id}/lines/{investor_id}", tag = "distributions", params(("id" = String, Path), ("investor_id" = String, Path)),
    request_body = LineRequest, responses((status = 200, body = DistributionView), (status = 403, description = "the role may not edit (checked before the body)", body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn update_line(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, investor_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<DistributionView>> {
    Ok(Json(
        super::update_line(&state, &actor, &id, &investor_id, &headers, &body).await?,
    ))
}

#[utoipa::path(patch, path = "/api/distributions/{id}/ready", tag = "distributions", params(("id" = String, Path)),
    responses((status = 200, body = DistributionView), (status = 409, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn ready(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<DistributionView>> {
    Ok(Json(
        super::transition(&state, &actor, &id, Action::MarkReady).await?,
    ))
}

#[utoipa::path(patch, path = "/api/distributions/{id}/approve", tag = "distributions", params(("id" = String, Path)),
    responses((status = 200, body = DistributionView), (status = 403, description = "four eyes: whoever created or edited it cannot approve it", body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn approve(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<DistributionView>> {
    Ok(Json(
        super::transition(&state, &actor, &id, Action::Approve).await?,
    ))
}

#[utoipa::path(patch, path = "/api/distributions/{id}/process", tag = "distributions", params(("id" = String, Path)),
    responses((status = 202, description = "processing job queued", body = DistributionView), (status = 409, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn process(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<DistributionView>)> {
    Ok((
        StatusCode::ACCEPTED,
        Json(super::transition(&state, &actor, &id, Action::Process).await?),
    ))
}

#[utoipa::path(patch, path = "/api/distributions/{id}/cancel", tag = "distributions", params(("id" = String, Path)),
    responses((status = 200, body = DistributionView), (status = 409, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<DistributionView>> {
    Ok(Json(
        super::transition(&state, &actor, &id, Action::Cancel).await?,
    ))
}

#[utoipa::path(post, path = "/api/distributions/{id}/reversal", tag = "distributions", params(("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    request_body = ReversalRequest, responses((status = 201, body = ReversalView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn reverse(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    Ok(super::reverse(&state, &actor, &id, &headers, &body)
        .await?
        .into_response())
}

#[utoipa::path(post, path = "/api/distributions/{id}/reallocate", tag = "distributions", params(("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
    description = "Plans the lines again from the fund's record-date holdings of now, with the same allocation (pro rata or per share), and stores their new fingerprint; clears the stale flag. DRAFT stays DRAFT; READY and APPROVED are READY (an approval is of the old amounts: approve again, by someone who did not reallocate it). Lines given explicitly or set by hand, and reversals, are refused (409). Audited with the totals before and after and the lines changed; event `distribution.reallocated`.",
    responses((status = 200, body = ReallocationView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn reallocate(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    Ok(super::reallocate(&state, &actor, &id, &headers, &body)
        .await?
        .into_response())
}
