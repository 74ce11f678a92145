//! Web pages of in-kind distributions (staff): a fund's positions with forms to add a security
//! and record a position, the in-kind declaration form (preview, then create), and the in-kind
//! part of a distribution (units, property value and cash in lieu per line). The forms go
//! through the same application services as the API ([`clearway_app::inkind`]).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use clearway_app::inkind::{self as app, InKindPlan};
use clearway_core::Currency;
use clearway_store::distributions as dstore;
use clearway_store::funds::{self, Fund};
use clearway_store::inkind::{self as store, securities, InKindLine};
use serde::Deserialize;

use super::dto::InKindDistributionRequest;
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::fmt::money;
use crate::web::form::{self, FieldErrors};
use crate::web::{query_string, Chrome, PageResult, Viewer};

const PATH: &str = "/positions";

/// Routes of the pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(PATH, get(positions_page))
        .route("/positions/security", post(add_security))
        .route("/positions/record", post(record_position))
        .route("/positions/distribute", get(new_page).post(distribute))
        .route("/distributions/{id}/in-kind", get(detail_page))
}

/// Securities offered in the forms (one page of the list is plenty for a form's select).
const SECURITY_OPTIONS: i64 = 500;

/// The fund chosen in a query string.
#[derive(Debug, Default, Deserialize)]
pub struct FundQuery {
    fund: Option<String>,
    notice: Option<String>,
}

/// One position, formatted.
pub struct PositionRow {
    security: String,
    identifier: String,
    quantity: i64,
    reserved: i64,
    available: i64,
}

/// The add-a-security and record-a-position forms, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PositionsForm {
    #[serde(default)]
    fund: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    identifier_type: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    quantity: String,
}

#[derive(Template)]
#[template(path = "inkind_positions.html")]
struct PositionsPage {
    chrome: Chrome,
    funds: Vec<(String, String)>,
    fund: Option<Fund>,
    rows: Vec<PositionRow>,
    securities: Vec<(String, String)>,
    form: PositionsForm,
    errors: FieldErrors,
}

async fn security_options(state: &AppState, viewer: &Viewer) -> PageResult<Vec<(String, String)>> {
    Ok(
        securities::list(&state.db, &viewer.actor, None, SECURITY_OPTIONS)
            .await?
            .into_iter()
            .map(|s| {
                (
                    s.id,
                    format!("{} ({} {})", s.name, s.identifier_type, s.identifier),
                )
            })
            .collect(),
    )
}

async fn draw_positions(
    state: &AppState,
    viewer: &Viewer,
    fund_ref: Option<&str>,
    notice: Option<String>,
    form: PositionsForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let all = funds::list_funds(&state.db, &viewer.actor).await?;
    let fund = match fund_ref.filter(|f| !f.is_empty()) {
        Some(r) => all.iter().find(|f| f.id == r || f.code == r).cloned(),
        None => all.first().cloned(),
    };
    let rows = match &fund {
        Some(f) => securities::positions(&state.db, &viewer.actor, &f.id)
            .await?
            .iter()
            .map(|p| PositionRow {
                security: p.security.name.clone(),
                identifier: format!("{} {}", p.security.identifier_type, p.security.identifier),
                quantity: p.quantity,
                reserved: p.reserved,
                available: p.available(),
            })
            .collect(),
        None => Vec::new(),
    };
    let page = PositionsPage {
        chrome: Chrome::new(viewer, "Positions", PATH).with_notice(notice),
        funds: all
            .iter()
            .map(|f| (f.id.clone(), format!("{} — {}", f.code, f.name)))
            .collect(),
        fund,
        rows,
        securities: security_options(state, viewer).await?,
        form,
        errors,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(status, &page)
}

fn notice(code: Option<&str>) -> Option<String> {
    match code? {
        "security" => Some("The security was added.".into()),
        "position" => Some("The position was recorded.".into()),
        _ => None,
    }
}

async fn positions_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<FundQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let form = PositionsForm {
        identifier_type: "CUSIP".into(),
        ..PositionsForm::default()
    };
    draw_positions(
        &state,
        &viewer,
        q.fund.as_deref(),
        notice(q.notice.as_deref()),
        form,
        FieldErrors::default(),
    )
    .await
}

fn back_to(fund: &str, code: &str) -> Response {
    Redirect::to(&format!(
        "{PATH}?{}",
        query_string(&[("fund", fund), ("notice", code)])
    ))
    .into_response()
}

async fn add_security(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let form::Form(f) = form::parse::<PositionsForm>(&viewer, &headers, &body)?;
    let mut tx = state.db.begin().await?;
    let created = app::create_security(
        &mut tx,
        &viewer.actor,
        &f.name,
        &f.identifier_type,
        &f.identifier,
    )
    .await;
    match created {
        Ok(_) => {
            tx.commit().await?;
            Ok(back_to(&f.fund, "security"))
        }
        Err(e) => {
            drop(tx);
            let errors = FieldErrors::from_error(e, |f| f.to_string())?;
            let fund = f.fund.clone();
            draw_positions(&state, &viewer, Some(&fund), None, f, errors).await
        }
    }
}

async fn record_position(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let form::Form(f) = form::parse::<PositionsForm>(&viewer, &headers, &body)?;
    let mut errors = FieldErrors::default();
    if f.security.trim().is_empty() {
        errors.push("security", "choose a security");
    }
    let quantity = f.quantity.trim().parse::<i64>().ok();
    if quantity.is_none() {
        errors.push("quantity", "enter a whole number of units");
    }
    if let (true, Some(q)) = (errors.is_empty(), quantity) {
        match app::set_position(&state.db, &viewer.actor, &f.fund, f.security.trim(), q).await {
            Ok(_) => return Ok(back_to(&f.fund, "position")),
            Err(e) => errors = FieldErrors::from_error(e, |f| f.to_string())?,
        }
    }
    let fund = f.fund.clone();
    draw_positions(&state, &viewer, Some(&fund), None, f, errors).await
}

/// The declaration form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DistributeForm {
    #[serde(default)]
    fund: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    declaration: String,
    #[serde(default)]
    record: String,
    #[serde(default)]
    payable: String,
    #[serde(default)]
    description: String,
    /// `preview` or `create`.
    #[serde(default)]
    step: String,
}

/// One line of a preview or of a stored in-kind distribution, formatted.
pub struct LineRow {
    investor: String,
    units: i64,
    property: String,
    cash: String,
}

/// Totals of a preview.
pub struct PreviewSummary {
    distributed: u64,
    retained: u64,
    property: String,
    cash: String,
    lines: Vec<LineRow>,
}

#[derive(Template)]
#[template(path = "inkind_new.html")]
struct NewPage {
    chrome: Chrome,
    fund: Fund,
    securities: Vec<(String, String)>,
    form: DistributeForm,
    errors: FieldErrors,
    preview: Option<PreviewSummary>,
}

fn summary(p: &InKindPlan, names: &HashMap<String, String>) -> PreviewSummary {
    let c = p.fund.currency;
    PreviewSummary {
        distributed: p.split.distributed_units,
        retained: p.split.retained_units,
        property: money(p.split.shares.iter().map(|s| s.property_minor).sum(), c),
        cash: money(p.split.cash_in_lieu_minor, c),
        lines: p
            .split
            .shares
            .iter()
            .map(|s| LineRow {
                investor: names
                    .get(&s.investor_id)
                    .cloned()
                    .unwrap_or_else(|| s.investor_id.clone()),
                units: s.units as i64,
                property: money(s.property_minor, c),
                cash: money(s.cash_in_lieu_minor, c),
            })
            .collect(),
    }
}

async fn draw_new(
    state: &AppState,
    viewer: &Viewer,
    fund: Fund,
    form: DistributeForm,
    errors: FieldErrors,
    preview: Option<PreviewSummary>,
) -> PageResult<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = NewPage {
        chrome: Chrome::new(
            viewer,
            "Distribute a security in kind",
            "/positions/distribute",
        ),
        fund,
        securities: security_options(state, viewer).await?,
        form,
        errors,
        preview,
    };
    render_status(status, &page)
}

async fn new_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<FundQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let fund = funds::find_fund(&state.db, &viewer.actor, q.fund.as_deref().unwrap_or("")).await?;
    let form = DistributeForm {
        fund: fund.id.clone(),
        ..DistributeForm::default()
    };
    draw_new(&state, &viewer, fund, form, FieldErrors::default(), None).await
}

/// The form's field of an API field name.
fn field_of(api: &str) -> String {
    match api {
        "securityId" => "security",
        "valuePerUnit" => "value",
        "declarationDate" => "declaration",
        "recordDate" => "record",
        "payableDate" => "payable",
        other => other,
    }
    .to_string()
}

fn request_of(f: &DistributeForm) -> Result<InKindDistributionRequest, FieldErrors> {
    let Ok(quantity) = f.quantity.trim().parse::<i64>() else {
        let mut e = FieldErrors::default();
        e.push("quantity", "enter a whole number of units");
        return Err(e);
    };
    Ok(InKindDistributionRequest {
        security_id: f.security.trim().to_string(),
        quantity,
        value_per_unit: f.value.trim().to_string(),
        declaration_date: f.declaration.trim().to_string(),
        ex_date: None,
        record_date: f.record.trim().to_string(),
        payable_date: f.payable.trim().to_string(),
        description: Some(f.description.trim().to_string()).filter(|d| !d.is_empty()),
    })
}

async fn distribute(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let form::Form(f) = form::parse::<DistributeForm>(&viewer, &headers, &body)?;
    let fund = funds::find_fund(&state.db, &viewer.actor, &f.fund).await?;
    let req = match request_of(&f) {
        Ok(r) => r.read(),
        Err(errors) => return draw_new(&state, &viewer, fund, f, errors, None).await,
    };
    if f.step == "create" {
        let mut tx = state.db.begin().await?;
        match app::create(&mut tx, &viewer.actor, &fund.id, &req).await {
            Ok((d, _)) => {
                tx.commit().await?;
                state.events_ready.notify_one();
                return Ok(
                    Redirect::to(&format!("/distributions/{}/in-kind", d.id)).into_response()
                );
            }
            Err(e) => {
                drop(tx);
                let errors = FieldErrors::from_error(e, field_of)?;
                return draw_new(&state, &viewer, fund, f, errors, None).await;
            }
        }
    }
    match app::preview(&state.db, &viewer.actor, &fund.id, &req).await {
        Ok(plan) => {
            let preview = summary(&plan, &investor_names(&state, &viewer).await?);
            draw_new(
                &state,
                &viewer,
                fund,
                f,
                FieldErrors::default(),
                Some(preview),
            )
            .await
        }
        Err(e) => {
            let errors = FieldErrors::from_error(e, field_of)?;
            draw_new(&state, &viewer, fund, f, errors, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "inkind_detail.html")]
struct DetailPage {
    chrome: Chrome,
    id: String,
    description: String,
    status: String,
    security: String,
    quantity: i64,
    value_per_unit: String,
    distributed: i64,
    retained: i64,
    reserved: i64,
    property: String,
    cash: String,
    lines: Vec<LineRow>,
}

/// Investor names by id, for the lines.
async fn investor_names(state: &AppState, viewer: &Viewer) -> PageResult<HashMap<String, String>> {
    let mut tx = state.db.begin().await?;
    let names = funds::all_investors_tx(&mut tx, &viewer.actor)
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
    Ok(names)
}

fn line_row(l: &InKindLine, names: &HashMap<String, String>, c: Currency) -> LineRow {
    LineRow {
        investor: names
            .get(&l.investor_id)
            .cloned()
            .unwrap_or_else(|| l.investor_id.clone()),
        units: l.units,
        property: money(l.property_minor, c),
        cash: money(l.cash_in_lieu_minor, c),
    }
}

async fn detail_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let d = dstore::get(&state.db, &viewer.actor, &id).await?;
    let h = store::get(&state.db, &viewer.actor, &d)
        .await?
        .ok_or(clearway_store::StoreError::NotFound("in-kind distribution"))?;
    let lines = store::lines(&state.db, &viewer.actor, &d).await?;
    let mut tx = state.db.begin().await?;
    let security = securities::get_tx(&mut tx, &viewer.actor, &h.security_id).await?;
    drop(tx);
    let names = investor_names(&state, &viewer).await?;
    let c = d.currency;
    let page = DetailPage {
        chrome: Chrome::new(
            &viewer,
            "In-kind distribution",
            &format!("/distributions/{id}/in-kind"),
        ),
        description: d.description.clone(),
        status: d.status.as_str().to_string(),
        security: format!(
            "{} ({} {})",
            security.name, security.identifier_type, security.identifier
        ),
        quantity: h.quantity,
        value_per_unit: h.value_per_unit.normalize().to_string(),
        distributed: h.distributed_units,
        retained: h.retained_units,
        reserved: h.reserved_units,
        property: money(lines.iter().map(|l| l.property_minor).sum(), c),
        cash: money(lines.iter().map(|l| l.cash_in_lieu_minor).sum(), c),
        lines: lines.iter().map(|l| line_row(l, &names, c)).collect(),
        id,
    };
    render_status(StatusCode::OK, &page)
}
