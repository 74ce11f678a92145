//! HTTP handlers: schedules (create, list, read, edit, pause/resume, preview, materialize)
//! and business-day calendars.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::calendar::Calendar;
use clearway_core::distribution::parse_date;
use clearway_core::schedules::upcoming;
use clearway_store::schedules as store;
use clearway_store::{funds, Actor};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use crate::http::{
    idempotent, page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved,
};
use crate::state::AppState;

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/schedules", tag = "schedules",
    params(("fund_id" = String, Path, description = "Fund id or code"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    request_body = ScheduleRequest,
    responses((status = 201, body = ScheduleView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let fund = funds::find_fund(&state.db, &actor, &fund_id).await?;
    let req: ScheduleRequest = parse_json(&headers, &body)?;
    let spec = req.parse(fund.currency)?;
    let path = format!("/api/funds/{}/schedules", fund.id);
    let saved = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let s = clearway_app::schedules::create(tx, &actor, &fund.id, &spec).await?;
            Saved::json(StatusCode::CREATED, &ScheduleView::from(&s))
        },
    )
    .await?;
    Ok(saved.into_response())
}

/// Query of the schedules list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// Only this fund (id).
    fund_id: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/schedules", tag = "schedules", params(ListQuery),
    responses((status = 200, body = Page<ScheduleView>)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<ListQuery>,
) -> ApiResult<Json<Page<ScheduleView>>> {
    let limit = page_limit(q.limit, 50)?;
    let items = store::list(
        &state.db,
        &actor,
        q.fund_id.as_deref(),
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(
        Page::new(items, limit, |s| s.id.clone()).map(|s| ScheduleView::from(&s)),
    ))
}

#[utoipa::path(get, path = "/api/schedules/{id}", tag = "schedules", params(("id" = String, Path)),
    responses((status = 200, body = ScheduleDetail), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<ScheduleDetail>> {
    let s = store::get(&state.db, &actor, &id).await?;
    let occurrences = store::occurrences(&state.db, &actor, &id).await?;
    Ok(Json(ScheduleDetail {
        schedule: ScheduleView::from(&s),
        occurrences: occurrences.into_iter().map(OccurrenceView::from).collect(),
    }))
}

#[utoipa::path(patch, path = "/api/schedules/{id}", tag = "schedules", params(("id" = String, Path)),
    request_body(content = Object, description = "Any fields of ScheduleRequest; the others keep their values"),
    responses((status = 200, body = ScheduleView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn patch(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<ScheduleView>> {
    actor.require(Permission::Operate)?;
    let current = store::get(&state.db, &actor, &id).await?;
    let changes: serde_json::Map<String, serde_json::Value> = parse_json(&headers, &body)?;
    let mut merged = ScheduleView::from(&current).as_request();
    for (k, v) in changes {
        merged[k] = v;
    }
    let req: ScheduleRequest =
        serde_json::from_value(merged).map_err(|e| ApiError::field("body", e.to_string()))?;
    let fund = funds::find_fund(&state.db, &actor, &current.fund_id).await?;
    let spec = req.parse(fund.currency)?;
    let s = clearway_app::schedules::update(&state.db, &actor, &id, &spec).await?;
    Ok(Json(ScheduleView::from(&s)))
}

async fn set_paused(
    state: &AppState,
    actor: &Actor,
    id: &str,
    paused: bool,
) -> ApiResult<Json<ScheduleView>> {
    actor.require(Permission::Operate)?;
    let s = clearway_app::schedules::set_paused(&state.db, actor, id, paused).await?;
    Ok(Json(ScheduleView::from(&s)))
}

#[utoipa::path(post, path = "/api/schedules/{id}/pause", tag = "schedules", params(("id" = String, Path)),
    responses((status = 200, body = ScheduleView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn pause(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<ScheduleView>> {
    set_paused(&state, &actor, &id, true).await
}

#[utoipa::path(post, path = "/api/schedules/{id}/resume", tag = "schedules", params(("id" = String, Path)),
    responses((status = 200, body = ScheduleView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn resume(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<ScheduleView>> {
    set_paused(&state, &actor, &id, false).await
}

/// Query of the preview.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreviewQuery {
    /// How many occurrences (1–60, default 6).
    #[param(minimum = 1, maximum = 60)]
    count: Option<i64>,
}

#[utoipa::path(get, path = "/api/schedules/{id}/preview", tag = "schedules", params(("id" = String, Path), PreviewQuery),
    responses((status = 200, body = PreviewView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn preview(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Qs(q): Qs<PreviewQuery>,
) -> ApiResult<Json<PreviewView>> {
    let count = match q.count {
        None => 6,
        Some(n @ 1..=60) => n as usize,
        Some(_) => return Err(ApiError::field("count", "must be 1 to 60")),
    };
    let s = store::get(&state.db, &actor, &id).await?;
    let items = upcoming(&s.spec.rules, today(), count);
    Ok(Json(PreviewView {
        items: items.iter().map(OccurrenceDates::from).collect(),
    }))
}

#[utoipa::path(post, path = "/api/schedules/materialize", tag = "schedules",
    request_body(content = MaterializeRequest, description = "Optional"),
    responses((status = 200, body = MaterializeView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn materialize(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<MaterializeView>> {
    actor.require(Permission::Operate)?;
    // A JSON body always (`{}` for today), as the document says: parse strictly.
    let req: MaterializeRequest = parse_json(&headers, &body)?;
    let as_of = match req.as_of.as_deref() {
        Some(t) => parse_date("asOf", t).map_err(|e| ApiError::Invalid(e.into()))?,
        None => today(),
    };
    let done =
        clearway_app::schedules::materialize(&state.db, &actor, as_of, draft_request).await?;
    Ok(Json(done.into()))
}

/// Query of the holidays list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HolidaysQuery {
    /// Year (2000–2040); the current year when absent.
    #[param(minimum = 2000, maximum = 2040)]
    year: Option<i32>,
}

/// The holidays of `name` in `year`, or the 422 naming the bad field.
pub fn holidays(name: &str, year: i32) -> ApiResult<HolidaysView> {
    let cal: Calendar = name
        .parse()
        .map_err(|e: clearway_core::calendar::CalendarError| {
            ApiError::field("calendar", e.to_string())
        })?;
    let list = cal
        .holidays(year)
        .map_err(|e| ApiError::field("year", e.to_string()))?;
    Ok(HolidaysView {
        calendar: cal.as_str().into(),
        year,
        holidays: list
            .iter()
            .map(|h| HolidayView {
                date: h.date.to_string(),
                name: h.name.into(),
            })
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/calendars/{name}/holidays", tag = "schedules",
    params(("name" = String, Path, description = "US_FED (alias ACH) or NYSE", pattern = "^(US_FED|ACH|NYSE)$"), HolidaysQuery),
    responses((status = 200, body = HolidaysView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn calendar_holidays(
    _actor: Actor,
    Path(name): Path<String>,
    Qs(q): Qs<HolidaysQuery>,
) -> ApiResult<Json<HolidaysView>> {
    use chrono::Datelike;
    Ok(Json(holidays(
        &name,
        q.year.unwrap_or_else(|| today().year()),
    )?))
}
