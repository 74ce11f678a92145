//! HTTP handlers: reinvestment preferences (elections), organization settings, NAV uploads
//! and lookups.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use clearway_core::distribution::{parse_date, FundKind};
use clearway_core::reinvestment::nav::{self as core_nav, parse_share_class, DEFAULT_SHARE_CLASS};
use clearway_core::reinvestment::{Election, ElectionKind, Percentage};
use clearway_core::{FieldError, Invalid};
use clearway_store::funds;
use clearway_store::reinvestment::nav::{self as navs, ListFilter};
use clearway_store::reinvestment::{self as store, ElectionImport};
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use super::nav::parse_items;
use crate::http::{
    idempotent, page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved,
};
use crate::state::AppState;
use clearway_app::reinvestment::nav::{self as nav_import, parse_csv, NavImport};
use clearway_app::reinvestment::{self, ElectionChange};

/// Today (UTC), the default effective date and "as of".
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn date_param(field: &str, value: Option<&str>) -> ApiResult<Option<NaiveDate>> {
    value
        .map(|t| parse_date(field, t))
        .transpose()
        .map_err(|e| ApiError::Invalid(e.into()))
}

/// Query of the preferences view.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreferencesQuery {
    /// Elections in force on this date (YYYY-MM-DD); today when absent.
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    as_of: Option<String>,
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/reinvestment-preferences", tag = "reinvestment",
    params(("investor_id" = String, Path), PreferencesQuery),
    responses((status = 200, body = PreferencesView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_preferences(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    Qs(q): Qs<PreferencesQuery>,
) -> ApiResult<Json<PreferencesView>> {
    let as_of = date_param("asOf", q.as_of.as_deref())?.unwrap_or_else(today);
    let in_force = store::elections_in_force(&state.db, &actor, &investor_id, as_of).await?;
    let scheduled = store::scheduled_elections(&state.db, &actor, &investor_id, as_of).await?;
    let settings = store::settings(&state.db, &actor).await?;
    let default = &settings.default_election;
    let funds = funds::list_funds(&state.db, &actor)
        .await?
        .into_iter()
        .filter(|f| f.kind == FundKind::OpenEnd)
        .map(|f| match in_force.iter().find(|e| e.fund_id == f.id) {
            Some(e) => FundPreference {
                fund_id: f.id,
                fund_code: f.code,
                election: e.election.as_str().into(),
                percentage: e.percentage.clone(),
                target_fund_id: e.target_fund_id.clone(),
                source: "INVESTOR".into(),
                effective_date: Some(e.effective_date.to_string()),
            },
            None => FundPreference {
                fund_id: f.id,
                fund_code: f.code,
                election: default.kind().as_str().into(),
                percentage: default.percentage().to_string(),
                target_fund_id: None,
                source: "ORGANIZATION_DEFAULT".into(),
                effective_date: None,
            },
        })
        .collect();
    Ok(Json(PreferencesView {
        investor_id,
        as_of: as_of.to_string(),
        organization_default: DefaultView {
            election: default.kind().as_str().into(),
            percentage: default.percentage().to_string(),
        },
        funds,
        scheduled: scheduled.iter().map(ElectionView::from).collect(),
    }))
}

#[utoipa::path(put, path = "/api/investors/{investor_id}/reinvestment-preferences/{fund_id}", tag = "reinvestment",
    params(("investor_id" = String, Path), ("fund_id" = String, Path, description = "Fund id or code")),
    request_body = ElectionRequest,
    responses((status = 200, body = ElectionChanged), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn put_preference(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, fund_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<ElectionChanged>> {
    // The role before the body (investors elect only for themselves; the store refuses others').
    if actor.investor_id.is_none() {
        actor.require(clearway_core::access::Permission::Operate)?;
    }
    let req: ElectionRequest = parse_json(&headers, &body)?;
    let parsed = Election::parse(
        &req.election,
        req.percentage.as_deref(),
        req.target_fund_id.as_deref(),
    )
    .and_then(|election| {
        let effective = req
            .effective_date
            .as_deref()
            .map(|t| parse_date("effectiveDate", t))
            .transpose()?
            .unwrap_or_else(today);
        Ok((election, effective))
    });
    // The service checks role, investor and fund before it reports a refusal in `parsed`.
    let change = ElectionChange {
        investor_id,
        fund_id,
        parsed,
        today: today(),
    };
    let (record, changed) = reinvestment::put_election(&state.db, &actor, &change).await?;
    if changed {
        state.events_ready.notify_one();
    }
    Ok(Json(ElectionChanged {
        changed,
        election: ElectionView::from(&record),
    }))
}

/// Query of the election history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HistoryQuery {
    /// Only this fund (id or code).
    fund_id: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/reinvestment-preferences/history", tag = "reinvestment",
    params(("investor_id" = String, Path), HistoryQuery),
    responses((status = 200, body = Page<ElectionView>), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn preference_history(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    Qs(q): Qs<HistoryQuery>,
) -> ApiResult<Json<Page<ElectionView>>> {
    let limit = page_limit(q.limit, 50)?;
    let fund_id = match &q.fund_id {
        Some(f) => Some(funds::find_fund(&state.db, &actor, f).await?.id),
        None => None,
    };
    let items = store::election_history(
        &state.db,
        &actor,
        &investor_id,
        fund_id.as_deref(),
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(
        Page::new(items, limit, |e| e.id.clone()).map(|e| ElectionView::from(&e)),
    ))
}

#[utoipa::path(post, path = "/api/reinvestment-preferences/import", tag = "reinvestment",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    request_body = ElectionImportRequest,
    responses((status = 201, body = ElectionImportResult), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn import_preferences(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(clearway_core::access::Permission::Operate)?;
    let req: ElectionImportRequest = parse_json(&headers, &body)?;
    if req.elections.is_empty() || req.elections.len() > 200_000 {
        return Err(ApiError::field("elections", "give 1 to 200,000 elections"));
    }
    let mut errors = Vec::new();
    let mut items = Vec::with_capacity(req.elections.len());
    for (i, e) in req.elections.iter().enumerate() {
        let path = format!("elections[{i}]");
        let election = Election::parse(
            &e.election,
            e.percentage.as_deref(),
            e.target_fund_id.as_deref(),
        );
        let date = parse_date(&format!("{path}.effectiveDate"), &e.effective_date);
        match (election, date) {
            (Ok(election), Ok(effective_date)) => items.push(ElectionImport {
                investor_id: e.investor_id.clone(),
                fund_id: e.fund_id.clone(),
                election,
                effective_date,
            }),
            (election, date) => {
                if let Err(Invalid(list)) = election {
                    errors.extend(
                        list.into_iter()
                            .map(|f| FieldError::new(format!("{path}.{}", f.field), f.message)),
                    );
                }
                errors.extend(date.err());
            }
        }
        if errors.len() >= 100 {
            break;
        }
    }
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    let saved_response = idempotent(
        &state,
        &actor,
        clearway_core::access::Permission::Operate,
        &headers,
        "/api/reinvestment-preferences/import",
        &body,
        async |tx| {
            let imported = store::import_elections(tx, &actor, &items).await?;
            Saved::json(StatusCode::CREATED, &ElectionImportResult { imported })
        },
    )
    .await?;
    Ok(saved_response.into_response())
}

#[utoipa::path(get, path = "/api/reinvestment/settings", tag = "reinvestment",
    responses((status = 200, body = SettingsView)), security(("bearer" = [])))]
pub(crate) async fn get_settings(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<SettingsView>> {
    Ok(Json(SettingsView::from(
        &store::settings(&state.db, &actor).await?,
    )))
}

#[utoipa::path(put, path = "/api/reinvestment/settings", tag = "reinvestment", request_body = SettingsRequest,
    responses((status = 200, body = SettingsView), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn put_settings(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<SettingsView>> {
    actor.require(clearway_core::access::Permission::Administer)?;
    let req: SettingsRequest = parse_json(&headers, &body)?;
    let kind = req
        .default_election
        .parse::<ElectionKind>()
        .map_err(|why| ApiError::field("defaultElection", why))?;
    let pct = req
        .default_percentage
        .as_deref()
        .map(|p| Percentage::parse("defaultPercentage", p))
        .transpose()
        .map_err(|e| ApiError::Invalid(e.into()))?;
    let election = Election::from_parts(kind, pct, None).map_err(|e| {
        let field = if e.field == "percentage" {
            "defaultPercentage"
        } else {
            "defaultElection"
        };
        ApiError::field(field, e.message)
    })?;
    let staleness = req
        .nav_staleness_business_days
        .unwrap_or(core_nav::STALENESS_DEFAULT_DAYS);
    if staleness > core_nav::STALENESS_MAX_DAYS {
        return Err(ApiError::field(
            "navStalenessBusinessDays",
            format!("must be between 0 and {}", core_nav::STALENESS_MAX_DAYS),
        ));
    }
    let settings = reinvestment::put_settings(&state.db, &actor, &election, staleness).await?;
    state.events_ready.notify_one();
    Ok(Json(SettingsView::from(&settings)))
}

/// Query of a CSV NAV upload (JSON uploads carry these in the body).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NavUploadQuery {
    /// Replace stored NAVs that differ.
    replace: Option<bool>,
    /// Source recorded on each row; `csv` when absent.
    source: Option<String>,
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/navs", tag = "reinvestment",
    params(("fund_id" = String, Path, description = "Fund id or code"), NavUploadQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    request_body(content(
        (NavUpload = "application/json"),
        (String = "text/csv", example = "date,nav,shareClass\n2026-03-31,10.12345678,DEFAULT\n"),
    )),
    responses((status = 201, body = NavImportView, description = "NAVs stored"), (status = 200, body = NavImportView, description = "nothing new (all already stored)"),
        (status = 409, body = Problem, description = "a stored NAV differs; send replace"), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn upload_navs(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<NavUploadQuery>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(clearway_core::access::Permission::Operate)?;
    let fund = funds::find_fund(&state.db, &actor, &fund_id).await?;
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/csv"));
    let (points, source, replace) = if is_csv {
        let points = parse_csv(body.as_ref(), &fund, |_| {})
            .map_err(|e| ApiError::field(e.field, format!("line {}: {}", e.line, e.message)))?;
        (
            points,
            q.source.unwrap_or_else(|| "csv".into()),
            q.replace.unwrap_or(false),
        )
    } else {
        if q.replace.is_some() || q.source.is_some() {
            return Err(ApiError::field(
                "query",
                "replace and source go in the JSON body (the query form is for text/csv uploads)",
            ));
        }
        let upload: NavUpload = parse_json(&headers, &body)?;
        (
            parse_items(&upload.navs)?,
            upload.source.unwrap_or_else(|| "api".into()),
            upload.replace,
        )
    };
    let cmd = NavImport::new(&points, &source, replace)?;
    let path = format!(
        "/api/funds/{}/navs?replace={replace}&source={source}",
        fund.id
    );
    let s = idempotent(
        &state,
        &actor,
        clearway_core::access::Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let outcome = nav_import::import(tx, &actor, &fund, &cmd).await?;
            let status = if outcome.inserted + outcome.replaced > 0 {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Saved::json(status, &NavImportView::from(outcome))
        },
    )
    .await?;
    Ok(s.into_response())
}

/// Query of the NAV list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NavListQuery {
    /// Only this share class.
    share_class: Option<String>,
    /// On or after (YYYY-MM-DD).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    from: Option<String>,
    /// On or before (YYYY-MM-DD).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    to: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/navs", tag = "reinvestment",
    params(("fund_id" = String, Path, description = "Fund id or code"), NavListQuery),
    responses((status = 200, body = Page<NavView>), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_navs(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<NavListQuery>,
) -> ApiResult<Json<Page<NavView>>> {
    let fund = funds::find_fund(&state.db, &actor, &fund_id).await?;
    let limit = page_limit(q.limit, 100)?;
    let before = match q.cursor.as_deref() {
        None => None,
        Some(c) => {
            let (d, class) = c
                .split_once('|')
                .ok_or_else(|| ApiError::field("cursor", "not a cursor from this list"))?;
            Some((
                parse_date("cursor", d).map_err(|e| ApiError::Invalid(e.into()))?,
                class.to_string(),
            ))
        }
    };
    let share_class = q
        .share_class
        .as_deref()
        .map(|c| parse_share_class("shareClass", c))
        .transpose()
        .map_err(|e| ApiError::Invalid(e.into()))?;
    let filter = ListFilter {
        share_class,
        from: date_param("from", q.from.as_deref())?,
        to: date_param("to", q.to.as_deref())?,
        before,
        limit,
    };
    let items = navs::list(&state.db, &actor, &fund.id, &filter).await?;
    Ok(Json(
        Page::new(items, limit, |n| format!("{}|{}", n.date, n.share_class))
            .map(|n| NavView::from(&n)),
    ))
}

/// Query of the NAV lookup.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NavAtQuery {
    /// The date a price is wanted for (YYYY-MM-DD).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    date: String,
    /// Share class; DEFAULT when absent.
    share_class: Option<String>,
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/navs/at", tag = "reinvestment",
    params(("fund_id" = String, Path, description = "Fund id or code"), NavAtQuery),
    responses((status = 200, body = NavAtView), (status = 404, body = Problem, description = "no NAV usable for that date (missing or stale)")),
    security(("bearer" = [])))]
pub(crate) async fn nav_at(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<NavAtQuery>,
) -> ApiResult<Json<NavAtView>> {
    let fund = funds::find_fund(&state.db, &actor, &fund_id).await?;
    let date = parse_date("date", &q.date).map_err(|e| ApiError::Invalid(e.into()))?;
    let class = match q.share_class.as_deref() {
        Some(c) => parse_share_class("shareClass", c).map_err(|e| ApiError::Invalid(e.into()))?,
        None => DEFAULT_SHARE_CLASS.to_string(),
    };
    let settings = store::settings(&state.db, &actor).await?;
    let latest = navs::latest_on_or_before(&state.db, &actor, &fund.id, &class, Some(date)).await?;
    let quote = core_nav::resolve(latest, date, settings.nav_staleness_days).map_err(|e| {
        ApiError::BadRequest {
            status: StatusCode::NOT_FOUND,
            field: "date".into(),
            detail: format!("fund {} share class {class}: {e}", fund.code),
        }
    })?;
    Ok(Json(NavAtView {
        fund_id: fund.id,
        share_class: class,
        date: date.to_string(),
        nav: quote.nav.to_string(),
        nav_date: quote.date.to_string(),
        rule: quote.rule.as_str().into(),
        staleness_business_days: settings.nav_staleness_days,
    }))
}
