//! HTTP handlers: a fund's share classes and holdings writes.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clearway_app::classes as app;
use clearway_core::access::Permission;
use clearway_core::reinvestment::nav::parse_share_class;
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use crate::http::{
    idempotent, page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved,
};
use crate::reinvestment::routes::today;
use crate::state::AppState;

#[utoipa::path(post, path = "/api/funds/{fund_id}/classes", tag = "funds",
    params(("fund_id" = String, Path, description = "Fund id or code"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    request_body = ClassRequest,
    responses((status = 201, body = ClassView), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "code (duplicate, DEFAULT, malformed), name, or fundId (a partnership)")),
    security(("bearer" = [])))]
pub(crate) async fn create_class(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    // The role first: a caller who may not write learns nothing from validation or a replay.
    actor.require(Permission::Operate)?;
    let req: ClassRequest = parse_json(&headers, &body)?;
    let path = format!("/api/funds/{fund_id}/classes");
    let saved = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let class = app::create_class(tx, &actor, &fund_id, &req.code, &req.name).await?;
            Saved::json(StatusCode::CREATED, &ClassView::bare(&class))
        },
    )
    .await?;
    state.events_ready.notify_one();
    Ok(saved.into_response())
}

/// Query of the classes list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClassesQuery {
    /// `nextCursor` of the previous page (a class code).
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/classes", tag = "funds",
    params(("fund_id" = String, Path, description = "Fund id or code"), ClassesQuery),
    responses((status = 200, body = Page<ClassView>, description = "DEFAULT first, then by code; latest NAV and holders as of today"),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn list_classes(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<ClassesQuery>,
) -> ApiResult<Json<Page<ClassView>>> {
    let limit = page_limit(q.limit, 50)?;
    let mut tx = state.db.begin().await?;
    let (_, classes) = app::overview(&mut tx, &actor, &fund_id, today()).await?;
    tx.commit().await?;
    // A fund has a handful of classes: they are read whole and paged here, in list order
    // (DEFAULT, then by code), the cursor being the last code shown.
    let start = match q.cursor.as_deref() {
        Some(c) => classes
            .iter()
            .position(|s| s.class.code == c)
            .map_or(0, |i| i + 1),
        None => 0,
    };
    let items: Vec<ClassView> = classes
        .iter()
        .skip(start)
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(ClassView::from)
        .collect();
    Ok(Json(Page::new(items, limit, |c| c.code.clone())))
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/holdings", tag = "funds",
    params(("fund_id" = String, Path, description = "Fund id or code"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    request_body = HoldingsRequest,
    responses((status = 201, body = HoldingsView, description = "recorded; open distributions of the class whose record-date holdings changed are flagged stale"),
        (status = 404, body = Problem),
        (status = 422, body = Problem, description = "asOf, shareClass (unknown, or on a partnership), holdings[i].investorId / units")),
    security(("bearer" = [])))]
pub(crate) async fn record_holdings(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let req: HoldingsRequest = parse_json(&headers, &body)?;
    let class = req
        .share_class
        .as_deref()
        .map(|c| parse_share_class("shareClass", c))
        .transpose()
        .map_err(|e| ApiError::Invalid(e.into()))?;
    let (as_of, rows) = req.parse()?;
    let path = format!("/api/funds/{fund_id}/holdings");
    let saved = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let fund =
                app::record_holdings(tx, &actor, &fund_id, class.as_deref(), as_of, &rows).await?;
            let view = HoldingsView {
                fund_id: fund.id,
                share_class: class.clone().unwrap_or_else(|| "DEFAULT".into()),
                as_of: as_of.to_string(),
                recorded: rows.len(),
            };
            Saved::json(StatusCode::CREATED, &view)
        },
    )
    .await?;
    state.events_ready.notify_one();
    Ok(saved.into_response())
}
