//! Staff pages of the K-1 part: a partnership fund's year (`/funds/{id}/k1/{year}`: its tax
//! items with an add form, and every partner's K-1 with its download) and a distribution's
//! re-characterization (`/distributions/{id}/recharacterize`: the six final totals, the
//! current ones shown, the result after submit). Forms go through the same services as the API.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use clearway_app::tax::k1::{self as app, ItemInput};
use clearway_app::tax::recharacterize::{self as rapp, RecharacterizeInput};
use clearway_core::access::Permission;
use clearway_core::components::{ComponentKind, Components};
use clearway_store::distributions as dstore;
use serde::Deserialize;

use super::k1::{path_year, K1FundItemView, K1PartnerView};
use super::recharacterize::{RecharacterizedLineView, TaxComponentsView};
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::form::{self, FieldErrors};
use crate::web::{Chrome, PageResult, Viewer};

/// Routes of the pages and their forms.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/funds/{fund}/k1/{year}", get(year_page).post(add_item))
        .route(
            "/distributions/{id}/recharacterize",
            get(rechar_page).post(rechar_post),
        )
}

/// The add-item form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    line: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    description: String,
}

#[derive(Template)]
#[template(path = "tax/k1_year.html")]
struct YearPage {
    chrome: Chrome,
    fund_id: String,
    code: String,
    year: i64,
    items: Vec<K1FundItemView>,
    partners: Vec<K1PartnerView>,
    form: ItemForm,
    errors: FieldErrors,
}

async fn draw_year(
    state: &AppState,
    viewer: &Viewer,
    fund: &str,
    year: i64,
    form: ItemForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let mut tx = state.db.begin().await?;
    let (f, items) =
        app::list_items(&mut tx, &viewer.actor, fund, Some(year as i32), None, 1000).await?;
    let (_, partners) = app::fund_k1s(&mut tx, &viewer.actor, &f.id, year).await?;
    tx.commit().await?;
    let c = f.currency;
    let page = YearPage {
        chrome: Chrome::new(viewer, format!("K-1 — {} {year}", f.code), "/capital"),
        fund_id: f.id.clone(),
        code: f.code.clone(),
        year,
        items: items.iter().map(|i| K1FundItemView::new(i, c)).collect(),
        partners: partners
            .iter()
            .map(|(p, issue)| K1PartnerView::new(&f.id, year as i32, p, c, issue.as_ref()))
            .collect(),
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

async fn year_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((fund, year)): Path<(String, String)>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let year = path_year(&year)?;
    draw_year(
        &state,
        &viewer,
        &fund,
        year,
        ItemForm::default(),
        FieldErrors::default(),
    )
    .await
}

async fn add_item(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((fund, year)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<ItemForm>(&viewer, &headers, &body)?;
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    viewer.actor.require(Permission::Operate)?;
    let year = path_year(&year)?;
    let input = ItemInput {
        tax_year: year,
        line: f.line.clone(),
        code: f.code.clone(),
        amount: f.amount.clone(),
        description: f.description.clone(),
    };
    let mut tx = state.db.begin().await?;
    match app::add_item(&mut tx, &viewer.actor, &fund, &input).await {
        Ok(_) => {
            tx.commit().await?;
            state.events_ready.notify_one();
            Ok(Redirect::to(&format!("/funds/{fund}/k1/{year}")).into_response())
        }
        Err(e) => {
            drop(tx);
            let errors = FieldErrors::from_error(e, |s| s.to_string())?;
            draw_year(&state, &viewer, &fund, year, f, errors).await
        }
    }
}

/// The re-characterization form, as typed (the six totals and the reason).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RecharForm {
    #[serde(default)]
    ordinary_dividend: String,
    #[serde(default)]
    qualified_dividend: String,
    #[serde(default)]
    short_term_gain: String,
    #[serde(default)]
    long_term_gain: String,
    #[serde(default)]
    return_of_capital: String,
    #[serde(default)]
    interest: String,
    #[serde(default)]
    reason: String,
}

impl RecharForm {
    fn values(&self) -> [String; 6] {
        [
            self.ordinary_dividend.clone(),
            self.qualified_dividend.clone(),
            self.short_term_gain.clone(),
            self.long_term_gain.clone(),
            self.return_of_capital.clone(),
            self.interest.clone(),
        ]
    }
}

/// One row of the form: (field name, label, current total, typed value, error).
type FormRow = (String, String, String, String, Option<String>);

#[derive(Template)]
#[template(path = "tax/recharacterize.html")]
struct RecharPage {
    chrome: Chrome,
    id: String,
    description: String,
    total: String,
    rows: Vec<FormRow>,
    reason: String,
    reason_error: Option<String>,
    general_error: Option<String>,
    done: Option<TaxComponentsView>,
    lines: Vec<RecharacterizedLineView>,
}

const FIELDS: [(&str, &str); 6] = [
    ("ordinary_dividend", "Ordinary dividends"),
    ("qualified_dividend", "Qualified dividends"),
    ("short_term_gain", "Short-term capital gain"),
    ("long_term_gain", "Long-term capital gain"),
    ("return_of_capital", "Return of capital"),
    ("interest", "Interest"),
];

/// The form field of an API field name (`components.returnOfCapital` → `return_of_capital`).
fn field_of(api: &str) -> String {
    for (i, k) in ComponentKind::ALL.iter().enumerate() {
        if api == format!("components.{}", k.as_str()) {
            return FIELDS[i].0.to_string();
        }
    }
    api.to_string()
}

async fn draw_rechar(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: Option<RecharForm>,
    errors: FieldErrors,
) -> PageResult<Response> {
    let mut tx = state.db.begin().await?;
    let d = dstore::get_tx(&mut tx, &viewer.actor, id).await?;
    let mut current = Components::default();
    for l in dstore::all_lines_tx(&mut tx, &viewer.actor, &d.id).await? {
        for k in ComponentKind::ALL {
            current.set(k, current.get(k) + l.components.get(k));
        }
    }
    let shown = rapp::show(&mut tx, &viewer.actor, &d.id, None, 50)
        .await
        .ok();
    tx.commit().await?;
    let c = d.currency;
    let typed = form.clone().unwrap_or_default().values();
    let rows = FIELDS
        .iter()
        .zip(ComponentKind::ALL)
        .zip(typed)
        .map(|(((name, label), k), v)| {
            let cur = c.format_minor(current.get(k));
            let value = if form.is_some() { v } else { cur.clone() };
            (
                name.to_string(),
                label.to_string(),
                cur,
                value,
                errors.get(name).map(str::to_string),
            )
        })
        .collect();
    let (done, lines) = match shown {
        Some((_, rec, lines)) => (
            Some(TaxComponentsView::from_array(&rec.totals, c)),
            lines
                .iter()
                .map(|l| RecharacterizedLineView::new(l, c))
                .collect(),
        ),
        None => (None, Vec::new()),
    };
    let page = RecharPage {
        chrome: Chrome::new(viewer, "Re-characterize a distribution", "/distributions"),
        id: d.id.clone(),
        description: d.description.clone(),
        total: c.format_minor(d.total_minor),
        rows,
        reason: form.map(|f| f.reason).unwrap_or_default(),
        reason_error: errors.get("reason").map(str::to_string),
        general_error: errors.get("components").map(str::to_string),
        done,
        lines,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(status, &page)
}

async fn rechar_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    draw_rechar(&state, &viewer, &id, None, FieldErrors::default()).await
}

async fn rechar_post(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<RecharForm>(&viewer, &headers, &body)?;
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    viewer.actor.require(Permission::Operate)?;
    let input = RecharacterizeInput {
        components: f.values(),
        reason: f.reason.clone(),
    };
    let mut tx = state.db.begin().await?;
    match rapp::recharacterize(&mut tx, &viewer.actor, &id, &input).await {
        Ok(_) => {
            tx.commit().await?;
            state.events_ready.notify_one();
            Ok(Redirect::to(&format!("/distributions/{id}/recharacterize")).into_response())
        }
        Err(e) => {
            drop(tx);
            let errors = FieldErrors::from_error(e, field_of)?;
            draw_rechar(&state, &viewer, &id, Some(f), errors).await
        }
    }
}
