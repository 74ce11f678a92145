//! HTTP handlers of the waterfall API.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clearway_app::waterfall as app;
use clearway_core::access::Permission;
use clearway_core::distribution::parse_date;
use clearway_core::waterfall::TierOutcome;
use clearway_store::{funds, Actor, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::*;
use crate::distributions::dto::DistributionView;
use crate::http::{idempotent, parse_json, ApiError, ApiResult, Problem, Qs, RawBody, Saved};
use crate::state::AppState;

/// Waterfalls show every partner's figures: staff only, checked before anything is read.
fn staff(actor: &Actor) -> ApiResult<()> {
    actor.require(Permission::Read)?;
    if actor.investor_id.is_some() {
        return Err(ApiError::Store(StoreError::Forbidden(
            "waterfalls are for the organization's staff".into(),
        )));
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/waterfall", tag = "waterfall",
    params(("fund_id" = String, Path, description = "Fund id or code")),
    responses((status = 200, body = TermsView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_terms(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
) -> ApiResult<Json<TermsView>> {
    staff(&actor)?;
    match app::terms(&state.db, &actor, &fund_id).await? {
        Some((row, terms)) => {
            let fund = funds::find_fund(&state.db, &actor, &fund_id).await?;
            Ok(Json(TermsView::new(&fund.id, &row, &terms)))
        }
        None => Err(StoreError::NotFound("waterfall terms").into()),
    }
}

#[utoipa::path(put, path = "/api/funds/{fund_id}/waterfall", tag = "waterfall",
    params(("fund_id" = String, Path, description = "Fund id or code")), request_body = TermsRequest,
    responses((status = 200, body = TermsView), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn put_terms(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<TermsView>> {
    staff(&actor)?;
    actor.require(Permission::Operate)?;
    let req: TermsRequest = parse_json(&headers, &body)?;
    let terms = req.to_core()?;
    let mut tx = state.db.begin().await?;
    let row = app::set_terms(&mut tx, &actor, &fund_id, &terms).await?;
    let fund = funds::get_fund_tx(&mut tx, &actor, &fund_id).await?;
    tx.commit().await?;
    state.events_ready.notify_one();
    Ok(Json(TermsView::new(&fund.id, &row, &terms)))
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/waterfall/hypothetical", tag = "waterfall",
    params(("fund_id" = String, Path, description = "Fund id or code")), request_body = HypotheticalRequest,
    responses((status = 200, body = WaterfallView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn hypothetical(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<WaterfallView>> {
    staff(&actor)?;
    let req: HypotheticalRequest = parse_json(&headers, &body)?;
    let (proceeds, computed) = app::hypothetical(&state.db, &actor, &fund_id, |currency| {
        req.proceeds(currency)
    })
    .await?;
    Ok(Json(WaterfallView::of(
        &computed.fund,
        computed.terms_version,
        &proceeds,
        &computed.outcome,
    )))
}

/// A distribution declared from the waterfall, with the waterfall that made it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaterfallDistributionView {
    /// The DRAFT distribution.
    pub distribution: DistributionView,
    /// The waterfall behind it.
    pub waterfall: WaterfallView,
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/waterfall/distributions", tag = "waterfall",
    params(("fund_id" = String, Path, description = "Fund id or code"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first answer")),
    request_body = WaterfallDistributionRequest,
    responses((status = 201, body = WaterfallDistributionView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn create_distribution(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    staff(&actor)?;
    actor.require(Permission::Operate)?;
    let req: WaterfallDistributionRequest = parse_json(&headers, &body)?;
    let path = format!("/api/funds/{fund_id}/waterfall/distributions");
    let saved = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let fund = funds::get_fund_tx(tx, &actor, &fund_id).await?;
            let cmd = req.command(fund.currency)?;
            let (d, computed) = app::create_distribution(tx, &actor, &fund.id, &cmd).await?;
            let proceeds = clearway_core::waterfall::Proceeds {
                amount: cmd.amount,
                date: cmd.schedule.payable,
                deal: cmd.deal.clone(),
                currency: fund.currency,
            };
            let mut waterfall = WaterfallView::of(
                &computed.fund,
                computed.terms_version,
                &proceeds,
                &computed.outcome,
            );
            waterfall.distribution_id = Some(d.id.clone());
            Saved::json(
                StatusCode::CREATED,
                &WaterfallDistributionView {
                    distribution: DistributionView::from(&d),
                    waterfall,
                },
            )
        },
    )
    .await?;
    Ok(saved.into_response())
}

/// Query of the clawback.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClawbackQuery {
    /// Date of the computation (YYYY-MM-DD); today when absent.
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    as_of: Option<String>,
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/waterfall/clawback", tag = "waterfall",
    params(("fund_id" = String, Path, description = "Fund id or code"), ClawbackQuery),
    responses((status = 200, body = ClawbackView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn clawback(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<ClawbackQuery>,
) -> ApiResult<Json<ClawbackView>> {
    staff(&actor)?;
    let as_of = match q.as_of.as_deref() {
        Some(t) => parse_date("asOf", t).map_err(|e| ApiError::Invalid(e.into()))?,
        None => crate::reinvestment::routes::today(),
    };
    let (fund, c) = app::clawback(&state.db, &actor, &fund_id, as_of).await?;
    Ok(Json(ClawbackView::of(&fund, &c)))
}

/// The waterfall behind a distribution.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    /// The distribution.
    pub distribution_id: String,
    /// Its fund.
    pub fund_id: String,
    /// Currency of every amount.
    pub currency: String,
    /// Terms version applied.
    pub terms_version: i64,
    /// Proceeds.
    pub proceeds: String,
    /// Date computed at.
    pub date: String,
    /// Deal (American).
    pub deal: Option<String>,
    /// Per tier, as computed then.
    pub tiers: Vec<TierView>,
    /// Per line (investors with a line), by investor id.
    pub lines: Vec<InvestorTiersView>,
}

#[utoipa::path(get, path = "/api/distributions/{id}/waterfall", tag = "waterfall",
    params(("id" = String, Path)),
    responses((status = 200, body = RunView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn run_of(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<RunView>> {
    staff(&actor)?;
    let Some((run, lines)) = app::run_of(&state.db, &actor, &id).await? else {
        return Err(StoreError::NotFound("waterfall of this distribution").into());
    };
    let fund = funds::find_fund(&state.db, &actor, &run.fund_id).await?;
    let c = fund.currency;
    let tiers: Vec<TierOutcome> = serde_json::from_value(run.tiers.clone())
        .map_err(|e| ApiError::Internal(format!("stored waterfall tiers: {e}")))?;
    Ok(Json(RunView {
        distribution_id: run.distribution_id,
        fund_id: run.fund_id,
        currency: c.code().into(),
        terms_version: run.terms_version,
        proceeds: c.format_minor(run.proceeds_minor),
        date: run.proceeds_date.to_string(),
        deal: run.deal,
        tiers: tier_views(&tiers, c),
        lines: lines
            .iter()
            .map(|(investor, t)| InvestorTiersView::of(investor, t, c))
            .collect(),
    }))
}
