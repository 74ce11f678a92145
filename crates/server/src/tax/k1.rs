//! Schedule K-1 over HTTP: a partnership fund's tax items of a year (add, list, delete), one
//! partner's K-1 (JSON, and as a download), and every partner's K-1 of a fund-year.
//!
//! Money is a decimal string in the fund currency; item J shares are percent with up to six
//! decimals. PDF and XLSX copies come from the formats part (`K1Doc`); until it is wired in,
//! the download is the JSON document.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use clearway_app::tax::k1::{self as app, ItemInput, PartnerK1};
use clearway_core::access::Permission;
use clearway_core::tax::k1::{K1Amount, K1};
use clearway_core::Currency;
use clearway_store::tax::forms::FormRecord;
use clearway_store::tax::k1::K1ItemRecord;
use clearway_store::Actor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::http::{
    idempotent, page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved,
};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/funds/{fund_id}/k1-items",
            get(list_items).post(post_item),
        )
        .route("/api/funds/{fund_id}/k1-items/{id}", delete(delete_item))
        .route("/api/funds/{fund_id}/k1/{tax_year}", get(fund_k1s))
        .route(
            "/api/investors/{investor_id}/k1/{tax_year}/{fund_id}",
            get(partner_k1),
        )
        .route(
            "/api/investors/{investor_id}/k1/{tax_year}/{fund_id}/export",
            get(export_k1),
        )
}

/// The OpenAPI paths of this module.
#[derive(OpenApi)]
#[openapi(
    paths(list_items, post_item, delete_item, fund_k1s, partner_k1, export_k1),
    components(schemas(K1ItemRequest, K1FundItemView, K1AmountView, K1ItemJView, K1ItemLView, K1PartnerView)),
    tags((name = "tax", description = "Year-end tax: profiles, withholding, forms, K-1, re-characterization")),
)]
pub struct ApiDoc;

/// Body of `POST /api/funds/{fundId}/k1-items`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct K1ItemRequest {
    /// Tax year.
    #[schema(minimum = 1900, maximum = 2200)]
    pub tax_year: i64,
    /// K-1 Part III line.
    #[schema(pattern = "^(5|6a|6b|8|9a|9b|9c|10|11|13|20|21)$")]
    pub line: String,
    /// Code (1–2 capital letters) for lines 11, 13 and 20; empty otherwise.
    #[serde(default)]
    #[schema(pattern = "^[A-Z]{0,2}$")]
    pub code: String,
    /// Fund-level amount, signed decimal, not zero.
    pub amount: String,
    /// Description (shown on the statement attached to the K-1).
    #[serde(default)]
    pub description: String,
}

/// A fund item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct K1FundItemView {
    /// Id.
    pub id: String,
    /// Fund.
    pub fund_id: String,
    /// Tax year.
    pub tax_year: i32,
    /// Line.
    pub line: String,
    /// Code ('' where the line has none).
    pub code: String,
    /// Amount.
    pub amount: String,
    /// Description.
    pub description: String,
    /// Entered by (user id).
    pub created_by: String,
    /// Entered at (UTC).
    pub created_at: String,
}

impl K1FundItemView {
    pub(crate) fn new(i: &K1ItemRecord, c: Currency) -> K1FundItemView {
        K1FundItemView {
            id: i.id.clone(),
            fund_id: i.fund_id.clone(),
            tax_year: i.tax_year,
            line: i.line.clone(),
            code: i.code.clone(),
            amount: c.format_minor(i.amount_minor),
            description: i.description.clone(),
            created_by: i.created_by.clone(),
            created_at: i.created_at.clone(),
        }
    }
}

/// One amount of Part III.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct K1AmountView {
    /// Line (`5` … `21`, `19A`, `19C`).
    pub line: String,
    /// Code ('' where the line has none).
    pub code: String,
    /// Amount.
    pub amount: String,
}

/// Item J: shares in percent, beginning and end of the year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct K1ItemJView {
    /// Profit, beginning.
    pub profit_beginning: String,
    /// Profit, ending.
    pub profit_ending: String,
    /// Loss, beginning.
    pub loss_beginning: String,
    /// Loss, ending.
    pub loss_ending: String,
    /// Capital, beginning.
    pub capital_beginning: String,
    /// Capital, ending.
    pub capital_ending: String,
}

/// Item L: the capital account analysis.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct K1ItemLView {
    /// Beginning capital account.
    pub beginning: String,
    /// Capital contributed during the year.
    pub contributed: String,
    /// Current year net income (loss).
    pub net_income: String,
    /// Other increase (decrease).
    pub other: String,
    /// Withdrawals and distributions.
    pub withdrawals_distributions: String,
    /// Ending capital account.
    pub ending: String,
}

/// A partner's Schedule K-1.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct K1PartnerView {
    /// Fund (the partnership).
    pub fund_id: String,
    /// Tax year.
    pub tax_year: i32,
    /// Partner (investor id).
    pub investor_id: String,
    /// Partner name.
    pub investor_name: String,
    /// Whether this is the issued form of a closed year (false: computed now).
    #[serde(rename = "final")]
    pub final_: bool,
    /// Issue number (1, 2, …) when issued.
    pub seq: Option<i64>,
    /// Whether the issue corrects an earlier one.
    pub corrected: bool,
    /// Issued at (UTC) when issued.
    pub issued_at: Option<String>,
    /// Part III, in line order then code.
    pub lines: Vec<K1AmountView>,
    /// Item J.
    pub item_j: K1ItemJView,
    /// Item L.
    pub item_l: K1ItemLView,
}

impl K1PartnerView {
    pub(crate) fn new(
        fund_id: &str,
        year: i32,
        p: &PartnerK1,
        c: Currency,
        issue: Option<&FormRecord>,
    ) -> Self {
        K1PartnerView {
            fund_id: fund_id.to_string(),
            tax_year: year,
            investor_id: p.investor_id.clone(),
            investor_name: p.name.clone(),
            final_: issue.is_some(),
            seq: issue.map(|i| i.seq),
            corrected: issue.is_some_and(|i| i.corrected),
            issued_at: issue.map(|i| i.issued_at.clone()),
            lines: amounts(&p.k1, c),
            item_j: item_j(&p.k1),
            item_l: item_l(&p.k1, c),
        }
    }
}

fn amounts(k1: &K1, c: Currency) -> Vec<K1AmountView> {
    k1.lines
        .iter()
        .map(|a: &K1Amount| K1AmountView {
            line: a.line.as_str().to_string(),
            code: a.code.clone(),
            amount: c.format_minor(a.amount_minor),
        })
        .collect()
}

fn item_j(k1: &K1) -> K1ItemJView {
    let j = &k1.item_j;
    let p = |d: rust_decimal::Decimal| d.normalize().to_string();
    K1ItemJView {
        profit_beginning: p(j.profit_beginning),
        profit_ending: p(j.profit_ending),
        loss_beginning: p(j.loss_beginning),
        loss_ending: p(j.loss_ending),
        capital_beginning: p(j.capital_beginning),
        capital_ending: p(j.capital_ending),
    }
}

fn item_l(k1: &K1, c: Currency) -> K1ItemLView {
    let l = &k1.item_l;
    K1ItemLView {
        beginning: c.format_minor(l.beginning),
        contributed: c.format_minor(l.contributed),
        net_income: c.format_minor(l.net_income),
        other: c.format_minor(l.other),
        withdrawals_distributions: c.format_minor(l.withdrawals_distributions),
        ending: c.format_minor(l.ending),
    }
}

/// Query of the items list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemsQuery {
    /// Only this year's items.
    #[param(minimum = 1900, maximum = 2200)]
    tax_year: Option<i64>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Page query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct K1PageQuery {
    /// `nextCursor` of the previous page (an investor id).
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Query of the download.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct K1ExportQuery {
    /// `pdf` (the default: the form as PDF/A-2b), `xlsx` or `json`.
    #[param(pattern = "^(pdf|xlsx|json)$")]
    format: Option<String>,
}

/// A year in a path: digits, 1900–2200, else 422 `taxYear`.
pub fn path_year(text: &str) -> ApiResult<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|y| (1900..=2200).contains(y))
        .ok_or_else(|| ApiError::field("taxYear", "must be a year between 1900 and 2200"))
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/k1-items", tag = "tax",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("Idempotency-Key" = Option<String>, Header)),
    request_body = K1ItemRequest,
    responses((status = 201, body = K1FundItemView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn post_item(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let req: K1ItemRequest = parse_json(&headers, &body)?;
    let input = ItemInput {
        tax_year: req.tax_year,
        line: req.line,
        code: req.code,
        amount: req.amount,
        description: req.description,
    };
    let path = format!("/api/funds/{fund_id}/k1-items");
    let s = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let item = app::add_item(tx, &actor, &fund_id, &input).await?;
            let fund = clearway_store::funds::get_fund_tx(tx, &actor, &fund_id).await?;
            Saved::json(
                StatusCode::CREATED,
                &K1FundItemView::new(&item, fund.currency),
            )
        },
    )
    .await?;
    Ok(s.into_response())
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/k1-items", tag = "tax",
    params(("fund_id" = String, Path, description = "Fund id or code"), ItemsQuery),
    responses((status = 200, body = Page<K1FundItemView>), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_items(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    Qs(q): Qs<ItemsQuery>,
) -> ApiResult<Json<Page<K1FundItemView>>> {
    let limit = page_limit(q.limit, 100)?;
    let year = q.tax_year.map(|y| path_year(&y.to_string())).transpose()?;
    let mut tx = state.db.begin().await?;
    let (fund, items) = app::list_items(
        &mut tx,
        &actor,
        &fund_id,
        year.map(|y| y as i32),
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(
        Page::new(items, limit, |i| i.id.clone()).map(|i| K1FundItemView::new(&i, fund.currency)),
    ))
}

#[utoipa::path(delete, path = "/api/funds/{fund_id}/k1-items/{id}", tag = "tax",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn delete_item(
    State(state): State<AppState>,
    actor: Actor,
    Path((fund_id, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    app::delete_item(&mut tx, &actor, &fund_id, &id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/k1/{tax_year}", tag = "tax",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("tax_year" = String, Path, description = "Tax year"), K1PageQuery),
    responses((status = 200, body = Page<K1PartnerView>), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn fund_k1s(
    State(state): State<AppState>,
    actor: Actor,
    Path((fund_id, tax_year)): Path<(String, String)>,
    Qs(q): Qs<K1PageQuery>,
) -> ApiResult<Json<Page<K1PartnerView>>> {
    let limit = page_limit(q.limit, 100)?;
    let year = path_year(&tax_year)?;
    let mut tx = state.db.begin().await?;
    let (fund, all) = app::fund_k1s(&mut tx, &actor, &fund_id, year).await?;
    tx.commit().await?;
    // Computed whole (allocation needs every partner), served a page at a time.
    let page: Vec<(PartnerK1, Option<FormRecord>)> = all
        .into_iter()
        .filter(|(p, _)| {
            q.cursor
                .as_deref()
                .is_none_or(|c| p.investor_id.as_str() > c)
        })
        .take(limit as usize)
        .collect();
    Ok(Json(
        Page::new(page, limit, |(p, _)| p.investor_id.clone()).map(|(p, issue)| {
            K1PartnerView::new(&fund.id, year as i32, &p, fund.currency, issue.as_ref())
        }),
    ))
}

async fn statement(
    state: &AppState,
    actor: &Actor,
    investor_id: &str,
    tax_year: &str,
    fund_id: &str,
) -> ApiResult<K1PartnerView> {
    let year = path_year(tax_year)?;
    let mut tx = state.db.begin().await?;
    let st = app::partner_k1(&mut tx, actor, investor_id, year, fund_id).await?;
    tx.commit().await?;
    Ok(K1PartnerView::new(
        &st.fund.id,
        st.tax_year,
        &st.partner,
        st.fund.currency,
        st.issue.as_ref(),
    ))
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/k1/{tax_year}/{fund_id}", tag = "tax",
    params(("investor_id" = String, Path), ("tax_year" = String, Path, description = "Tax year"), ("fund_id" = String, Path, description = "Fund id or code")),
    responses((status = 200, body = K1PartnerView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn partner_k1(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, tax_year, fund_id)): Path<(String, String, String)>,
) -> ApiResult<Json<K1PartnerView>> {
    Ok(Json(
        statement(&state, &actor, &investor_id, &tax_year, &fund_id).await?,
    ))
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/k1/{tax_year}/{fund_id}/export", tag = "tax",
    params(("investor_id" = String, Path), ("tax_year" = String, Path, description = "Tax year"), ("fund_id" = String, Path, description = "Fund id or code"), K1ExportQuery),
    responses((status = 200, description = "The K-1 as a download: PDF (default), XLSX or JSON", content(("application/pdf"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (K1PartnerView = "application/json"))), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn export_k1(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, tax_year, fund_id)): Path<(String, String, String)>,
    Qs(q): Qs<K1ExportQuery>,
) -> ApiResult<Response> {
    let format = q.format.as_deref().unwrap_or("pdf");
    if !matches!(format, "pdf" | "xlsx" | "json") {
        return Err(ApiError::field("format", "must be pdf, xlsx or json"));
    }
    let year = path_year(&tax_year)?;
    let mut tx = state.db.begin().await?;
    let st = app::partner_k1(&mut tx, &actor, &investor_id, year, &fund_id).await?;
    let doc = app::document(&mut tx, &actor, &st).await?;
    tx.commit().await?;
    let view = K1PartnerView::new(
        &st.fund.id,
        st.tax_year,
        &st.partner,
        st.fund.currency,
        st.issue.as_ref(),
    );
    let failed = |e: clearway_formats::documents::DocumentError| {
        ApiError::Internal(format!("rendering a K-1: {e}"))
    };
    let (body, content_type) = match format {
        "pdf" => (
            clearway_formats::documents::render(
                &doc.layout(),
                clearway_formats::documents::Format::Pdf,
            )
            .map_err(failed)?,
            "application/pdf",
        ),
        "xlsx" => (
            clearway_formats::tax::forms::k1_xlsx(&doc).map_err(failed)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        _ => (
            serde_json::to_vec_pretty(&view)
                .map_err(|e| ApiError::Internal(format!("serialising a K-1: {e}")))?,
            "application/json",
        ),
    };
    let name = format!(
        "k1-{}-{}-{}.{format}",
        view.tax_year, view.fund_id, view.investor_id
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}
