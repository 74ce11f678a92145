//! 1099-DIV and 1042-S over HTTP: a fund-year's figures per investor (paginated, with their
//! newest issue), one investor's form (the investor reads their own once issued), the
//! fund-year's tax summary, and bulk generation runs (a job with progress).
//!
//! Money is a decimal string in USD (forms are in USD); rates are percent.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clearway_app::tax::forms::{self as app, DivForm, FundYear};
use clearway_app::tax::{form1042, runs};
use clearway_core::access::Permission;
use clearway_core::money::Currency;
use clearway_core::tax::form1042::Form1042S;
use clearway_core::tax::form1099::Div1099;
use clearway_store::tax::forms::{self as store, FormRecord, Span};
use clearway_store::tax::runs::Run;
use clearway_store::{Actor, Tx};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::years::parse_year;
use crate::http::{idempotent, page_limit, ApiResult, Page, Problem, Qs, RawBody, Saved};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/funds/{fund_id}/1099-div/{tax_year}", get(fund_1099))
        .route(
            "/api/investors/{investor_id}/1099-div/{tax_year}/{fund_id}",
            get(investor_1099),
        )
        .route(
            "/api/investors/{investor_id}/1099-div/{tax_year}/{fund_id}/export",
            get(export_1099),
        )
        .route(
            "/api/investors/{investor_id}/1042-s/{tax_year}/{fund_id}/export",
            get(export_1042),
        )
        .route("/api/funds/{fund_id}/1042-s/{tax_year}", get(fund_1042))
        .route(
            "/api/investors/{investor_id}/1042-s/{tax_year}/{fund_id}",
            get(investor_1042),
        )
        .route("/api/funds/{fund_id}/tax-summary/{tax_year}", get(summary))
        .route(
            "/api/funds/{fund_id}/tax-forms/{tax_year}/runs",
            post(start_run),
        )
        .route("/api/tax-form-runs/{run_id}", get(get_run))
}

/// The OpenAPI paths of this module.
#[derive(OpenApi)]
#[openapi(
    paths(fund_1099, investor_1099, export_1099, fund_1042, investor_1042, export_1042, summary, start_run, get_run),
    components(schemas(
        Form1099DivBoxes, Form1099DivStateView, Form1099DivItem, Form1099DivView, TaxFormIssueView,
        Form1042SRowView, Form1042SItem, Form1042SView, TaxSummaryView, TaxSummaryStateView,
        TaxSummaryFormCount, TaxFormRunView,
    )),
    tags((name = "tax", description = "Year-end tax: profiles, withholding, forms, K-1, re-characterization")),
)]
pub struct ApiDoc;

/// Page query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxPageQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

fn usd(minor: i64) -> String {
    Currency::USD.format_minor(minor)
}

/// The boxes of a Form 1099-DIV (USD decimal strings).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Form1099DivBoxes {
    /// 1a total ordinary dividends.
    pub box1a: String,
    /// 1b qualified dividends.
    pub box1b: String,
    /// 2a total capital gain distributions.
    pub box2a: String,
    /// 2b unrecaptured section 1250 gain.
    pub box2b: String,
    /// 2c section 1202 gain.
    pub box2c: String,
    /// 2d collectibles (28 %) gain.
    pub box2d: String,
    /// 2e section 897 ordinary dividends.
    pub box2e: String,
    /// 2f section 897 capital gain.
    pub box2f: String,
    /// 3 nondividend distributions.
    pub box3: String,
    /// 4 federal income tax withheld.
    pub box4: String,
    /// 5 section 199A dividends.
    pub box5: String,
    /// 6 investment expenses.
    pub box6: String,
    /// 7 foreign tax paid.
    pub box7: String,
    /// 8 foreign country or U.S. possession.
    pub box8: Option<String>,
    /// 9 cash liquidation distributions.
    pub box9: String,
    /// 10 noncash liquidation distributions.
    pub box10: String,
    /// 11 FATCA filing requirement.
    pub box11: bool,
    /// 12 exempt-interest dividends.
    pub box12: String,
    /// 13 specified private activity bond interest dividends.
    pub box13: String,
    /// 14–16 per state.
    pub states: Vec<Form1099DivStateView>,
}

/// Boxes 14–16 of one state.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Form1099DivStateView {
    /// 14 state (USPS).
    pub state: String,
    /// 15 payer's state identification number.
    pub payer_state_id: Option<String>,
    /// 16 state income tax withheld.
    pub withheld: String,
}

impl From<&Div1099> for Form1099DivBoxes {
    fn from(d: &Div1099) -> Self {
        Form1099DivBoxes {
            box1a: usd(d.box1a),
            box1b: usd(d.box1b),
            box2a: usd(d.box2a),
            box2b: usd(d.box2b),
            box2c: usd(d.box2c),
            box2d: usd(d.box2d),
            box2e: usd(d.box2e),
            box2f: usd(d.box2f),
            box3: usd(d.box3),
            box4: usd(d.box4),
            box5: usd(d.box5),
            box6: usd(d.box6),
            box7: usd(d.box7),
            box8: d.box8.clone(),
            box9: usd(d.box9),
            box10: usd(d.box10),
            box11: d.box11,
            box12: usd(d.box12),
            box13: usd(d.box13),
            states: d
                .states
                .iter()
                .map(|s| Form1099DivStateView {
                    state: s.state.clone(),
                    payer_state_id: s.payer_state_id.clone(),
                    withheld: usd(s.withheld_minor),
                })
                .collect(),
        }
    }
}

/// The newest issue of a form.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxFormIssueView {
    /// Form id.
    pub id: String,
    /// 1, 2, …
    pub seq: i64,
    /// A CORRECTED form.
    pub corrected: bool,
    /// Issued at (UTC).
    pub issued_at: String,
    /// The FIRE file that carried it to the IRS, if any.
    pub fire_file_id: Option<String>,
}

impl From<&FormRecord> for TaxFormIssueView {
    fn from(r: &FormRecord) -> Self {
        TaxFormIssueView {
            id: r.id.clone(),
            seq: r.seq,
            corrected: r.corrected,
            issued_at: r.issued_at.clone(),
            fire_file_id: r.fire_file_id.clone(),
        }
    }
}

/// One investor's 1099-DIV in a fund-year list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Form1099DivItem {
    /// Investor.
    pub investor_id: String,
    /// Investor's name.
    pub name: String,
    /// TIN on file, masked (`***-**-1234`), absent when missing.
    pub tin_masked: Option<String>,
    /// TIN status (`CERTIFIED`, `MISSING`, `B_NOTICE`, `C_NOTICE`).
    #[schema(pattern = "^(CERTIFIED|MISSING|B_NOTICE|C_NOTICE)$")]
    pub tin_status: String,
    /// Due by the $10 rule (or anything withheld, or foreign tax paid).
    pub due: bool,
    /// The boxes as they stand.
    pub figures: Form1099DivBoxes,
    /// The newest issue, if any.
    pub issued: Option<TaxFormIssueView>,
}

/// One investor's 1099-DIV.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Form1099DivView {
    /// Investor.
    pub investor_id: String,
    /// Fund (the payer).
    pub fund_id: String,
    /// Tax year.
    pub tax_year: i32,
    /// Due by the $10 rule.
    pub due: bool,
    /// The boxes (staff: as they stand; the investor: as issued).
    pub figures: Form1099DivBoxes,
    /// The newest issue, if any.
    pub issued: Option<TaxFormIssueView>,
}

fn masked(last4: Option<&str>) -> Option<String> {
    last4.map(|l| format!("*****{l}"))
}

/// Ids of the page after `cursor` (at most `limit`), and whether more follow.
async fn page_ids(
    tx: &mut Tx,
    actor: &Actor,
    fy: &FundYear,
    cursor: Option<&str>,
    limit: i64,
) -> ApiResult<(Option<String>, bool)> {
    let ids = store::year_investors_tx(tx, actor, &fy.fund.id, fy.year).await?;
    let rest: Vec<&String> = ids
        .iter()
        .filter(|id| cursor.is_none_or(|c| id.as_str() > c))
        .collect();
    let n = usize::try_from(limit).unwrap_or(100);
    Ok((
        rest.get(n.min(rest.len()).saturating_sub(1))
            .map(|s| s.to_string()),
        rest.len() > n,
    ))
}

async fn issued_map(
    tx: &mut Tx,
    actor: &Actor,
    fy: &FundYear,
    form: &str,
    cursor: Option<&str>,
    limit: i64,
) -> ApiResult<HashMap<String, FormRecord>> {
    let rows =
        store::newest_of_year_tx(tx, actor, &fy.fund.id, fy.year, form, cursor, limit).await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.investor_id.clone(), r))
        .collect())
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/1099-div/{tax_year}", tag = "tax",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("tax_year" = String, Path, description = "Four-digit year", pattern = "^[0-9]{4}$"), TaxPageQuery),
    responses((status = 200, body = Page<Form1099DivItem>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn fund_1099(
    State(state): State<AppState>,
    actor: Actor,
    Path((fund_id, tax_year)): Path<(String, String)>,
    Qs(q): Qs<TaxPageQuery>,
) -> ApiResult<Json<Page<Form1099DivItem>>> {
    let mut tx = state.db.begin().await?;
    let fy = app::fund_year(&mut tx, &actor, &fund_id, parse_year(&tax_year)?).await?;
    app::check_1099_fund(&fy.fund)?;
    let limit = page_limit(q.limit, 100)?;
    let cursor = q.cursor.as_deref();
    let (last, more) = page_ids(&mut tx, &actor, &fy, cursor, limit).await?;
    let Some(last) = last else {
        return Ok(Json(Page {
            items: Vec::new(),
            next_cursor: None,
        }));
    };
    let forms = app::div_forms(&mut tx, &actor, &fy, Span::Range(cursor, &last)).await?;
    let mut issued = issued_map(&mut tx, &actor, &fy, app::FORM, cursor, limit).await?;
    tx.commit().await?;
    let items = forms
        .into_iter()
        .map(|f: DivForm| Form1099DivItem {
            tin_masked: masked(f.profile.as_ref().and_then(|p| p.tin_last4.as_deref())),
            tin_status: f
                .profile
                .as_ref()
                .map_or("MISSING", |p| p.tin_status.as_str())
                .to_string(),
            due: f.due,
            figures: Form1099DivBoxes::from(&f.figures),
            issued: issued
                .remove(&f.investor_id)
                .as_ref()
                .map(TaxFormIssueView::from),
            investor_id: f.investor_id,
            name: f.name,
        })
        .collect();
    Ok(Json(Page {
        items,
        next_cursor: more.then_some(last),
    }))
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/1099-div/{tax_year}/{fund_id}", tag = "tax",
    params(("investor_id" = String, Path, description = "Investor id"), ("tax_year" = String, Path, description = "Four-digit year", pattern = "^[0-9]{4}$"), ("fund_id" = String, Path, description = "Fund id or code")),
    responses((status = 200, body = Form1099DivView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn investor_1099(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, tax_year, fund_id)): Path<(String, String, String)>,
) -> ApiResult<Json<Form1099DivView>> {
    let year = parse_year(&tax_year)?;
    let mut tx = state.db.begin().await?;
    let d = app::investor_div(&mut tx, &actor, &investor_id, year, &fund_id).await?;
    tx.commit().await?;
    Ok(Json(Form1099DivView {
        investor_id,
        fund_id: d.fund.id,
        tax_year: year,
        due: d.due,
        figures: Form1099DivBoxes::from(&d.figures),
        issued: d.issued.as_ref().map(TaxFormIssueView::from),
    }))
}

/// One Form 1042-S row (one income code and rate).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Form1042SRowView {
    /// Box 1 income code.
    #[schema(pattern = "^[0-9]{2}$")]
    pub income_code: String,
    /// Box 2 gross income.
    pub gross_income: String,
    /// Box 3 chapter (3 or 4).
    pub chapter: u8,
    /// Box 3a chapter 3 exemption code.
    pub ch3_exemption_code: String,
    /// Box 3b chapter 3 rate (percent).
    pub ch3_rate: String,
    /// Box 4a chapter 4 exemption code.
    pub ch4_exemption_code: String,
    /// Box 4b chapter 4 rate (percent).
    pub ch4_rate: String,
    /// Box 7a federal tax withheld.
    pub withheld: String,
    /// Box 13b recipient's country.
    pub recipient_country: Option<String>,
    /// Box 13f chapter 3 status code.
    pub ch3_status: Option<String>,
    /// Box 13g chapter 4 status code.
    pub ch4_status: Option<String>,
}

impl From<&Form1042S> for Form1042SRowView {
    fn from(r: &Form1042S) -> Self {
        Form1042SRowView {
            income_code: r.income_code.clone(),
            gross_income: usd(r.gross_income_minor),
            chapter: r.chapter,
            ch3_exemption_code: r.ch3_exemption_code.clone(),
            ch3_rate: r.ch3_rate.normalize().to_string(),
            ch4_exemption_code: r.ch4_exemption_code.clone(),
            ch4_rate: r.ch4_rate.normalize().to_string(),
            withheld: usd(r.withheld_minor),
            recipient_country: r.recipient_country.clone(),
            ch3_status: r.ch3_status.clone(),
            ch4_status: r.ch4_status.clone(),
        }
    }
}

/// One foreign recipient's 1042-S rows in a fund-year list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Form1042SItem {
    /// Investor.
    pub investor_id: String,
    /// Name.
    pub name: String,
    /// Country of residence.
    pub country: Option<String>,
    /// Rows.
    pub rows: Vec<Form1042SRowView>,
    /// The newest issue, if any.
    pub issued: Option<TaxFormIssueView>,
}

/// One recipient's 1042-S.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Form1042SView {
    /// Investor.
    pub investor_id: String,
    /// Fund (withholding agent's payer).
    pub fund_id: String,
    /// Tax year.
    pub tax_year: i32,
    /// Rows (staff: as they stand; the investor: as issued).
    pub rows: Vec<Form1042SRowView>,
    /// The newest issue, if any.
    pub issued: Option<TaxFormIssueView>,
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/1042-s/{tax_year}", tag = "tax",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("tax_year" = String, Path, description = "Four-digit year", pattern = "^[0-9]{4}$"), TaxPageQuery),
    responses((status = 200, body = Page<Form1042SItem>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn fund_1042(
    State(state): State<AppState>,
    actor: Actor,
    Path((fund_id, tax_year)): Path<(String, String)>,
    Qs(q): Qs<TaxPageQuery>,
) -> ApiResult<Json<Page<Form1042SItem>>> {
    let mut tx = state.db.begin().await?;
    let fy = app::fund_year(&mut tx, &actor, &fund_id, parse_year(&tax_year)?).await?;
    app::check_1099_fund(&fy.fund)?;
    let limit = page_limit(q.limit, 100)?;
    let cursor = q.cursor.as_deref();
    let (last, more) = page_ids(&mut tx, &actor, &fy, cursor, limit).await?;
    let Some(last) = last else {
        return Ok(Json(Page {
            items: Vec::new(),
            next_cursor: None,
        }));
    };
    let recipients = form1042::recipients(&mut tx, &actor, &fy, Span::Range(cursor, &last)).await?;
    let mut issued = issued_map(&mut tx, &actor, &fy, form1042::FORM, cursor, limit).await?;
    tx.commit().await?;
    let items = recipients
        .into_iter()
        .map(|r| Form1042SItem {
            country: r.profile.country.clone(),
            rows: r.rows.iter().map(Form1042SRowView::from).collect(),
            issued: issued
                .remove(&r.investor_id)
                .as_ref()
                .map(TaxFormIssueView::from),
            investor_id: r.investor_id,
            name: r.name,
        })
        .collect();
    Ok(Json(Page {
        items,
        next_cursor: more.then_some(last),
    }))
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/1042-s/{tax_year}/{fund_id}", tag = "tax",
    params(("investor_id" = String, Path, description = "Investor id"), ("tax_year" = String, Path, description = "Four-digit year", pattern = "^[0-9]{4}$"), ("fund_id" = String, Path, description = "Fund id or code")),
    responses((status = 200, body = Form1042SView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn investor_1042(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, tax_year, fund_id)): Path<(String, String, String)>,
) -> ApiResult<Json<Form1042SView>> {
    let year = parse_year(&tax_year)?;
    let mut tx = state.db.begin().await?;
    let (fund, rows, issued) =
        form1042::investor_1042(&mut tx, &actor, &investor_id, year, &fund_id).await?;
    tx.commit().await?;
    Ok(Json(Form1042SView {
        investor_id,
        fund_id: fund.id,
        tax_year: year,
        rows: rows.iter().map(Form1042SRowView::from).collect(),
        issued: issued.as_ref().map(TaxFormIssueView::from),
    }))
}

/// State withholding of a fund-year.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxSummaryStateView {
    /// State (USPS).
    pub state: String,
    /// Withheld.
    pub withheld: String,
}

/// Issued forms of one kind.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxSummaryFormCount {
    /// `1099-DIV`, `1042-S` or `K-1`.
    #[schema(pattern = "^(1099-DIV|1042-S|K-1)$")]
    pub form: String,
    /// Investors with an issued form.
    pub issued: i64,
    /// Of which the newest issue is CORRECTED.
    pub corrected: i64,
}

/// A fund-year's tax summary.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxSummaryView {
    /// Fund.
    pub fund_id: String,
    /// Year.
    pub tax_year: i32,
    /// Investors with lines.
    pub investors: u64,
    /// Lines.
    pub lines: u64,
    /// Paid: ordinary dividends.
    pub ordinary_dividends: String,
    /// Paid: qualified dividends.
    pub qualified_dividends: String,
    /// Paid: short-term gain.
    pub short_term_gain: String,
    /// Paid: long-term gain.
    pub long_term_gain: String,
    /// Paid: return of capital.
    pub return_of_capital: String,
    /// Paid: interest.
    pub interest: String,
    /// Foreign tax paid.
    pub foreign_tax: String,
    /// Backup withholding (Form 945).
    pub backup_withheld: String,
    /// Chapter 3 withholding (Form 1042).
    pub chapter3_withheld: String,
    /// State withholding per state.
    pub states: Vec<TaxSummaryStateView>,
    /// 1099-DIV recipients.
    pub div_recipients: u64,
    /// 1099-DIVs due by the $10 rule.
    pub div_due: u64,
    /// Sum of the recipients' boxes.
    pub div_totals: Form1099DivBoxes,
    /// 1042-S recipients.
    pub form1042s_recipients: u64,
    /// Issued forms.
    pub issued: Vec<TaxSummaryFormCount>,
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/tax-summary/{tax_year}", tag = "tax",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("tax_year" = String, Path, description = "Four-digit year", pattern = "^[0-9]{4}$")),
    responses((status = 200, body = TaxSummaryView), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn summary(
    State(state): State<AppState>,
    actor: Actor,
    Path((fund_id, tax_year)): Path<(String, String)>,
) -> ApiResult<Json<TaxSummaryView>> {
    let mut tx = state.db.begin().await?;
    let fy = app::fund_year(&mut tx, &actor, &fund_id, parse_year(&tax_year)?).await?;
    let s = app::summary(&mut tx, &actor, &fy).await?;
    tx.commit().await?;
    let c = &s.components;
    Ok(Json(TaxSummaryView {
        fund_id: fy.fund.id,
        tax_year: fy.year,
        investors: s.investors,
        lines: s.lines,
        ordinary_dividends: usd(c[0]),
        qualified_dividends: usd(c[1]),
        short_term_gain: usd(c[2]),
        long_term_gain: usd(c[3]),
        return_of_capital: usd(c[4]),
        interest: usd(c[5]),
        foreign_tax: usd(s.foreign_tax),
        backup_withheld: usd(s.backup_withheld),
        chapter3_withheld: usd(s.chapter3_withheld),
        states: s
            .state_withheld
            .iter()
            .map(|(state, m)| TaxSummaryStateView {
                state: state.clone(),
                withheld: usd(*m),
            })
            .collect(),
        div_recipients: s.div_recipients,
        div_due: s.div_due,
        div_totals: Form1099DivBoxes::from(&s.div_totals),
        form1042s_recipients: s.s1042_recipients,
        issued: s
            .issued
            .into_iter()
            .map(|(form, issued, corrected)| TaxSummaryFormCount {
                form,
                issued,
                corrected,
            })
            .collect(),
    }))
}

/// A bulk generation run.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxFormRunView {
    /// Id.
    pub id: String,
    /// Fund.
    pub fund_id: String,
    /// Year.
    pub tax_year: i32,
    /// Status.
    #[schema(pattern = "^(QUEUED|RUNNING|DONE|FAILED)$")]
    pub status: String,
    /// Investors to go through.
    pub total: i64,
    /// Investors gone through.
    pub done: i64,
    /// Forms issued (first or corrected).
    pub issued: i64,
    /// Forms whose figures had not changed.
    pub unchanged: i64,
    /// Why it failed.
    pub error: Option<String>,
    /// Started at (UTC).
    pub created_at: String,
    /// Finished at (UTC).
    pub finished_at: Option<String>,
}

impl From<Run> for TaxFormRunView {
    fn from(r: Run) -> Self {
        TaxFormRunView {
            id: r.id,
            fund_id: r.fund_id,
            tax_year: r.tax_year,
            status: r.status,
            total: r.total,
            done: r.done,
            issued: r.issued,
            unchanged: r.unchanged,
            error: r.error,
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

#[utoipa::path(post, path = "/api/funds/{fund_id}/tax-forms/{tax_year}/runs", tag = "tax",
    params(("fund_id" = String, Path, description = "Fund id or code"), ("tax_year" = String, Path, description = "Four-digit year", pattern = "^[0-9]{4}$"), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = TaxFormRunView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn start_run(
    State(state): State<AppState>,
    actor: Actor,
    Path((fund_id, tax_year)): Path<(String, String)>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let year = parse_year(&tax_year)?;
    let path = format!("/api/funds/{fund_id}/tax-forms/{year}/runs");
    let saved = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let run = runs::start(tx, &actor, &fund_id, year).await?;
            Saved::json(StatusCode::ACCEPTED, &TaxFormRunView::from(run))
        },
    )
    .await?;
    state.jobs_ready.notify_one();
    Ok(saved.into_response())
}

#[utoipa::path(get, path = "/api/tax-form-runs/{run_id}", tag = "tax",
    params(("run_id" = String, Path, description = "Run id")),
    responses((status = 200, body = TaxFormRunView), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_run(
    State(state): State<AppState>,
    actor: Actor,
    Path(run_id): Path<String>,
) -> ApiResult<Json<TaxFormRunView>> {
    let mut tx = state.db.begin().await?;
    let run = clearway_store::tax::runs::get_tx(&mut tx, &actor, &run_id).await?;
    tx.commit().await?;
    Ok(Json(run.into()))
}

/// Query of a form's download.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxExportQuery {
    /// `pdf` (copy for the recipient, default) or `csv`.
    #[param(pattern = "^(pdf|csv)$")]
    format: Option<String>,
}

fn wants_pdf(q: &TaxExportQuery) -> ApiResult<bool> {
    match q.format.as_deref() {
        None | Some("pdf") => Ok(true),
        Some("csv") => Ok(false),
        Some(_) => Err(crate::http::ApiError::field("format", "must be pdf or csv")),
    }
}

fn download(f: clearway_app::tax::forms::FormFile) -> Response {
    use axum::http::header;
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, f.content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", f.filename),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        f.bytes,
    )
        .into_response()
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/1099-div/{tax_year}/{fund_id}/export", tag = "tax",
    params(("investor_id" = String, Path, description = "Investor id"), ("tax_year" = String, Path, description = "Four-digit year", pattern = "^[0-9]{4}$"), ("fund_id" = String, Path, description = "Fund id or code"), TaxExportQuery),
    responses((status = 200, description = "Copy B (PDF) or CSV", content_type = "application/pdf", body = Vec<u8>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn export_1099(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, tax_year, fund_id)): Path<(String, String, String)>,
    Qs(q): Qs<TaxExportQuery>,
) -> ApiResult<Response> {
    let year = parse_year(&tax_year)?;
    let pdf = wants_pdf(&q)?;
    let mut tx = state.db.begin().await?;
    let f = app::div_file(&mut tx, &actor, &investor_id, year, &fund_id, pdf).await?;
    tx.commit().await?;
    Ok(download(f))
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/1042-s/{tax_year}/{fund_id}/export", tag = "tax",
    params(("investor_id" = String, Path, description = "Investor id"), ("tax_year" = String, Path, description = "Four-digit year", pattern = "^[0-9]{4}$"), ("fund_id" = String, Path, description = "Fund id or code"), TaxExportQuery),
    responses((status = 200, description = "PDF or CSV", content_type = "application/pdf", body = Vec<u8>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn export_1042(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, tax_year, fund_id)): Path<(String, String, String)>,
    Qs(q): Qs<TaxExportQuery>,
) -> ApiResult<Response> {
    let year = parse_year(&tax_year)?;
    let pdf = wants_pdf(&q)?;
    let mut tx = state.db.begin().await?;
    let f = form1042::file_1042(&mut tx, &actor, &investor_id, year, &fund_id, pdf).await?;
    tx.commit().await?;
    Ok(download(f))
}
