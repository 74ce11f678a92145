//! HTTP handlers of the in-kind API: securities, fund positions, in-kind distributions
//! (preview, create, view) and the lots investors received.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clearway_app::inkind as app;
use clearway_core::access::Permission;
use clearway_store::distributions as dstore;
use clearway_store::inkind::{self as store, securities};
use clearway_store::{funds, Actor};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use crate::distributions::dto::DistributionView;
use crate::http::{
    idempotent, page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved,
};
use crate::state::AppState;

/// Default page size of the lists here.
const PAGE_DEFAULT: i64 = 50;

/// Query of a paged list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PageQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(post, path = "/api/securities", tag = "in-kind", request_body = SecurityRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    responses((status = 201, body = SecurityView), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn create_security(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let req: SecurityRequest = parse_json(&headers, &body)?;
    let saved = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        "/api/securities",
        &body,
        async |tx| {
            let s =
                app::create_security(tx, &actor, &req.name, &req.identifier_type, &req.identifier)
                    .await?;
            Saved::json(StatusCode::CREATED, &SecurityView::from(&s))
        },
    )
    .await?;
    Ok(saved.into_response())
}

#[utoipa::path(get, path = "/api/securities", tag = "in-kind", params(PageQuery),
    responses((status = 200, body = SecurityPage)), security(("bearer" = [])))]
pub(crate) async fn list_securities(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<PageQuery>,
) -> ApiResult<Json<SecurityPage>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = securities::list(&state.db, &actor, q.cursor.as_deref(), limit).await?;
    let page = Page::new(items, limit, |s| s.id.clone()).map(|s| SecurityView::from(&s));
    Ok(Json(SecurityPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(put, path = "/api/funds/{fund_id}/positions/{security_id}", tag = "in-kind",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("security_id" = String, Path)),
    request_body = PositionRequest,
    responses((status = 200, body = PositionView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn put_position(
    State(state): State<AppState>,
    actor: Actor,
    Path((fund_id, security_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<PositionView>> {
    actor.require(Permission::Operate)?;
    let req: PositionRequest = parse_json(&headers, &body)?;
    let p = app::set_position(&state.db, &actor, &fund_id, &security_id, req.quantity).await?;
    Ok(Json(PositionView::from(&p)))
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/positions", tag = "in-kind",
    params(("fund_id" = String, Path, description = "Fund id or code")),
    responses((status = 200, body = [PositionView]), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_positions(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
) -> ApiResult<Json<Vec<PositionView>>> {
    if actor.investor_id.is_some() {
        return Err(ApiError::from(clearway_store::StoreError::NotFound("fund")));
    }
    let fund = funds::find_fund(&state.db, &actor, &fund_id).await?;
    let items = securities::positions(&state.db, &actor, &fund.id).await?;
    Ok(Json(items.iter().map(PositionView::from).collect()))
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/in-kind-distributions/preview", tag = "in-kind",
    params(("fund_id" = String, Path, description = "Fund id or code")),
    request_body = InKindDistributionRequest,
    responses((status = 200, body = InKindView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn preview(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<InKindView>> {
    actor.require(Permission::Operate)?;
    let req: InKindDistributionRequest = parse_json(&headers, &body)?;
    let plan = app::preview(&state.db, &actor, &fund_id, &req.read()).await?;
    Ok(Json(InKindView::planned(&plan, None)))
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/in-kind-distributions", tag = "in-kind",
    params(("fund_id" = String, Path, description = "Fund id or code"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    request_body = InKindDistributionRequest,
    responses((status = 201, body = InKindView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let req: InKindDistributionRequest = parse_json(&headers, &body)?;
    let path = format!("/api/funds/{fund_id}/in-kind-distributions");
    let saved = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let (d, plan) = app::create(tx, &actor, &fund_id, &req.read()).await?;
            Saved::json(
                StatusCode::CREATED,
                &InKindView::planned(&plan, Some(DistributionView::from(&d))),
            )
        },
    )
    .await?;
    Ok(saved.into_response())
}

#[utoipa::path(get, path = "/api/distributions/{id}/in-kind", tag = "in-kind",
    params(("id" = String, Path)),
    responses((status = 200, body = InKindView), (status = 404, description = "no such distribution, or a cash one", body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn get_in_kind(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<InKindView>> {
    let d = dstore::get(&state.db, &actor, &id).await?;
    let h = store::get(&state.db, &actor, &d)
        .await?
        .ok_or(clearway_store::StoreError::NotFound("in-kind distribution"))?;
    let lines = store::lines(&state.db, &actor, &d).await?;
    Ok(Json(InKindView::stored(
        &DistributionView::from(&d),
        &h,
        &lines,
        d.currency,
    )))
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/security-lots", tag = "in-kind",
    params(("investor_id" = String, Path), PageQuery),
    responses((status = 200, body = SecurityLotPage), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn investor_lots(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    Qs(q): Qs<PageQuery>,
) -> ApiResult<Json<SecurityLotPage>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = store::lots(&state.db, &actor, &investor_id, q.cursor.as_deref(), limit).await?;
    let page = Page::new(items, limit, |l| l.id.clone()).map(|l| SecurityLotView::from(&l));
    Ok(Json(SecurityLotPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
