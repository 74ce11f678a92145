//! Year-end re-characterization over HTTP: enter a distribution's final character once, and
//! read it back with each line before and after (staff; investors get 404).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use clearway_app::tax::recharacterize::{self as app, RecharacterizeInput};
use clearway_core::access::Permission;
use clearway_core::components::{ComponentKind, Components};
use clearway_core::Currency;
use clearway_store::tax::recharacterize::{LineChange, Recharacterization};
use clearway_store::Actor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::http::{
    idempotent, page_limit, parse_json, ApiResult, Page, Problem, Qs, RawBody, Saved,
};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/distributions/{distribution_id}/recharacterization",
        get(show).post(post),
    )
}

/// The OpenAPI paths of this module.
#[derive(OpenApi)]
#[openapi(
    paths(post, show),
    components(schemas(
        TaxComponentsInput,
        RecharacterizationRequest,
        TaxComponentsView,
        RecharacterizationView,
        RecharacterizedLineView
    ))
)]
pub struct ApiDoc;

/// Final component totals for the whole distribution (decimal strings; they sum to its total).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxComponentsInput {
    /// Ordinary (non-qualified) dividends.
    #[schema(pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$")]
    pub ordinary_dividend: String,
    /// Qualified dividends.
    #[schema(pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$")]
    pub qualified_dividend: String,
    /// Short-term capital gain.
    #[schema(pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$")]
    pub short_term_gain: String,
    /// Long-term capital gain.
    #[schema(pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$")]
    pub long_term_gain: String,
    /// Return of capital.
    #[schema(pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$")]
    pub return_of_capital: String,
    /// Interest.
    #[schema(pattern = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$")]
    pub interest: String,
}

/// Body of `POST /api/distributions/{distributionId}/recharacterization`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecharacterizationRequest {
    /// The final totals.
    pub components: TaxComponentsInput,
    /// Why (e.g. the Form 8937 it follows).
    pub reason: String,
}

/// Six components, decimal strings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxComponentsView {
    /// Ordinary dividends.
    pub ordinary_dividend: String,
    /// Qualified dividends.
    pub qualified_dividend: String,
    /// Short-term capital gain.
    pub short_term_gain: String,
    /// Long-term capital gain.
    pub long_term_gain: String,
    /// Return of capital.
    pub return_of_capital: String,
    /// Interest.
    pub interest: String,
}

impl TaxComponentsView {
    pub(crate) fn from_array(t: &[i64; 6], c: Currency) -> Self {
        TaxComponentsView {
            ordinary_dividend: c.format_minor(t[0]),
            qualified_dividend: c.format_minor(t[1]),
            short_term_gain: c.format_minor(t[2]),
            long_term_gain: c.format_minor(t[3]),
            return_of_capital: c.format_minor(t[4]),
            interest: c.format_minor(t[5]),
        }
    }

    fn new(x: &Components, c: Currency) -> Self {
        let mut t = [0i64; 6];
        for (i, k) in ComponentKind::ALL.iter().enumerate() {
            t[i] = x.get(*k);
        }
        Self::from_array(&t, c)
    }
}

/// One line before and after.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecharacterizedLineView {
    /// Investor.
    pub investor_id: String,
    /// Line total (unchanged).
    pub total: String,
    /// Components before.
    pub before: TaxComponentsView,
    /// Components after.
    pub after: TaxComponentsView,
}

impl RecharacterizedLineView {
    pub(crate) fn new(l: &LineChange, c: Currency) -> Self {
        RecharacterizedLineView {
            investor_id: l.investor_id.clone(),
            total: c.format_minor(l.total_minor),
            before: TaxComponentsView::new(&l.before, c),
            after: TaxComponentsView::new(&l.after, c),
        }
    }
}

/// A re-characterization.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecharacterizationView {
    /// Id.
    pub id: String,
    /// Distribution.
    pub distribution_id: String,
    /// The entered totals.
    pub totals: TaxComponentsView,
    /// Why.
    pub reason: String,
    /// Entered by (user id).
    pub created_by: String,
    /// Entered at (UTC).
    pub created_at: String,
    /// A page of the lines, by investor id.
    pub lines: Page<RecharacterizedLineView>,
}

impl RecharacterizationView {
    fn new(r: &Recharacterization, lines: Vec<LineChange>, limit: i64, c: Currency) -> Self {
        RecharacterizationView {
            id: r.id.clone(),
            distribution_id: r.distribution_id.clone(),
            totals: TaxComponentsView::from_array(&r.totals, c),
            reason: r.reason.clone(),
            created_by: r.created_by.clone(),
            created_at: r.created_at.clone(),
            lines: Page::new(lines, limit, |l| l.investor_id.clone())
                .map(|l| RecharacterizedLineView::new(&l, c)),
        }
    }
}

/// Page query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinesQuery {
    /// `nextCursor` of the previous page of lines (an investor id).
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The app's input from the request.
pub fn input(r: &RecharacterizationRequest) -> RecharacterizeInput {
    let c = &r.components;
    RecharacterizeInput {
        components: [
            c.ordinary_dividend.clone(),
            c.qualified_dividend.clone(),
            c.short_term_gain.clone(),
            c.long_term_gain.clone(),
            c.return_of_capital.clone(),
            c.interest.clone(),
        ],
        reason: r.reason.clone(),
    }
}

#[utoipa::path(post, path = "/api/distributions/{distribution_id}/recharacterization", tag = "tax",
    params(("distribution_id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = RecharacterizationRequest,
    responses((status = 201, body = RecharacterizationView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "not a COMPLETED regular distribution of an open-end fund, reversed, or re-characterized already", body = Problem),
        (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn post(
    State(state): State<AppState>,
    actor: Actor,
    Path(distribution_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let req: RecharacterizationRequest = parse_json(&headers, &body)?;
    let input = input(&req);
    let path = format!("/api/distributions/{distribution_id}/recharacterization");
    let limit = 100;
    let s = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let out = app::recharacterize(tx, &actor, &distribution_id, &input).await?;
            let (d, rec, lines) =
                app::show(tx, &actor, &out.record.distribution_id, None, limit).await?;
            Saved::json(
                StatusCode::CREATED,
                &RecharacterizationView::new(&rec, lines, limit, d.currency),
            )
        },
    )
    .await?;
    Ok(s.into_response())
}

#[utoipa::path(get, path = "/api/distributions/{distribution_id}/recharacterization", tag = "tax",
    params(("distribution_id" = String, Path), LinesQuery),
    responses((status = 200, body = RecharacterizationView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(distribution_id): Path<String>,
    Qs(q): Qs<LinesQuery>,
) -> ApiResult<Json<RecharacterizationView>> {
    let limit = page_limit(q.limit, 100)?;
    let mut tx = state.db.begin().await?;
    let (d, rec, lines) = app::show(
        &mut tx,
        &actor,
        &distribution_id,
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(RecharacterizationView::new(
        &rec, lines, limit, d.currency,
    )))
}
