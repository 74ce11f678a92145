//! HTTP handlers: commitments, calls, contributions, recallables, imports, income, ownership
//! and capital accounts (JSON, CSV, XLSX).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use clearway_app::capital::{
    self as app, Batch, CallInput, CallItemInput, CommitmentInput, ContributionInput, IncomeInput,
};
use clearway_core::access::Permission;
use clearway_core::capital::OwnershipBasis;
use clearway_core::distribution::parse_date;
use clearway_core::Invalid;
use clearway_store::capital as store;
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use crate::http::{
    idempotent, page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved,
};
use crate::reinvestment::export::{self, Cell, ExportFormat, Table};
use crate::reinvestment::routes::today;
use crate::state::AppState;

/// Page query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PageQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Query of the contributions list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContributionsQuery {
    /// Contributions on or before this date (today when absent).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    up_to: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Query of ownership.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnershipQuery {
    /// The date (today when absent).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    as_of: Option<String>,
}

/// Query of the capital-account report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportQuery {
    /// Period start (YYYY-MM-DD).
    from: String,
    /// Period end (YYYY-MM-DD, not before `from`).
    to: String,
    /// `json` (default), `csv` or `xlsx`.
    format: Option<String>,
}

fn date_or_today(field: &str, v: Option<&str>) -> ApiResult<NaiveDate> {
    v.map(|t| parse_date(field, t))
        .transpose()
        .map_err(|e| ApiError::Invalid(e.into()))
        .map(|d| d.unwrap_or_else(today))
}

/// Runs a batch posted to `/api/funds/{fund_id}/{route}` in the idempotent transaction and
/// answers 201 with what it wrote.
async fn run_batch(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    body: &[u8],
    fund_id: &str,
    route: &str,
    batch: Batch,
) -> ApiResult<Response> {
    let action = match route {
        "commitments" => "capital.commitments_recorded",
        "capital-calls" => "capital.call_recorded",
        "contributions" => "capital.contributions_recorded",
        _ => "capital.activity_imported",
    };
    let path = format!("/api/funds/{fund_id}/{route}");
    let s = idempotent(
        state,
        actor,
        Permission::Operate,
        headers,
        &path,
        body,
        async |tx| {
            let out = app::record_batch(tx, actor, fund_id, &batch, today(), action).await?;
            let fund = store::capital_fund(tx, actor, fund_id).await?;
            Saved::json(
                StatusCode::CREATED,
                &BatchView::new(&out, fund.fund.currency),
            )
        },
    )
    .await?;
    Ok(s.into_response())
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/commitments", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code"), PageQuery),
    responses((status = 200, body = Page<PositionView>), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_commitments(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<PageQuery>,
) -> ApiResult<Json<Page<PositionView>>> {
    let limit = page_limit(q.limit, 100)?;
    let mut tx = state.db.begin().await?;
    let fund = store::capital_fund(&mut tx, &actor, &fund_id).await?;
    let rows = store::positions(
        &mut tx,
        &actor,
        &fund.fund.id,
        q.cursor.as_deref(),
        Some(limit),
    )
    .await?;
    tx.commit().await?;
    let c = fund.fund.currency;
    Ok(Json(
        Page::new(rows, limit, |p| p.investor_id.clone()).map(|p| PositionView::new(&p, c)),
    ))
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/commitments", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("Idempotency-Key" = Option<String>, Header)),
    request_body = CommitmentsRequest,
    responses((status = 201, body = BatchView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn post_commitments(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let req: CommitmentsRequest = parse_json(&headers, &body)?;
    let batch = Batch {
        commitments: req
            .commitments
            .into_iter()
            .enumerate()
            .map(|(i, c)| CommitmentInput {
                at: format!("commitments[{i}]"),
                investor_id: c.investor_id,
                kind: c.kind,
                amount: c.amount,
                date: c.date,
            })
            .collect(),
        ..Batch::default()
    };
    run_batch(
        &state,
        &actor,
        &headers,
        &body,
        &fund_id,
        "commitments",
        batch,
    )
    .await
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/capital-calls", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("Idempotency-Key" = Option<String>, Header)),
    request_body = CallRequest,
    responses((status = 201, body = BatchView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn post_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let r: CallRequest = parse_json(&headers, &body)?;
    let call = CallInput {
        at: String::new(),
        call_date: r.call_date,
        due_date: r.due_date,
        description: r.description,
        deal: r.deal,
        amount: r.amount,
        items: r
            .items
            .into_iter()
            .enumerate()
            .map(|(i, it)| CallItemInput {
                at: format!("items[{i}]"),
                investor_id: it.investor_id,
                amount: it.amount,
            })
            .collect(),
    };
    let batch = Batch {
        calls: vec![call],
        ..Batch::default()
    };
    run_batch(
        &state,
        &actor,
        &headers,
        &body,
        &fund_id,
        "capital-calls",
        batch,
    )
    .await
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/capital-calls", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code"), PageQuery),
    responses((status = 200, body = Page<CallView>), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_calls(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<PageQuery>,
) -> ApiResult<Json<Page<CallView>>> {
    actor.require(Permission::Operate)?;
    let limit = page_limit(q.limit, 100)?;
    let mut tx = state.db.begin().await?;
    let fund = store::capital_fund(&mut tx, &actor, &fund_id).await?;
    let rows = store::calls(&mut tx, &actor, &fund.fund.id, q.cursor.as_deref(), limit).await?;
    tx.commit().await?;
    let c = fund.fund.currency;
    Ok(Json(
        Page::new(rows, limit, |r| format!("{}|{}", r.call_date, r.id))
            .map(|r| CallView::new(&r, c)),
    ))
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/contributions", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("Idempotency-Key" = Option<String>, Header)),
    request_body = ContributionsRequest,
    responses((status = 201, body = BatchView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn post_contributions(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let req: ContributionsRequest = parse_json(&headers, &body)?;
    let batch = Batch {
        contributions: req
            .contributions
            .into_iter()
            .enumerate()
            .map(|(i, c)| ContributionInput {
                at: format!("contributions[{i}]"),
                investor_id: c.investor_id,
                date: c.date,
                amount: c.amount,
                deal: c.deal,
                call_id: c.call_id,
            })
            .collect(),
        ..Batch::default()
    };
    run_batch(
        &state,
        &actor,
        &headers,
        &body,
        &fund_id,
        "contributions",
        batch,
    )
    .await
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/contributions", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code"), ContributionsQuery),
    responses((status = 200, body = Page<ContributionView>), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_contributions(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<ContributionsQuery>,
) -> ApiResult<Json<Page<ContributionView>>> {
    let limit = page_limit(q.limit, 100)?;
    let up_to = date_or_today("upTo", q.up_to.as_deref())?;
    let mut tx = state.db.begin().await?;
    let fund = store::capital_fund(&mut tx, &actor, &fund_id).await?;
    let rows = store::contributions_page(
        &mut tx,
        &actor,
        &fund.fund.id,
        up_to,
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    tx.commit().await?;
    let c = fund.fund.currency;
    Ok(Json(
        Page::new(rows, limit, |r| format!("{}|{}", r.date, r.id))
            .map(|r| ContributionView::new(&r, c)),
    ))
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/recallables", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("Idempotency-Key" = Option<String>, Header)),
    request_body = RecallableRequest,
    responses((status = 201, body = PositionView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn post_recallable(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let r: RecallableRequest = parse_json(&headers, &body)?;
    let path = format!("/api/funds/{fund_id}/recallables");
    let s = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            app::record_recallable(
                tx,
                &actor,
                &fund_id,
                &r.investor_id,
                &r.date,
                &r.amount,
                r.distribution_id.as_deref(),
            )
            .await?;
            let fund = store::capital_fund(tx, &actor, &fund_id).await?;
            let p = store::positions(tx, &actor, &fund.fund.id, None, None).await?;
            let p = p
                .iter()
                .find(|p| p.investor_id == r.investor_id)
                .ok_or(ApiError::field(
                    "investorId",
                    "the investor has no commitment to this fund",
                ))?;
            Saved::json(
                StatusCode::CREATED,
                &PositionView::new(p, fund.fund.currency),
            )
        },
    )
    .await?;
    Ok(s.into_response())
}

#[utoipa::path(put, path = "/api/funds/{fund_id}/ownership-basis", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code")),
    request_body = BasisRequest,
    responses((status = 200, body = BasisRequest), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn put_basis(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<BasisRequest>> {
    actor.require(Permission::Operate)?;
    let r: BasisRequest = parse_json(&headers, &body)?;
    let mut tx = state.db.begin().await?;
    let fund = store::capital_fund(&mut tx, &actor, &fund_id).await?;
    let basis = OwnershipBasis::parse("ownershipBasis", &r.ownership_basis)
        .map_err(|e| ApiError::Invalid(e.into()))?;
    app::set_basis(&mut tx, &actor, &fund, basis).await?;
    tx.commit().await?;
    Ok(Json(BasisRequest {
        ownership_basis: basis.as_str().into(),
    }))
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/capital-activity/import", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("Idempotency-Key" = Option<String>, Header)),
    request_body(content = String, description = "CSV (text/csv) or XLSX: columns type, investor_id, partner_kind, amount, date, due_date, description, deal, call_id", content_type = "text/csv"),
    responses((status = 201, body = BatchView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn import(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    // The fund before the file, so a stranger learns nothing from parse errors.
    store::capital_fund(&mut state.db.begin().await?, &actor, &fund_id).await?;
    let batch = app::import::read(&body).map_err(|e| ApiError::Invalid(Invalid(e)))?;
    run_batch(
        &state,
        &actor,
        &headers,
        &body,
        &fund_id,
        "capital-activity/import",
        batch,
    )
    .await
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/income", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("Idempotency-Key" = Option<String>, Header)),
    request_body = IncomeRequest,
    responses((status = 201, body = IncomeView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn post_income(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let r: IncomeRequest = parse_json(&headers, &body)?;
    let input = IncomeInput {
        period_start: r.period_start,
        period_end: r.period_end,
        kind: r.kind,
        amount: r.amount,
        description: r.description,
    };
    let path = format!("/api/funds/{fund_id}/income");
    let s = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let out = app::record_income(tx, &actor, &fund_id, &input).await?;
            let c = store::capital_fund(tx, &actor, &fund_id)
                .await?
                .fund
                .currency;
            let view = IncomeView {
                id: out.id,
                amount: c.format_minor(out.amount_minor),
                allocations: out
                    .allocations
                    .iter()
                    .map(|(i, a)| AllocationView {
                        investor_id: i.clone(),
                        amount: c.format_minor(*a),
                    })
                    .collect(),
            };
            Saved::json(StatusCode::CREATED, &view)
        },
    )
    .await?;
    Ok(s.into_response())
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/ownership", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code"), OwnershipQuery),
    responses((status = 200, body = OwnershipView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn ownership(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<OwnershipQuery>,
) -> ApiResult<Json<OwnershipView>> {
    let as_of = date_or_today("asOf", q.as_of.as_deref())?;
    let mut tx = state.db.begin().await?;
    let (fund, rows) = app::ownership(&mut tx, &actor, &fund_id, as_of).await?;
    tx.commit().await?;
    let c = fund.fund.currency;
    Ok(Json(OwnershipView {
        fund_id: fund.fund.id,
        as_of: as_of.to_string(),
        basis: fund.basis.as_str().into(),
        investors: rows
            .iter()
            .map(|r| OwnershipItem {
                investor_id: r.investor_id.clone(),
                weight: c.format_minor(r.weight_minor),
                percent: r.percent.to_string(),
            })
            .collect(),
    }))
}

/// Reads the report (both routes).
async fn report(
    state: &AppState,
    actor: &Actor,
    fund_id: &str,
    q: &ReportQuery,
    investor: Option<&str>,
) -> ApiResult<app::Report> {
    let mut errs = Vec::new();
    let from = parse_date("from", &q.from).map_err(|e| errs.push(e)).ok();
    let to = parse_date("to", &q.to).map_err(|e| errs.push(e)).ok();
    let mut tx = state.db.begin().await?;
    // The fund (404/409) before the dates, like every other refusal order.
    store::capital_fund(&mut tx, actor, fund_id).await?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::Invalid(Invalid(errs)));
    };
    let r = app::capital_accounts(&mut tx, actor, fund_id, from, to, investor).await?;
    tx.commit().await?;
    Ok(r)
}

/// The report as a table (CSV/XLSX): one row per investor, then the total.
pub fn report_table(r: &app::Report) -> Table {
    let units = r.fund.fund.currency.minor_units();
    let money = |m: i64| Cell::Money(m, units);
    let row = |id: &str, name: &str, a: &clearway_core::capital::Account| {
        vec![
            Cell::Text(id.into()),
            Cell::Text(name.into()),
            money(a.beginning_minor),
            money(a.contributions_minor),
            money(a.allocated_minor),
            money(a.distributions_minor),
            money(a.ending_minor),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = r
        .rows
        .iter()
        .map(|(id, name, a)| row(id, name, a))
        .collect();
    rows.push(row("TOTAL", "", &r.total));
    Table {
        name: format!("capital-accounts-{}-{}-{}", r.fund.fund.code, r.from, r.to),
        headers: vec![
            "investor_id",
            "investor_name",
            "beginning",
            "contributions",
            "allocated",
            "distributions",
            "ending",
        ],
        rows,
    }
}

async fn respond(r: app::Report, format: Option<&str>) -> ApiResult<Response> {
    match format {
        None | Some("json") => Ok(Json(ReportView::new(&r)).into_response()),
        other => export::respond(&report_table(&r), ExportFormat::parse(other)?),
    }
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/capital-accounts", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code"), ReportQuery),
    responses((status = 200, body = ReportView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn capital_accounts(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<ReportQuery>,
) -> ApiResult<Response> {
    let r = report(&state, &actor, &fund_id, &q, None).await?;
    respond(r, q.format.as_deref()).await
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/capital-accounts/{investor_id}", tag = "capital",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("investor_id" = String, Path), ReportQuery),
    responses((status = 200, body = ReportView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn investor_account(
    State(state): State<AppState>,
    actor: Actor,
    Path((fund_id, investor_id)): Path<(String, String)>,
    Qs(q): Qs<ReportQuery>,
) -> ApiResult<Response> {
    let r = report(&state, &actor, &fund_id, &q, Some(&investor_id)).await?;
    respond(r, q.format.as_deref()).await
}
