//! Capital pages: the partnership funds (`/capital`), a fund's capital page (commitments with
//! called/uncalled/recallable, calls, contributions, the capital-account report for a period
//! with CSV/XLSX downloads, a new-call form and an import form), and the investor portal's own
//! capital account (`/account/capital`). Forms go through the same services as the API.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{Datelike, NaiveDate};
use clearway_app::capital::{self as app, Batch, CallInput};
use clearway_core::access::Permission;
use clearway_core::distribution::{parse_date, FundKind};
use clearway_store::capital as store;
use clearway_store::funds;
use serde::Deserialize;

use super::dto::{AccountView, CallView, ContributionView, PositionView};
use crate::reinvestment::routes::today;
use crate::state::AppState;
use crate::web::error::{render, render_status, PageError};
use crate::web::form::{self, FieldErrors};
use crate::web::{query_string, Chrome, PageResult, Viewer};

/// Rows per table page.
const PAGE: i64 = 50;

/// Routes of the pages and their forms.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/capital", get(index))
        .route("/capital/{fund}", get(fund_page))
        .route("/capital/{fund}/calls", post(new_call))
        .route("/capital/{fund}/import", post(import))
        .route("/account/capital", get(portal))
}

#[derive(Template)]
#[template(path = "capital_index.html")]
struct IndexPage {
    chrome: Chrome,
    funds: Vec<(String, String, String)>,
}

async fn index(State(state): State<AppState>, viewer: Viewer) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let funds = funds::list_funds(&state.db, &viewer.actor)
        .await?
        .into_iter()
        .filter(|f| f.kind == FundKind::Partnership)
        .map(|f| (f.code, f.name, f.currency.code().to_string()))
        .collect();
    render(&IndexPage {
        chrome: Chrome::new(&viewer, "Capital", "/capital"),
        funds,
    })
}

/// The fund page's query.
#[derive(Debug, Default, Deserialize)]
pub struct FundQuery {
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
    notice: Option<String>,
}

/// The new-call form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallForm {
    #[serde(default)]
    call_date: String,
    #[serde(default)]
    due_date: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    deal: String,
    #[serde(default)]
    amount: String,
}

/// The report block: period, rows, totals.
pub struct ReportBlock {
    from: String,
    to: String,
    rows: Vec<AccountView>,
    total: AccountView,
    fund_total: Option<AccountView>,
    ties_out: bool,
    csv: String,
    xlsx: String,
}

#[derive(Template)]
#[template(path = "capital_fund.html")]
struct FundPage {
    chrome: Chrome,
    code: String,
    name: String,
    currency: String,
    basis: String,
    positions: Vec<PositionView>,
    next: Option<String>,
    calls: Vec<CallView>,
    contributions: Vec<ContributionView>,
    report: ReportBlock,
    call: CallForm,
    errors: FieldErrors,
    import_errors: Vec<(String, String)>,
}

/// The report period: the query's, or this year to date; a bad date falls back with an error.
fn period(q: &FundQuery, errors: &mut FieldErrors) -> (NaiveDate, NaiveDate) {
    let t = today();
    let start = NaiveDate::from_ymd_opt(t.year(), 1, 1).unwrap_or(t);
    let mut read = |name: &str, v: &Option<String>, default: NaiveDate| match v
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        None => default,
        Some(s) => parse_date(name, s).unwrap_or_else(|e| {
            errors.push(name, e.message);
            default
        }),
    };
    let from = read("from", &q.from, start);
    let to = read("to", &q.to, t);
    if to < from {
        errors.push("to", "must not be before from");
        return (start, t);
    }
    (from, to)
}

async fn report_block(
    state: &AppState,
    viewer: &Viewer,
    fund: &str,
    from: NaiveDate,
    to: NaiveDate,
    investor: Option<&str>,
) -> PageResult<ReportBlock> {
    let mut tx = state.db.begin().await?;
    let r = app::capital_accounts(&mut tx, &viewer.actor, fund, from, to, investor).await?;
    tx.commit().await?;
    let c = r.fund.fund.currency;
    let base = format!(
        "/api/funds/{}/capital-accounts{}",
        r.fund.fund.id,
        investor.map(|i| format!("/{i}")).unwrap_or_default()
    );
    let link = |f: &str| {
        format!(
            "{base}{}",
            query_string(&[
                ("from", &from.to_string()),
                ("to", &to.to_string()),
                ("format", f)
            ])
        )
    };
    Ok(ReportBlock {
        from: from.to_string(),
        to: to.to_string(),
        rows: r
            .rows
            .iter()
            .map(|(id, n, a)| AccountView::new(Some(id), Some(n), a, c))
            .collect(),
        total: AccountView::new(None, None, &r.total, c),
        fund_total: r
            .fund_total
            .as_ref()
            .map(|a| AccountView::new(None, None, a, c)),
        ties_out: r.ties_out,
        csv: link("csv"),
        xlsx: link("xlsx"),
    })
}

async fn draw(
    state: &AppState,
    viewer: &Viewer,
    fund: &str,
    q: &FundQuery,
    call: CallForm,
    mut errors: FieldErrors,
    import_errors: Vec<(String, String)>,
) -> PageResult<Response> {
    let (from, to) = period(q, &mut errors);
    let mut tx = state.db.begin().await?;
    let f = store::capital_fund(&mut tx, &viewer.actor, fund).await?;
    let c = f.fund.currency;
    let after = q.after.as_deref().filter(|s| !s.is_empty());
    let positions = store::positions(&mut tx, &viewer.actor, &f.fund.id, after, Some(PAGE)).await?;
    let calls = store::calls(&mut tx, &viewer.actor, &f.fund.id, None, PAGE).await?;
    let contributions =
        store::contributions_page(&mut tx, &viewer.actor, &f.fund.id, today(), None, PAGE).await?;
    tx.commit().await?;
    let next = (positions.len() as i64 == PAGE)
        .then(|| positions.last().map(|p| p.investor_id.clone()))
        .flatten();
    let page = FundPage {
        chrome: Chrome::new(viewer, format!("Capital — {}", f.fund.code), "/capital")
            .with_notice(notice(q.notice.as_deref())),
        code: f.fund.code.clone(),
        name: f.fund.name.clone(),
        currency: c.code().into(),
        basis: f.basis.as_str().to_lowercase(),
        positions: positions.iter().map(|p| PositionView::new(p, c)).collect(),
        next,
        calls: calls.iter().map(|r| CallView::new(r, c)).collect(),
        contributions: contributions
            .iter()
            .map(|r| ContributionView::new(r, c))
            .collect(),
        report: report_block(state, viewer, &f.fund.id, from, to, None).await?,
        call,
        errors,
        import_errors,
    };
    let status = if page.errors.is_empty() && page.import_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(status, &page)
}

fn notice(code: Option<&str>) -> Option<String> {
    match code? {
        "called" => Some("The capital call was recorded.".into()),
        "imported" => Some("The file was imported.".into()),
        _ => None,
    }
}

async fn fund_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(fund): Path<String>,
    Query(q): Query<FundQuery>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let form = CallForm {
        call_date: today().to_string(),
        due_date: today().to_string(),
        ..CallForm::default()
    };
    draw(
        &state,
        &viewer,
        &fund,
        &q,
        form,
        FieldErrors::default(),
        Vec::new(),
    )
    .await
}

/// The form field of an API field name.
fn field_of(api: &str) -> String {
    match api {
        "callDate" => "call_date",
        "dueDate" => "due_date",
        other => other,
    }
    .to_string()
}

async fn new_call(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(fund): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<CallForm>(&viewer, &headers, &body)?;
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    viewer.actor.require(Permission::Operate)?;
    let call = CallInput {
        at: String::new(),
        call_date: f.call_date.clone(),
        due_date: f.due_date.clone(),
        description: f.description.clone(),
        deal: Some(f.deal.clone()).filter(|d| !d.trim().is_empty()),
        amount: Some(f.amount.clone()),
        items: Vec::new(),
    };
    let batch = Batch {
        calls: vec![call],
        ..Batch::default()
    };
    let mut tx = state.db.begin().await?;
    match app::record_batch(
        &mut tx,
        &viewer.actor,
        &fund,
        &batch,
        today(),
        "capital.call_recorded",
    )
    .await
    {
        Ok(_) => {
            tx.commit().await?;
            state.events_ready.notify_one();
            Ok(Redirect::to(&format!("/capital/{fund}?notice=called")).into_response())
        }
        Err(e) => {
            drop(tx);
            let errors = FieldErrors::from_error(e, field_of)?;
            draw(
                &state,
                &viewer,
                &fund,
                &FundQuery::default(),
                f,
                errors,
                Vec::new(),
            )
            .await
        }
    }
}

async fn read_upload(mut parts: Multipart) -> PageResult<(Vec<u8>, String)> {
    let malformed = |e: axum::extract::multipart::MultipartError| {
        PageError::new(e.status(), "Upload not read", &e.body_text())
    };
    let (mut file, mut token) = (Vec::new(), String::new());
    while let Some(part) = parts.next_field().await.map_err(malformed)? {
        match part.name() {
            Some("_csrf") => token = part.text().await.map_err(malformed)?,
            Some("file") => file = part.bytes().await.map_err(malformed)?.to_vec(),
            _ => {}
        }
    }
    Ok((file, token))
}

async fn import(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(fund): Path<String>,
    headers: HeaderMap,
    parts: Multipart,
) -> PageResult<Response> {
    let (file, token) = read_upload(parts).await?;
    form::check_token(&viewer, &headers, &token)?;
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    viewer.actor.require(Permission::Operate)?;
    let batch = if file.is_empty() {
        Err(vec![clearway_core::FieldError::new(
            "file",
            "choose a CSV or XLSX file",
        )])
    } else {
        app::import::read(&file)
    };
    let outcome = match batch {
        Err(errs) => Err(errs.into_iter().map(|e| (e.field, e.message)).collect()),
        Ok(batch) => {
            let mut tx = state.db.begin().await?;
            match app::record_batch(
                &mut tx,
                &viewer.actor,
                &fund,
                &batch,
                today(),
                "capital.activity_imported",
            )
            .await
            {
                Ok(_) => {
                    tx.commit().await?;
                    Ok(())
                }
                Err(e) => Err(FieldErrors::from_error(e, str::to_string)?.0),
            }
        }
    };
    match outcome {
        Ok(()) => {
            state.events_ready.notify_one();
            Ok(Redirect::to(&format!("/capital/{fund}?notice=imported")).into_response())
        }
        Err(errs) => {
            let form = CallForm {
                call_date: today().to_string(),
                due_date: today().to_string(),
                ..CallForm::default()
            };
            draw(
                &state,
                &viewer,
                &fund,
                &FundQuery::default(),
                form,
                FieldErrors::default(),
                errs,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "capital_portal.html")]
struct PortalPage {
    chrome: Chrome,
    from: String,
    to: String,
    funds: Vec<(String, String, ReportBlock)>,
    errors: FieldErrors,
}

async fn portal(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<FundQuery>,
) -> PageResult<Response> {
    if let Some(r) = viewer.portal_page() {
        return Ok(r);
    }
    let Some(investor) = viewer.actor.investor_id.clone() else {
        return Ok(viewer.to_home());
    };
    let mut errors = FieldErrors::default();
    let (from, to) = period(&q, &mut errors);
    let mut blocks = Vec::new();
    for f in funds::list_funds(&state.db, &viewer.actor)
        .await?
        .into_iter()
        .filter(|f| f.kind == FundKind::Partnership)
    {
        let block = report_block(&state, &viewer, &f.id, from, to, Some(&investor)).await?;
        if !block.rows.is_empty() {
            blocks.push((f.code, f.name, block));
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &PortalPage {
            chrome: Chrome::new(&viewer, "My capital account", "/account/capital"),
            from: from.to_string(),
            to: to.to_string(),
            funds: blocks,
            errors,
        },
    )
}
