//! The investor portal's reinvestment page: the elections in force per fund, scheduled
//! changes, the history, and a form to change an election from a date. The election goes
//! through the same application service as the API ([`clearway_app::reinvestment`]), which
//! lets an investor elect only for themselves and never back-date.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use clearway_app::reinvestment::{self as app, ElectionChange};
use clearway_core::distribution::{parse_date, FundKind};
use clearway_core::reinvestment::{Election, ElectionKind};
use clearway_store::funds::{self, Fund};
use clearway_store::reinvestment::{self as store, ElectionRecord};
use serde::Deserialize;

use super::routes::today;
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::form::{self, FieldErrors};
use crate::web::{Chrome, PageResult, Viewer};

const PATH: &str = "/account/reinvestment-preferences";

/// Route of the page and its form.
pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(page).post(change))
}

/// History rows per page.
const PAGE: i64 = 20;

/// The page's query string.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    cursor: Option<String>,
    notice: Option<String>,
}

/// The election form's fields, as typed (kept when shown again with errors).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ElectionForm {
    #[serde(default)]
    fund: String,
    #[serde(default)]
    election: String,
    #[serde(default)]
    percentage: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    effective: String,
}

/// One fund's election, formatted.
pub struct FundRow {
    fund: String,
    election: String,
    effective: String,
}

/// One recorded election (history or scheduled), formatted.
pub struct ElectionRow {
    fund: String,
    election: String,
    effective: String,
    recorded: String,
}

#[derive(Template)]
#[template(path = "account/reinvestment.html")]
struct PreferencesPage {
    chrome: Chrome,
    funds: Vec<FundRow>,
    scheduled: Vec<ElectionRow>,
    history: Vec<ElectionRow>,
    next: Option<String>,
    first_page: bool,
    fund_options: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    form: ElectionForm,
    today: String,
    errors: FieldErrors,
}

fn code_of(funds: &[Fund], id: &str) -> String {
    funds
        .iter()
        .find(|f| f.id == id)
        .map_or_else(|| id.to_string(), |f| f.code.clone())
}

/// An election in words: "Cash", "Reinvest all", "Reinvest 40 %", "Reinvest 50 % into X".
fn describe(election: &Election, funds: &[Fund]) -> String {
    match election {
        Election::Cash => "Cash".into(),
        Election::Automatic => "Reinvest all".into(),
        Election::Partial(p) => format!("Reinvest {p} %, rest in cash"),
        Election::Alternative {
            target_fund_id,
            percentage,
        } => format!(
            "Reinvest {percentage} % into {}",
            code_of(funds, target_fund_id)
        ),
    }
}

fn election_row(e: &ElectionRecord, funds: &[Fund]) -> PageResult<ElectionRow> {
    Ok(ElectionRow {
        fund: code_of(funds, &e.fund_id),
        election: describe(&e.election()?, funds),
        effective: e.effective_date.to_string(),
        recorded: e.created_at.chars().take(10).collect(),
    })
}

fn kind_label(kind: ElectionKind) -> &'static str {
    match kind {
        ElectionKind::Cash => "Cash: pay everything in cash",
        ElectionKind::Automatic => "Reinvest all in the same fund",
        ElectionKind::Partial => "Reinvest a percentage in the same fund",
        ElectionKind::Alternative => "Reinvest a percentage in another fund",
    }
}

/// The open-end funds' elections in force today (the organization's default where none).
async fn fund_rows(
    state: &AppState,
    viewer: &Viewer,
    investor_id: &str,
    all: &[Fund],
) -> PageResult<Vec<FundRow>> {
    let in_force =
        store::elections_in_force(&state.db, &viewer.actor, investor_id, today()).await?;
    let default = store::settings(&state.db, &viewer.actor)
        .await?
        .default_election;
    let mut rows = Vec::new();
    for f in all.iter().filter(|f| f.kind == FundKind::OpenEnd) {
        let row = match in_force.iter().find(|e| e.fund_id == f.id) {
            Some(e) => FundRow {
                fund: f.code.clone(),
                election: describe(&e.election()?, all),
                effective: e.effective_date.to_string(),
            },
            None => FundRow {
                fund: f.code.clone(),
                election: describe(&default, all),
                effective: "Organization default".into(),
            },
        };
        rows.push(row);
    }
    Ok(rows)
}

/// Draws the page; `errors` non-empty means the form is shown again (422).
async fn draw(
    state: &AppState,
    viewer: &Viewer,
    investor_id: &str,
    q: &PageQuery,
    form: ElectionForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let db = &state.db;
    let all = funds::list_funds(db, &viewer.actor).await?;
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
    let history =
        store::election_history(db, &viewer.actor, investor_id, None, cursor, PAGE).await?;
    let scheduled = store::scheduled_elections(db, &viewer.actor, investor_id, today()).await?;
    let next = (history.len() as i64 == PAGE)
        .then(|| history.last().map(|e| e.id.clone()))
        .flatten();
    let page = PreferencesPage {
        chrome: Chrome::new(viewer, "Reinvestment", PATH).with_notice(notice(q.notice.as_deref())),
        funds: fund_rows(state, viewer, investor_id, &all).await?,
        scheduled: scheduled
            .iter()
            .map(|e| election_row(e, &all))
            .collect::<PageResult<_>>()?,
        history: history
            .iter()
            .map(|e| election_row(e, &all))
            .collect::<PageResult<_>>()?,
        next,
        first_page: cursor.is_none(),
        fund_options: all
            .iter()
            .filter(|f| f.kind == FundKind::OpenEnd)
            .map(|f| (f.id.clone(), format!("{} — {}", f.code, f.name)))
            .collect(),
        kinds: ElectionKind::ALL
            .iter()
            .map(|k| (k.as_str(), kind_label(*k)))
            .collect(),
        form,
        today: today().to_string(),
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
        "saved" => Some("Your election was saved.".into()),
        "unchanged" => {
            Some("That election was already in force from that date: nothing changed.".into())
        }
        _ => None,
    }
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
) -> PageResult<Response> {
    let Some(investor_id) = viewer.actor.investor_id.clone() else {
        return Ok(viewer.to_home());
    };
    let form = ElectionForm {
        effective: today().to_string(),
        ..ElectionForm::default()
    };
    draw(
        &state,
        &viewer,
        &investor_id,
        &q,
        form,
        FieldErrors::default(),
    )
    .await
}

/// The form's field of an API field name.
fn field_of(api: &str) -> String {
    match api {
        "fundId" => "fund",
        "targetFundId" => "target",
        "effectiveDate" => "effective",
        other => other,
    }
    .to_string()
}

/// A form field trimmed, absent when blank.
fn opt(v: &str) -> Option<&str> {
    Some(v.trim()).filter(|t| !t.is_empty())
}

/// The form parsed as the API parses its body (blank optional fields are absent).
fn parsed(f: &ElectionForm) -> Result<(Election, chrono::NaiveDate), clearway_core::Invalid> {
    let election = Election::parse(f.election.trim(), opt(&f.percentage), opt(&f.target))?;
    let effective = opt(&f.effective)
        .map(|t| parse_date("effectiveDate", t))
        .transpose()?
        .unwrap_or_else(today);
    Ok((election, effective))
}

async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<ElectionForm>(&viewer, &headers, &body)?;
    let Some(investor_id) = viewer.actor.investor_id.clone() else {
        return Ok(viewer.to_home());
    };
    let mut errors = FieldErrors::default();
    if f.fund.trim().is_empty() {
        errors.push("fund", "choose a fund");
    }
    if errors.is_empty() {
        let change = ElectionChange {
            investor_id: investor_id.clone(),
            fund_id: f.fund.trim().to_string(),
            parsed: parsed(&f),
            today: today(),
        };
        match app::put_election(&state.db, &viewer.actor, &change).await {
            Ok((_, changed)) => {
                if changed {
                    state.events_ready.notify_one();
                }
                let code = if changed { "saved" } else { "unchanged" };
                return Ok(Redirect::to(&format!("{PATH}?notice={code}")).into_response());
            }
            Err(e) => errors = FieldErrors::from_error(e, field_of)?,
        }
    }
    draw(
        &state,
        &viewer,
        &investor_id,
        &PageQuery::default(),
        f,
        errors,
    )
    .await
}
