//! Tax form pages: the staff hub `/tax` (close a year, each open-end fund's forms of the year
//! with a run to issue them and its progress, FIRE files), a fund-year's 1099-DIV list
//! `/funds/{id}/tax/{year}`, and the investor's `/account/tax-forms`. Every read and write
//! goes through the application with the viewer's actor, as the API does.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Datelike;
use clearway_app::tax::forms as app;
use clearway_core::access::Permission;
use clearway_core::distribution::FundKind;
use clearway_core::money::Currency;
use clearway_store::tax::forms::{self as forms_store, Span};
use clearway_store::tax::{fire, runs, years};
use serde::Deserialize;

use crate::reinvestment::routes::today;
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::form::{self, FieldErrors};
use crate::web::{Chrome, PageResult, Viewer};

/// Routes of the tax pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tax", get(hub))
        .route("/tax/years", post(close_year))
        .route("/tax/runs", post(start_run))
        .route("/funds/{fund_id}/tax/{tax_year}", get(fund_year))
        .route("/account/tax-forms", get(portal))
}

/// The hub's query: the year shown.
#[derive(Debug, Default, Deserialize)]
pub struct HubQuery {
    year: Option<i32>,
}

/// One fund's forms of the year.
pub struct FundRow {
    id: String,
    code: String,
    name: String,
    kind: &'static str,
    div: i64,
    s1042: i64,
    k1: i64,
    corrected: i64,
    run: Option<RunRow>,
}

/// A run's progress.
pub struct RunRow {
    status: String,
    done: i64,
    total: i64,
    issued: i64,
    unchanged: i64,
    error: String,
}

/// A FIRE file row.
pub struct FileRow {
    id: String,
    year: i32,
    kind: String,
    test: bool,
    payees: i64,
    created: String,
}

#[derive(Template)]
#[template(path = "tax/hub.html")]
struct HubPage {
    chrome: Chrome,
    year: i32,
    closed: Vec<i32>,
    year_closed: bool,
    funds: Vec<FundRow>,
    files: Vec<FileRow>,
    refresh: bool,
    may_close: bool,
    may_run: bool,
    errors: FieldErrors,
}

fn default_year() -> i32 {
    today().year() - 1
}

async fn draw_hub(
    state: &AppState,
    viewer: &Viewer,
    year: i32,
    errors: FieldErrors,
) -> PageResult<Response> {
    let actor = &viewer.actor;
    let mut tx = state.db.begin().await?;
    let closed: Vec<i32> = years::list_tx(&mut tx, actor)
        .await?
        .iter()
        .map(|y| y.tax_year)
        .collect();
    let recent = runs::recent_tx(&mut tx, actor, 200).await?;
    let mut funds = Vec::new();
    for f in clearway_store::funds::list_funds(&state.db, actor).await? {
        let counts = forms_store::year_counts_tx(&mut tx, actor, &f.id, year).await?;
        let count = |form: &str| counts.iter().find(|c| c.0 == form).map_or(0, |c| c.1);
        let run = recent
            .iter()
            .find(|r| r.fund_id == f.id && r.tax_year == year)
            .map(|r| RunRow {
                status: r.status.clone(),
                done: r.done,
                total: r.total,
                issued: r.issued,
                unchanged: r.unchanged,
                error: r.error.clone().unwrap_or_default(),
            });
        funds.push(FundRow {
            kind: if f.kind == FundKind::OpenEnd {
                "Open-end"
            } else {
                "Partnership"
            },
            div: count("1099-DIV"),
            s1042: count("1042-S"),
            k1: count("K-1"),
            corrected: counts.iter().map(|c| c.2).sum(),
            run,
            id: f.id,
            code: f.code,
            name: f.name,
        });
    }
    let files = fire::list_files_tx(&mut tx, actor, 0, 25)
        .await?
        .into_iter()
        .map(|f| FileRow {
            id: f.id,
            year: f.tax_year,
            kind: f.kind,
            test: f.test,
            payees: f.payees,
            created: f
                .created_at
                .get(..16)
                .unwrap_or(&f.created_at)
                .replace('T', " "),
        })
        .collect();
    tx.commit().await?;
    let refresh = funds.iter().any(|f| {
        f.run
            .as_ref()
            .is_some_and(|r| r.status == "QUEUED" || r.status == "RUNNING")
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = HubPage {
        chrome: Chrome::new(viewer, "Tax forms", "/tax"),
        year_closed: closed.contains(&year),
        year,
        closed,
        funds,
        files,
        refresh,
        may_close: viewer.can(Permission::Administer),
        may_run: viewer.can(Permission::Operate),
        errors,
    };
    render_status(status, &page)
}

async fn hub(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<HubQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let year = q
        .year
        .filter(|y| (2000..=9999).contains(y))
        .unwrap_or_else(default_year);
    draw_hub(&state, &viewer, year, FieldErrors::default()).await
}

/// The close-a-year and start-a-run forms.
#[derive(Debug, Default, Deserialize)]
pub struct YearForm {
    #[serde(default)]
    year: String,
    #[serde(default, rename = "fundId")]
    fund_id: String,
}

fn year_of(f: &YearForm) -> Result<i32, FieldErrors> {
    f.year.trim().parse::<i32>().map_err(|_| {
        let mut e = FieldErrors::default();
        e.push("taxYear", "must be a year such as 2025");
        e
    })
}

async fn close_year(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let form::Form(f) = form::parse::<YearForm>(&viewer, &headers, &body)?;
    let year = match year_of(&f) {
        Ok(y) => y,
        Err(e) => return draw_hub(&state, &viewer, default_year(), e).await,
    };
    let mut tx = state.db.begin().await?;
    match clearway_app::tax::years::close(&mut tx, &viewer.actor, year, today()).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/tax?year={year}")).into_response())
        }
        Err(e) => {
            // The refused transaction ends before the page reads (SQLite has one writer).
            drop(tx);
            let errors = FieldErrors::from_error(e, |f| f.to_string())?;
            draw_hub(&state, &viewer, default_year(), errors).await
        }
    }
}

async fn start_run(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let form::Form(f) = form::parse::<YearForm>(&viewer, &headers, &body)?;
    let year = match year_of(&f) {
        Ok(y) => y,
        Err(e) => return draw_hub(&state, &viewer, default_year(), e).await,
    };
    let mut tx = state.db.begin().await?;
    match clearway_app::tax::runs::start(&mut tx, &viewer.actor, f.fund_id.trim(), year).await {
        Ok(_) => {
            tx.commit().await?;
            state.jobs_ready.notify_one();
            Ok(Redirect::to(&format!("/tax?year={year}")).into_response())
        }
        Err(e) => {
            // The refused transaction ends before the page reads (SQLite has one writer).
            drop(tx);
            let errors = FieldErrors::from_error(e, |f| f.to_string())?;
            draw_hub(&state, &viewer, year, errors).await
        }
    }
}

/// One investor's row of the fund-year list.
pub struct DivRow {
    investor_id: String,
    name: String,
    box1a: String,
    box4: String,
    due: bool,
    issued: String,
}

#[derive(Template)]
#[template(path = "tax/fund_year.html")]
struct FundYearPage {
    chrome: Chrome,
    fund_id: String,
    year: i32,
    rows: Vec<DivRow>,
    next: Option<String>,
}

/// The fund-year list's query.
#[derive(Debug, Default, Deserialize)]
pub struct CursorQuery {
    cursor: Option<String>,
}

const PAGE: usize = 50;

async fn fund_year(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((fund_id, tax_year)): Path<(String, i32)>,
    Query(q): Query<CursorQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let actor = &viewer.actor;
    let mut tx = state.db.begin().await?;
    let fy = app::fund_year(&mut tx, actor, &fund_id, tax_year).await?;
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
    let ids = forms_store::year_investors_tx(&mut tx, actor, &fy.fund.id, tax_year).await?;
    let rest: Vec<&String> = ids
        .iter()
        .filter(|i| cursor.is_none_or(|c| i.as_str() > c))
        .collect();
    let (rows, next) = match rest.get(PAGE.min(rest.len()).saturating_sub(1)) {
        None => (Vec::new(), None),
        Some(last) => {
            let forms = app::div_forms(&mut tx, actor, &fy, Span::Range(cursor, last)).await?;
            let mut rows = Vec::new();
            for f in forms {
                let issued = forms_store::latest_tx(
                    &mut tx,
                    actor,
                    &fy.fund.id,
                    &f.investor_id,
                    tax_year,
                    app::FORM,
                )
                .await?;
                rows.push(DivRow {
                    box1a: Currency::USD.format_minor(f.figures.box1a),
                    box4: Currency::USD.format_minor(f.figures.box4),
                    due: f.due,
                    issued: issued.map_or_else(
                        || "Not issued".to_string(),
                        |r| {
                            format!(
                                "Seq {}{}",
                                r.seq,
                                if r.corrected { ", CORRECTED" } else { "" }
                            )
                        },
                    ),
                    investor_id: f.investor_id,
                    name: f.name,
                });
            }
            (rows, (rest.len() > PAGE).then(|| last.to_string()))
        }
    };
    tx.commit().await?;
    let page = FundYearPage {
        chrome: Chrome::new(
            &viewer,
            format!("1099-DIV of {} for {tax_year}", fy.fund.name),
            "/tax",
        ),
        fund_id: fy.fund.id,
        year: tax_year,
        rows,
        next,
    };
    render_status(StatusCode::OK, &page)
}

/// An issued form in the portal.
pub struct PortalRow {
    form: String,
    year: i32,
    fund: String,
    seq: i64,
    corrected: bool,
    href: String,
}

#[derive(Template)]
#[template(path = "tax/portal.html")]
struct PortalPage {
    chrome: Chrome,
    rows: Vec<PortalRow>,
}

async fn portal(State(state): State<AppState>, viewer: Viewer) -> PageResult<Response> {
    if let Some(away) = viewer.portal_page() {
        return Ok(away);
    }
    let Some(investor) = viewer.actor.investor_id.clone() else {
        return Ok(viewer.to_home());
    };
    let mut tx = state.db.begin().await?;
    let forms = forms_store::of_investor_tx(&mut tx, &viewer.actor, &investor).await?;
    tx.commit().await?;
    // The newest issue of each (year, fund, form) only: older issues were replaced.
    let mut rows: Vec<PortalRow> = Vec::new();
    for f in forms {
        if rows
            .iter()
            .any(|r| r.year == f.tax_year && r.fund == f.fund_id && r.form == f.form)
        {
            continue;
        }
        let href = match f.form.as_str() {
            "K-1" => format!(
                "/api/investors/{investor}/k1/{}/{}/export?format=pdf",
                f.tax_year, f.fund_id
            ),
            "1042-S" => format!(
                "/api/investors/{investor}/1042-s/{}/{}/export?format=pdf",
                f.tax_year, f.fund_id
            ),
            _ => format!(
                "/api/investors/{investor}/1099-div/{}/{}/export?format=pdf",
                f.tax_year, f.fund_id
            ),
        };
        rows.push(PortalRow {
            form: f.form,
            year: f.tax_year,
            fund: f.fund_id,
            seq: f.seq,
            corrected: f.corrected,
            href,
        });
    }
    let page = PortalPage {
        chrome: Chrome::new(&viewer, "My tax forms", "/account/tax-forms"),
        rows,
    };
    render_status(StatusCode::OK, &page)
}
