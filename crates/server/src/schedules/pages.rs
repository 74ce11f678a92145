//! Staff pages of schedules: the list, a new-schedule form with a preview of the next dates
//! (a GET "Preview" button, so it works without JavaScript), a detail page with the next
//! dates, the drafts created (history) and pause/resume, and a holiday calendar page. Writes
//! go through the same validation and services as the API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Datelike;
use clearway_core::schedules::upcoming;
use clearway_store::funds::{self, Fund};
use clearway_store::schedules as store;
use serde::Deserialize;
use serde_json::json;

use super::dto::{OccurrenceDates, ScheduleRequest, ScheduleView};
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::form::{self, FieldErrors};
use crate::web::{Chrome, PageResult, Viewer};

/// Routes of the pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/schedules", get(list))
        .route("/schedules/new", get(new_form).post(create))
        .route("/schedules/{id}", get(detail))
        .route("/schedules/{id}/{action}", post(pause_resume))
        .route("/calendars", get(calendar))
}

const PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    cursor: Option<String>,
}

struct Row {
    id: String,
    fund: String,
    frequency: String,
    amount: String,
    status: String,
    next: String,
}

#[derive(Template)]
#[template(path = "schedules/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    next: Option<String>,
}

fn code_of(funds: &[Fund], id: &str) -> String {
    funds
        .iter()
        .find(|f| f.id == id)
        .map_or_else(|| id.to_string(), |f| f.code.clone())
}

fn amount_of(v: &ScheduleView) -> String {
    let a = &v.allocation;
    match a["method"].as_str() {
        Some("per_share") => format!("{} per share", a["rate"].as_str().unwrap_or("")),
        _ => format!("{} in total", a["total"].as_str().unwrap_or("")),
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let all = funds::list_funds(&state.db, &viewer.actor).await?;
    let items = store::list(&state.db, &viewer.actor, None, q.cursor.as_deref(), PAGE).await?;
    let next = (items.len() as i64 == PAGE)
        .then(|| items.last().map(|s| s.id.clone()))
        .flatten();
    let rows = items
        .iter()
        .map(|s| {
            let v = ScheduleView::from(s);
            let next = upcoming(&s.spec.rules, today(), 1)
                .first()
                .map_or("—".into(), |o| o.record_date.to_string());
            Row {
                id: v.id.clone(),
                fund: code_of(&all, &v.fund_id),
                amount: amount_of(&v),
                frequency: v.frequency.clone(),
                status: v.status.clone(),
                next,
            }
        })
        .collect();
    render_status(
        StatusCode::OK,
        &ListPage {
            chrome: Chrome::new(&viewer, "Schedules", "/schedules"),
            rows,
            next,
        },
    )
}

/// The new-schedule form's fields, as typed.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    fund: String,
    #[serde(default = "monthly")]
    frequency: String,
    #[serde(default = "per_share")]
    method: String,
    #[serde(default)]
    amount: String,
    #[serde(default = "nyse")]
    calendar: String,
    #[serde(default = "last_bd")]
    record_rule: String,
    #[serde(default)]
    record_day: String,
    #[serde(default = "five")]
    declaration_days: String,
    #[serde(default = "three")]
    payable_days: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default = "lead")]
    lead: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    admin_ref: String,
}

fn monthly() -> String {
    "MONTHLY".into()
}
fn per_share() -> String {
    "per_share".into()
}
fn nyse() -> String {
    "NYSE".into()
}
fn last_bd() -> String {
    "LAST_BUSINESS_DAY".into()
}
fn five() -> String {
    "5".into()
}
fn three() -> String {
    "3".into()
}
fn lead() -> String {
    "45".into()
}

#[derive(Template)]
#[template(path = "schedules/new.html")]
struct NewPage {
    chrome: Chrome,
    form: ScheduleForm,
    funds: Vec<(String, String)>,
    preview: Vec<OccurrenceDates>,
    errors: FieldErrors,
}

/// A number field: blank is absent; text that is not a number is kept as an impossible value
/// so the API rule names the field.
fn num(t: &str) -> serde_json::Value {
    match t.trim() {
        "" => serde_json::Value::Null,
        n => n.parse::<i64>().map_or(json!(-1), |v| json!(v)),
    }
}

/// The form as the API's request (blank optional fields absent).
fn request_of(f: &ScheduleForm) -> Result<ScheduleRequest, String> {
    let amount_key = if f.method == "pro_rata" {
        "total"
    } else {
        "rate"
    };
    let body = json!({
        "frequency": f.frequency, "calendar": f.calendar, "roll": "PRECEDING", "recordRule": f.record_rule,
        "recordDay": num(&f.record_day), "declarationBusinessDays": num(&f.declaration_days),
        "payableBusinessDays": num(&f.payable_days), "startDate": f.start.trim(), "endDate": Some(f.end.trim()).filter(|t| !t.is_empty()),
        "leadDays": num(&f.lead), "description": f.description.trim(),
        "administratorScheduleId": Some(f.admin_ref.trim()).filter(|t| !t.is_empty()),
        "allocation": { "method": f.method, amount_key: f.amount.trim() },
    });
    serde_json::from_value(body).map_err(|e| e.to_string())
}

fn field_of(api: &str) -> String {
    match api {
        "allocation.rate" | "allocation.total" | "allocation" | "allocation.method" => "amount",
        "startDate" => "start",
        "endDate" => "end",
        "leadDays" => "lead",
        "recordRule" => "record_rule",
        "recordDay" => "record_day",
        "administratorScheduleId" => "admin_ref",
        "declarationBusinessDays" => "declaration_days",
        "payableBusinessDays" => "payable_days",
        "fundId" => "fund",
        other => other,
    }
    .to_string()
}

async fn fund_options(
    state: &AppState,
    viewer: &Viewer,
) -> PageResult<(Vec<Fund>, Vec<(String, String)>)> {
    let all = funds::list_funds(&state.db, &viewer.actor).await?;
    let options = all
        .iter()
        .map(|f| (f.id.clone(), format!("{} — {}", f.code, f.name)))
        .collect();
    Ok((all, options))
}

/// Validates the form; the spec, or the field errors.
fn check(
    f: &ScheduleForm,
    all: &[Fund],
) -> Result<(Fund, clearway_store::schedules::ScheduleSpec), FieldErrors> {
    let mut errors = FieldErrors::default();
    let fund = all.iter().find(|x| x.id == f.fund).cloned();
    if fund.is_none() {
        errors.push("fund", "choose a fund");
    }
    let req = request_of(f).map_err(|e| {
        let mut errs = FieldErrors::default();
        errs.push("amount", e);
        errs
    })?;
    let currency = fund
        .as_ref()
        .map_or(clearway_core::Currency::parse("USD").expect("USD"), |x| {
            x.currency
        });
    match req.parse(currency) {
        Ok(spec) if errors.is_empty() => Ok((fund.expect("checked"), spec)),
        Ok(_) => Err(errors),
        Err(invalid) => {
            for e in invalid.0 {
                errors.push(&field_of(&e.field), e.message);
            }
            Err(errors)
        }
    }
}

async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(mut f): Query<ScheduleForm>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let (all, funds) = fund_options(&state, &viewer).await?;
    let previewing = !f.start.is_empty();
    if !previewing {
        f.start = today().to_string();
    }
    let (preview, errors) = if previewing {
        match check(&f, &all) {
            Ok((_, spec)) => (
                upcoming(&spec.rules, today(), 6)
                    .iter()
                    .map(OccurrenceDates::from)
                    .collect(),
                FieldErrors::default(),
            ),
            Err(e) => (Vec::new(), e),
        }
    } else {
        (Vec::new(), FieldErrors::default())
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &NewPage {
            chrome: Chrome::new(&viewer, "New schedule", "/schedules"),
            form: f,
            funds,
            preview,
            errors,
        },
    )
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<ScheduleForm>(&viewer, &headers, &body)?;
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let (all, funds) = fund_options(&state, &viewer).await?;
    let errors = match check(&f, &all) {
        Ok((fund, spec)) => {
            let mut tx = state.db.begin().await?;
            match clearway_app::schedules::create(&mut tx, &viewer.actor, &fund.id, &spec).await {
                Ok(s) => {
                    tx.commit().await?;
                    return Ok(Redirect::to(&format!("/schedules/{}", s.id)).into_response());
                }
                Err(e) => FieldErrors::from_error(e, field_of)?,
            }
        }
        Err(e) => e,
    };
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &NewPage {
            chrome: Chrome::new(&viewer, "New schedule", "/schedules"),
            form: f,
            funds,
            preview: Vec::new(),
            errors,
        },
    )
}

#[derive(Template)]
#[template(path = "schedules/detail.html")]
struct DetailPage {
    chrome: Chrome,
    s: ScheduleView,
    fund: String,
    amount: String,
    next: Vec<OccurrenceDates>,
    history: Vec<super::dto::OccurrenceView>,
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let s = store::get(&state.db, &viewer.actor, &id).await?;
    let all = funds::list_funds(&state.db, &viewer.actor).await?;
    let history = store::occurrences(&state.db, &viewer.actor, &id).await?;
    let v = ScheduleView::from(&s);
    let page = DetailPage {
        chrome: Chrome::new(
            &viewer,
            format!("Schedule {}", code_of(&all, &s.fund_id)),
            "/schedules",
        ),
        fund: code_of(&all, &s.fund_id),
        amount: amount_of(&v),
        next: upcoming(&s.spec.rules, today(), 6)
            .iter()
            .map(OccurrenceDates::from)
            .collect(),
        history: history.into_iter().map(Into::into).collect(),
        s: v,
    };
    render_status(StatusCode::OK, &page)
}

async fn pause_resume(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    form::check(&viewer, &headers, &body)?;
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let paused = match action.as_str() {
        "pause" => true,
        "resume" => false,
        _ => {
            return Err(crate::http::ApiError::BadRequest {
                status: StatusCode::NOT_FOUND,
                field: "path".into(),
                detail: "no such action".into(),
            }
            .into())
        }
    };
    clearway_app::schedules::set_paused(&state.db, &viewer.actor, &id, paused).await?;
    Ok(Redirect::to(&format!("/schedules/{id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct CalendarQuery {
    name: Option<String>,
    year: Option<String>,
}

#[derive(Template)]
#[template(path = "schedules/calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    name: String,
    year: String,
    holidays: Vec<super::dto::HolidayView>,
    errors: FieldErrors,
}

async fn calendar(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<CalendarQuery>,
) -> PageResult<Response> {
    let _ = &state;
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let name = q.name.unwrap_or_else(|| "NYSE".into());
    let year = q.year.unwrap_or_else(|| today().year().to_string());
    let mut errors = FieldErrors::default();
    let holidays = match year.trim().parse::<i32>() {
        Ok(y) => match super::routes::holidays(&name, y) {
            Ok(v) => v.holidays,
            Err(crate::http::ApiError::Invalid(i)) => {
                for e in i.0 {
                    errors.push(
                        if e.field == "calendar" {
                            "name"
                        } else {
                            "year"
                        },
                        e.message,
                    );
                }
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        },
        Err(_) => {
            errors.push("year", "must be a year such as 2026");
            Vec::new()
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &CalendarPage {
            chrome: Chrome::new(&viewer, "Business-day calendars", "/schedules"),
            name,
            year,
            holidays,
            errors,
        },
    )
}
