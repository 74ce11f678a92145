//! Withholding over HTTP: the liability report
//! (`GET /api/tax/withholding-liability?from&to&period=month|quarter`, JSON or CSV with
//! `Accept: text/csv` or `format=csv`), the flagged lines (`GET /api/tax/withholding/flags`),
//! and a distribution's lines' withholding (`GET /api/distributions/{id}/withholding`).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use clearway_app::tax::liability::{self as app, LiabilityLine, Period};
use clearway_core::access::Permission;
use clearway_store::tax::withholding::{self as store, LineWithholding};
use clearway_store::{distributions, Actor, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::profiles::{offset_of, offset_page};
use crate::http::{page_limit, ApiError, ApiResult, Page, Problem, Qs};
use crate::state::AppState;

/// Routes of withholding reports.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tax/withholding-liability", get(liability))
        .route("/api/tax/withholding/flags", get(flags))
        .route("/api/distributions/{id}/withholding", get(of_distribution))
}

/// One amount owed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxLiabilityLine {
    /// `2026-01`, `2026-Q1`, or `TOTAL`.
    pub period: String,
    /// Currency.
    pub currency: String,
    /// `BACKUP` (Form 945), `CHAPTER3` (Form 1042), `STATE`.
    #[schema(pattern = "^(BACKUP|CHAPTER3|STATE)$")]
    pub liability: String,
    /// The state, for `STATE`.
    pub state: Option<String>,
    /// Minor units.
    pub amount_minor: i64,
}

/// The liability report.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxLiabilityReport {
    /// Range start.
    pub from: String,
    /// Range end (inclusive).
    pub to: String,
    /// `month` or `quarter`.
    pub period: String,
    /// Per period, currency and liability.
    pub lines: Vec<TaxLiabilityLine>,
    /// Per currency and liability over the range.
    pub totals: Vec<TaxLiabilityLine>,
}

fn line_view(l: &LiabilityLine) -> TaxLiabilityLine {
    TaxLiabilityLine {
        period: l.period.clone(),
        currency: l.currency.clone(),
        liability: l.liability.clone(),
        state: l.state.clone(),
        amount_minor: l.amount_minor,
    }
}

/// Query of the report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LiabilityQuery {
    /// Payable dates from (YYYY-MM-DD).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    from: String,
    /// Payable dates to, inclusive (YYYY-MM-DD).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    to: String,
    /// `month` (default) or `quarter`.
    #[param(pattern = "^(month|quarter)$")]
    period: Option<String>,
    /// `json` (default) or `csv` (also chosen by `Accept: text/csv`).
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

fn csv_of(r: &TaxLiabilityReport) -> String {
    let mut out = String::from("period,currency,liability,state,amount_minor\n");
    for l in r.lines.iter().chain(r.totals.iter()) {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            l.period,
            l.currency,
            l.liability,
            l.state.as_deref().unwrap_or(""),
            l.amount_minor
        ));
    }
    out
}

#[utoipa::path(get, path = "/api/tax/withholding-liability", tag = "tax", params(LiabilityQuery),
    responses((status = 200, description = "The report as JSON, or CSV with format=csv or Accept: text/csv", content((TaxLiabilityReport = "application/json"), (String = "text/csv"))), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn liability(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Qs(q): Qs<LiabilityQuery>,
) -> ApiResult<Response> {
    let csv = match q.format.as_deref() {
        Some("csv") => true,
        Some("json") => false,
        Some(_) => return Err(ApiError::field("format", "must be json or csv")),
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv")),
    };
    let mut tx = state.db.begin().await?;
    let r = app::report(
        &mut tx,
        &actor,
        &q.from,
        &q.to,
        q.period.as_deref().unwrap_or(""),
    )
    .await?;
    let view = TaxLiabilityReport {
        from: r.from.to_string(),
        to: r.to.to_string(),
        period: match r.period {
            Period::Month => "month".into(),
            Period::Quarter => "quarter".into(),
        },
        lines: r.lines.iter().map(line_view).collect(),
        totals: r.totals.iter().map(line_view).collect(),
    };
    if csv {
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            csv_of(&view),
        )
            .into_response());
    }
    Ok(Json(view).into_response())
}

/// The withholding of one line.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxLineWithholdingView {
    /// Distribution.
    pub distribution_id: String,
    /// Investor.
    pub investor_id: String,
    /// Fund.
    pub fund_id: String,
    /// Currency.
    pub currency: String,
    /// Payable date.
    pub payable_date: String,
    /// `NONE`, `BACKUP`, `CHAPTER3`.
    #[schema(pattern = "^(NONE|BACKUP|CHAPTER3)$")]
    pub regime: String,
    /// Federal withheld per component: ordinary, qualified, short-term gain, long-term gain,
    /// return of capital, interest.
    pub federal_by_component: Vec<i64>,
    /// Federal total.
    pub federal_minor: i64,
    /// Federal rate per component (percent), same order.
    pub rates: Vec<String>,
    /// State withheld for.
    pub state: Option<String>,
    /// State amount.
    pub state_minor: i64,
    /// Federal + state: what the line's cash was reduced by.
    pub total_minor: i64,
    /// Why the line needs attention, if it does.
    pub flag: Option<String>,
}

impl From<&LineWithholding> for TaxLineWithholdingView {
    fn from(w: &LineWithholding) -> Self {
        TaxLineWithholdingView {
            distribution_id: w.distribution_id.clone(),
            investor_id: w.investor_id.clone(),
            fund_id: w.fund_id.clone(),
            currency: w.currency.clone(),
            payable_date: w.payable_date.clone(),
            regime: w.regime.clone(),
            federal_by_component: w.federal_by_component.to_vec(),
            federal_minor: w.federal_minor,
            rates: w.rates.clone(),
            state: w.state.clone(),
            state_minor: w.state_minor,
            total_minor: w.federal_minor + w.state_minor,
            flag: w.flag.clone(),
        }
    }
}

/// Page query (offset cursor).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxPageQuery {
    /// `nextCursor` of the previous page.
    #[param(pattern = "^[0-9]{1,9}$")]
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/tax/withholding/flags", tag = "tax", params(TaxPageQuery),
    responses((status = 200, body = Page<TaxLineWithholdingView>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn flags(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<TaxPageQuery>,
) -> ApiResult<Json<Page<TaxLineWithholdingView>>> {
    actor.require(Permission::Read)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("withholding flags").into());
    }
    let limit = page_limit(q.limit, 100)?;
    let offset = offset_of(q.cursor.as_deref())?;
    let mut tx = state.db.begin().await?;
    let (rows, total) = store::flagged_tx(&mut tx, &actor, limit, offset).await?;
    Ok(Json(offset_page(
        rows.iter().map(Into::into).collect(),
        offset,
        total,
    )))
}

#[utoipa::path(get, path = "/api/distributions/{id}/withholding", tag = "tax",
    params(("id" = String, Path, description = "Distribution id"), TaxPageQuery),
    responses((status = 200, body = Page<TaxLineWithholdingView>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn of_distribution(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Qs(q): Qs<TaxPageQuery>,
) -> ApiResult<Json<Page<TaxLineWithholdingView>>> {
    let mut tx = state.db.begin().await?;
    let d = distributions::get_tx(&mut tx, &actor, &id).await?;
    let limit = page_limit(q.limit, 100)?;
    let offset = offset_of(q.cursor.as_deref())?;
    let (rows, total) = store::of_distribution_tx(&mut tx, &actor, &d.id, limit, offset).await?;
    Ok(Json(offset_page(
        rows.iter().map(Into::into).collect(),
        offset,
        total,
    )))
}

/// OpenAPI paths of withholding reports.
#[derive(OpenApi)]
#[openapi(
    paths(liability, flags, of_distribution),
    components(schemas(TaxLiabilityLine, TaxLiabilityReport, TaxLineWithholdingView))
)]
pub struct ApiDoc;
