//! A fund's forecast page (`/funds/{id}/forecast`, staff): the chart of history and forecast
//! with its 80 % and 95 % bands, the scenarios, the backtest's accuracy and candidates, trend
//! and seasonality, the model form (GET), saving a forecast and the saved ones with their
//! recorded errors, the liquidity plan with the cash-on-hand form, and for partnerships the
//! Yale projection. Reads and writes go through the same application functions as the API.
//! The organization's page is [`super::pages_org`].

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use clearway_app::forecast::{
    self as app, fund, liquidity, stored, yale, FundForecast, Request, ScenarioForecast,
};
use clearway_core::access::Permission;
use clearway_core::distribution::FundKind;
use clearway_core::forecast::Model;
use clearway_core::Invalid;
use clearway_store::funds::{self, Fund};
use clearway_store::Tx;
use serde::Deserialize;

use super::pages_view::{self as view, ForecastView, FundHead, PlanRow, SavedRow, TrendsView};
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::form::{self, FieldErrors};
use crate::web::{query_string, Chrome, PageResult, Viewer};

/// Saved forecasts per page.
const PAGE: i64 = 20;

/// Routes of the fund page and its forms.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/funds/{id}/forecast", get(page))
        .route("/funds/{id}/forecast/save", post(save))
        .route("/funds/{id}/forecast/cash-on-hand", post(cash_on_hand))
}

/// The model form (GET) and the page's other query parameters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    horizon: Option<String>,
    #[serde(default)]
    offset: Option<i64>,
    #[serde(default)]
    notice: Option<String>,
}

/// The model form as typed (shown again as typed).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ModelForm {
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub horizon: String,
}

/// The cash-on-hand form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CashForm {
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub as_of: String,
}

#[derive(Template)]
#[template(path = "forecast/fund.html")]
struct FundPage {
    chrome: Chrome,
    fund: FundHead,
    models: Vec<(&'static str, &'static str)>,
    form: ModelForm,
    errors: FieldErrors,
    forecast: Option<ForecastView>,
    empty: Option<String>,
    trends: Option<TrendsView>,
    can_write: bool,
    save_error: Option<String>,
    saved: Vec<SavedRow>,
    saved_total: i64,
    saved_prev: Option<String>,
    saved_next: Option<String>,
    errors_by_date: Vec<view::ErrorRow>,
    on_hand: Option<String>,
    cash: CashForm,
    cash_errors: FieldErrors,
    plan: Vec<PlanRow>,
    yale: Option<view::YaleView>,
}

/// The model choices of the form: `auto` first, then every model.
fn model_choices() -> Vec<(&'static str, &'static str)> {
    let mut out = vec![("auto", "Chosen by backtest (lowest MASE)")];
    out.extend(Model::ALL.iter().map(|m| (m.name(), view::model_label(*m))));
    out
}

/// A refusal of the core's as field errors of the form (same field names).
pub fn field_errors(invalid: Invalid) -> FieldErrors {
    FieldErrors(
        invalid
            .0
            .into_iter()
            .map(|f| (f.field, f.message))
            .collect(),
    )
}

/// The API's field names as the form's.
fn form_field(api: &str) -> String {
    match api {
        "asOf" => "as_of".into(),
        other => other.into(),
    }
}

/// What differs between drawings of the page: the forms as typed, their errors, a notice.
#[derive(Debug, Default)]
struct Draw {
    form: ModelForm,
    offset: i64,
    cash: Option<CashForm>,
    cash_errors: FieldErrors,
    save_error: Option<String>,
    notice: Option<String>,
}

/// The forecast, with its scenarios, when the form's request is valid.
async fn forecast_of(
    tx: &mut Tx,
    viewer: &Viewer,
    id: &str,
    form: &ModelForm,
) -> PageResult<(Option<ScenarioForecast>, Request, FieldErrors)> {
    let horizon = Some(form.horizon.as_str());
    match app::parse_request(horizon, Some(form.model.as_str())) {
        Ok(req) => {
            let f = fund::with_scenarios(tx, &viewer.actor, id, &req).await?;
            Ok((Some(f), req, FieldErrors::default()))
        }
        Err(invalid) => Ok((None, Request::default(), field_errors(invalid))),
    }
}

/// The saved forecasts of this page of the list, and the errors recorded against them.
async fn saved_of(
    tx: &mut Tx,
    viewer: &Viewer,
    fund: &Fund,
    offset: i64,
) -> PageResult<(Vec<SavedRow>, i64, Vec<view::ErrorRow>)> {
    let (items, total) = stored::list(tx, &viewer.actor, &fund.id, PAGE, offset).await?;
    let errors = stored::errors(tx, &viewer.actor, Some(&fund.id), None).await?;
    let rows = items.iter().map(|s| view::saved_row(s, &errors)).collect();
    let mine: Vec<view::ErrorRow> = errors
        .iter()
        .filter(|e| items.iter().any(|s| s.id == e.forecast_id))
        .map(view::error_row)
        .collect();
    Ok((rows, total, mine))
}

/// The Yale projection of a partnership; a refusal (no commitments yet) is shown as its reason.
async fn yale_of(tx: &mut Tx, viewer: &Viewer, fund: &Fund) -> PageResult<Option<view::YaleView>> {
    if fund.kind != FundKind::Partnership {
        return Ok(None);
    }
    match yale::projection(tx, &viewer.actor, &fund.id, app::DEFAULT_LIFE_YEARS).await {
        Ok(p) => Ok(Some(view::yale_view(&p))),
        Err(e) => {
            let errors = FieldErrors::from_error(e, str::to_string)?;
            Ok(Some(view::YaleView::refused(&errors)))
        }
    }
}

fn pager(id: &str, form: &ModelForm, offset: i64, len: usize, total: i64) -> [Option<String>; 2] {
    let link = |o: i64| {
        let q = query_string(&[
            ("model", form.model.as_str()),
            ("horizon", &form.horizon),
            ("offset", &o.to_string()),
        ]);
        format!("/funds/{id}/forecast?{q}#h-saved")
    };
    [
        (offset > 0).then(|| link((offset - PAGE).max(0))),
        (offset + (len as i64) < total).then(|| link(offset + PAGE)),
    ]
}

async fn draw(state: &AppState, viewer: &Viewer, id: &str, d: Draw) -> PageResult<Response> {
    let mut tx = state.db.begin().await?;
    let fund = funds::get_fund_tx(&mut tx, &viewer.actor, id).await?;
    let (forecast, req, errors) = forecast_of(&mut tx, viewer, &fund.id, &d.form).await?;
    let trends = fund::trends(&mut tx, &viewer.actor, &fund.id).await?;
    let (saved, saved_total, errors_by_date) = saved_of(&mut tx, viewer, &fund, d.offset).await?;
    let plan = liquidity::plan(&mut tx, &viewer.actor, &fund.id, req.horizon).await?;
    let yale = yale_of(&mut tx, viewer, &fund).await?;
    tx.commit().await?;
    let [saved_prev, saved_next] = pager(&fund.id, &d.form, d.offset, saved.len(), saved_total);
    let empty = forecast.as_ref().and_then(|f| empty_reason(&f.forecast));
    let status = if errors.is_empty() && d.cash_errors.is_empty() && d.save_error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = format!("Forecast — {}", fund.code);
    let page = FundPage {
        chrome: Chrome::new(viewer, title, "/distributions/forecast").with_notice(d.notice),
        models: model_choices(),
        forecast: forecast
            .as_ref()
            .filter(|f| !f.forecast.points.is_empty())
            .map(view::forecast_view),
        empty,
        trends: Some(view::trends_view(&trends)),
        can_write: viewer.can(Permission::Operate),
        save_error: d.save_error,
        saved,
        saved_total,
        saved_prev,
        saved_next,
        errors_by_date,
        on_hand: plan.cash_on_hand.as_ref().map(view::on_hand),
        cash: d.cash.unwrap_or_else(|| view::cash_form(&plan)),
        cash_errors: d.cash_errors,
        plan: plan
            .rows
            .iter()
            .map(|r| view::plan_row(r, plan.currency))
            .collect(),
        fund: view::fund_head(&fund),
        form: d.form,
        errors,
        yale,
    };
    render_status(status, &page)
}

/// Why there is no forecast to show: the first note of an empty forecast.
fn empty_reason(f: &FundForecast) -> Option<String> {
    f.points.is_empty().then(|| {
        let why = f
            .notes
            .first()
            .cloned()
            .unwrap_or_else(|| "no history".into());
        format!("No forecast for {}: {why}.", f.fund_code)
    })
}

/// The model form as the query gave it (`auto` and 12 when absent).
fn typed(q: &PageQuery) -> ModelForm {
    ModelForm {
        model: q.model.clone().unwrap_or_else(|| "auto".into()),
        horizon: q
            .horizon
            .clone()
            .unwrap_or_else(|| app::DEFAULT_HORIZON.to_string()),
    }
}

fn notice_of(code: Option<&str>) -> Option<String> {
    match code? {
        "saved" => Some("The forecast was saved.".into()),
        "cash-set" => Some("Cash on hand was set.".into()),
        _ => None,
    }
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let d = Draw {
        form: typed(&q),
        offset: q.offset.unwrap_or(0).clamp(0, 1_000_000_000),
        notice: notice_of(q.notice.as_deref()),
        ..Draw::default()
    };
    draw(&state, &viewer, &id, d).await
}

/// Back to the page with the model form kept and a notice.
fn back(id: &str, form: &ModelForm, notice: &str) -> Response {
    let q = query_string(&[
        ("model", form.model.as_str()),
        ("horizon", &form.horizon),
        ("notice", notice),
    ]);
    let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    Redirect::to(&format!("/funds/{id}/forecast?{q}")).into_response()
}

async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<ModelForm>(&viewer, &headers, &body)?;
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    viewer.actor.require(Permission::Operate)?;
    let refused = |why: String| Draw {
        form: f.clone(),
        save_error: Some(why),
        ..Draw::default()
    };
    let req = match app::parse_request(Some(&f.horizon), Some(&f.model)) {
        Ok(req) => req,
        Err(invalid) => {
            let why = view::sentence(&field_errors(invalid));
            return draw(&state, &viewer, &id, refused(why)).await;
        }
    };
    let mut tx = state.db.begin().await?;
    match stored::store(&mut tx, &viewer.actor, &id, &req).await {
        Ok(_) => {
            tx.commit().await?;
            state.events_ready.notify_one();
            Ok(back(&id, &f, "saved"))
        }
        Err(e) => {
            drop(tx);
            let why = view::sentence(&FieldErrors::from_error(e, str::to_string)?);
            draw(&state, &viewer, &id, refused(why)).await
        }
    }
}

/// The cash-on-hand form, posted with the model form's fields so the page keeps them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CashPost {
    #[serde(flatten)]
    cash: CashForm,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    horizon: Option<String>,
}

async fn cash_on_hand(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<CashPost>(&viewer, &headers, &body)?;
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    viewer.actor.require(Permission::Operate)?;
    let model = typed(&PageQuery {
        model: f.model.clone(),
        horizon: f.horizon.clone(),
        ..PageQuery::default()
    });
    let mut tx = state.db.begin().await?;
    let (amount, as_of) = (&f.cash.amount, &f.cash.as_of);
    match liquidity::set_cash_on_hand(&mut tx, &viewer.actor, &id, amount, as_of).await {
        Ok(_) => {
            tx.commit().await?;
            state.events_ready.notify_one();
            Ok(back(&id, &model, "cash-set"))
        }
        Err(e) => {
            drop(tx);
            let cash_errors = FieldErrors::from_error(e, form_field)?;
            let d = Draw {
                form: model,
                cash: Some(f.cash),
                cash_errors,
                ..Draw::default()
            };
            draw(&state, &viewer, &id, d).await
        }
    }
}
