//! The reconciliation pages of the operations console: the summary (ledger against bank),
//! imported statements and the upload form, a statement's lines, the exceptions queue with
//! candidates, manual match (four eyes above the configured amount) and unmatch. Every read
//! and change goes through the same store and application calls as the API; roles the API
//! refuses see the buttons disabled with the reason, and are refused if they post anyway.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use clearway_app::reconciliation::{self as app, ImportOptions, ManualMatch, ManualOutcome};
use clearway_core::access::Permission;
use clearway_core::Currency;
use clearway_store::reconciliation::{self as store, ExceptionFilter, MatchRequest};
use clearway_store::statements::{self, LineRecord, StatementRecord};
use serde::Deserialize;
use serde_json::Value;

use crate::state::AppState;
use crate::web::error::{render, render_status};
use crate::web::fmt::money_code;
use crate::web::form::{self, FieldErrors};
use crate::web::{Chrome, PageError, PageResult, Viewer};

/// Routes of the reconciliation pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reconciliation", get(index))
        .route("/reconciliation/statements", post(upload))
        .route("/reconciliation/statements/{id}", get(statement))
        .route("/reconciliation/exceptions", get(exceptions))
        .route(
            "/reconciliation/exceptions/{line_id}/match",
            get(match_form).post(match_post),
        )
        .route(
            "/reconciliation/match-requests/{id}/approve",
            post(approve_request),
        )
        .route(
            "/reconciliation/match-requests/{id}/complete",
            post(complete_request),
        )
        .route(
            "/reconciliation/matches/{id}/unmatch",
            get(unmatch_form).post(unmatch_post),
        )
}

/// Rows per page of every list here.
const PAGE: i64 = 25;
/// Days the summary covers, up to today.
const SUMMARY_DAYS: i64 = 30;
/// Why a role without `Operate` sees the change buttons disabled.
const MAY_NOT_OPERATE: &str =
    "Your role may not import statements or match lines (operators and admins do).";

/// The reason the viewer may not change reconciliation, if any.
fn operate_refusal(viewer: &Viewer) -> Option<&'static str> {
    (!viewer.can(Permission::Operate)).then_some(MAY_NOT_OPERATE)
}

fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(200).collect())
}

/// A notice after an action that redirected here (fixed texts only).
fn notice(code: Option<&str>) -> Option<String> {
    let text = match code? {
        "imported" => "The statement file was imported; matching runs in the background.",
        "duplicate" => "This file was imported before: nothing was added.",
        "matched" => "The lines were matched and the payments settled.",
        "pending" => {
            "The match is above the four-eyes amount: it waits for a second person's approval."
        }
        "approved" => "The match request was approved; its maker can now make the match.",
        "unmatched" => "The match was undone: its lines are back in the exceptions queue.",
        _ => return None,
    };
    Some(text.into())
}

fn money(minor: &i64, currency: &Currency) -> String {
    money_code(*minor, *currency)
}

// ---------------------------------------------------------------------------------------
// Summary, statements and upload

/// The summary page's query.
#[derive(Debug, Default, Deserialize)]
pub struct IndexQuery {
    cursor: Option<String>,
    /// The file just imported (its result is shown).
    file: Option<String>,
    notice: Option<String>,
}

/// What an import did, as counted now.
pub struct ImportResult {
    lines: i64,
    matched: i64,
    exceptions: i64,
    waiting: i64,
}

#[derive(Template)]
#[template(path = "reconciliation/index.html")]
struct IndexPage {
    chrome: Chrome,
    summary: store::Summary,
    statements: Vec<StatementRecord>,
    next: Option<String>,
    first_page: bool,
    refusal: Option<&'static str>,
    result: Option<ImportResult>,
    errors: FieldErrors,
}

async fn import_result(state: &AppState, viewer: &Viewer, file: &str) -> PageResult<ImportResult> {
    let counts = statements::file_line_counts(&state.db, &viewer.actor, file).await?;
    let of = |s: &str| counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    Ok(ImportResult {
        lines: counts.iter().map(|(_, n)| n).sum(),
        matched: of("MATCHED"),
        exceptions: of("EXCEPTION"),
        waiting: of("OPEN"),
    })
}

/// The summary page, with `errors` next to the upload's file field.
async fn index_page(
    state: &AppState,
    viewer: &Viewer,
    q: &IndexQuery,
    errors: FieldErrors,
) -> PageResult<IndexPage> {
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(SUMMARY_DAYS);
    let summary = store::summary(&state.db, &viewer.actor, None, from, today, today).await?;
    let cursor = blank(&q.cursor);
    let list = statements::list(&state.db, &viewer.actor, None, cursor.as_deref(), PAGE).await?;
    let result = match blank(&q.file) {
        Some(f) => Some(import_result(state, viewer, &f).await?),
        None => None,
    };
    Ok(IndexPage {
        chrome: Chrome::new(viewer, "Reconciliation", "/reconciliation")
            .with_notice(notice(q.notice.as_deref())),
        summary,
        next: (list.len() as i64 == PAGE)
            .then(|| list.last().map(|s| s.id.clone()))
            .flatten(),
        statements: list,
        first_page: cursor.is_none(),
        refusal: operate_refusal(viewer),
        result,
        errors,
    })
}

async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<IndexQuery>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    render(&index_page(&state, &viewer, &q, FieldErrors::default()).await?)
}

/// The upload's parts: the file and the CSRF token (in whatever order they come).
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

async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    parts: Multipart,
) -> PageResult<Response> {
    let (file, token) = read_upload(parts).await?;
    form::check_token(&viewer, &headers, &token)?;
    viewer.actor.require(Permission::Operate)?;
    let options = ImportOptions {
        format: None,
        sheet: Default::default(),
        account: None,
        currency: None,
        balance_policy: state.config.statement_balance_policy,
    };
    if file.is_empty() {
        let mut errors = FieldErrors::default();
        errors.push("file", "Choose a statement file to upload.");
        return upload_failed(&state, &viewer, errors).await;
    }
    match app::import(&state.db, &viewer.actor, &file, &options).await {
        Ok(outcome) => {
            if outcome.job_id.is_some() {
                state.jobs_ready.notify_waiters();
                state.events_ready.notify_one();
            }
            let code = if outcome.duplicate {
                "duplicate"
            } else {
                "imported"
            };
            let to = format!("/reconciliation?notice={code}&file={}", outcome.file.id);
            Ok(Redirect::to(&to).into_response())
        }
        // Every refusal of the file is shown next to the file field.
        Err(e) => {
            let errors = FieldErrors::from_error(e, |_| "file".into())?;
            upload_failed(&state, &viewer, errors).await
        }
    }
}

/// The summary page again with the upload's error next to the file field (422).
async fn upload_failed(
    state: &AppState,
    viewer: &Viewer,
    errors: FieldErrors,
) -> PageResult<Response> {
    let page = index_page(state, viewer, &IndexQuery::default(), errors).await?;
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

// ---------------------------------------------------------------------------------------
// One statement's lines

/// A statement page's query.
#[derive(Debug, Default, Deserialize)]
pub struct LinesQuery {
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "reconciliation/statement.html")]
struct StatementPage {
    chrome: Chrome,
    statement: StatementRecord,
    lines: Vec<LineRecord>,
    next: Option<i64>,
    first_page: bool,
    refusal: Option<&'static str>,
}

async fn statement(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<LinesQuery>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let statement = statements::get(&state.db, &viewer.actor, &id).await?;
    // A cursor that is not a line position is the first page.
    let after = blank(&q.cursor).and_then(|c| c.parse::<i64>().ok());
    let lines = statements::lines(
        &state.db,
        &viewer.actor,
        &id,
        None,
        after.unwrap_or(-1),
        PAGE,
    )
    .await?;
    let path = format!("/reconciliation/statements/{id}");
    render(&StatementPage {
        chrome: Chrome::new(&viewer, "Bank statement", &path),
        next: (lines.len() as i64 == PAGE)
            .then(|| lines.last().map(|l| l.seq))
            .flatten(),
        first_page: after.is_none(),
        statement,
        lines,
        refusal: operate_refusal(&viewer),
    })
}

// ---------------------------------------------------------------------------------------
// Exceptions queue and open match requests

/// The exceptions page's query.
#[derive(Debug, Default, Deserialize)]
pub struct ExceptionsQuery {
    cursor: Option<String>,
    requests: Option<String>,
    notice: Option<String>,
}

/// One suggested candidate of an exception.
pub struct Candidate {
    /// The payments, comma-separated (the form's value).
    value: String,
    payment_ids: Vec<String>,
    score: Option<i64>,
    reasons: Vec<String>,
}

/// The candidates the matcher stored with a line.
fn candidates(line: &LineRecord) -> Vec<Candidate> {
    let Some(Value::Array(items)) = &line.candidates else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|c| {
            let ids: Vec<String> = c["paymentIds"]
                .as_array()?
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
            let reasons = c["reasons"].as_array().map_or_else(Vec::new, |rs| {
                rs.iter()
                    .filter_map(|r| {
                        let code = r["code"].as_str()?;
                        Some(match r.get("value") {
                            Some(v) => format!("{code} {v}"),
                            None => code.to_string(),
                        })
                    })
                    .collect()
            });
            Some(Candidate {
                value: ids.join(","),
                payment_ids: ids,
                score: c["score"].as_i64(),
                reasons,
            })
        })
        .collect()
}

/// One exception with its candidates.
pub struct ExceptionRow {
    line: LineRecord,
    candidates: Vec<Candidate>,
}

/// One open request, with what the viewer may do about it.
pub struct RequestRow {
    request: MatchRequest,
    /// Why the viewer may not approve it (when pending).
    approve_refusal: Option<&'static str>,
    /// Why the viewer may not carry it out (when approved).
    complete_refusal: Option<&'static str>,
}

fn request_row(viewer: &Viewer, request: MatchRequest) -> RequestRow {
    let approve_refusal = if !viewer.can(Permission::Approve) {
        Some("Your role may not approve matches (approvers and admins do).")
    } else if request.requested_by == viewer.actor.user_id {
        Some("You asked for this match: someone else must approve it.")
    } else {
        None
    };
    RequestRow {
        approve_refusal,
        complete_refusal: operate_refusal(viewer),
        request,
    }
}

#[derive(Template)]
#[template(path = "reconciliation/exceptions.html")]
struct ExceptionsPage {
    chrome: Chrome,
    rows: Vec<ExceptionRow>,
    next: Option<String>,
    first_page: bool,
    requests: Vec<RequestRow>,
    next_requests: Option<String>,
    refusal: Option<&'static str>,
    today: chrono::NaiveDate,
}

async fn exceptions(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ExceptionsQuery>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let today = chrono::Utc::now().date_naive();
    let cursor = blank(&q.cursor);
    let filter = ExceptionFilter {
        as_of: Some(today),
        after_id: cursor.clone(),
        limit: PAGE,
        ..Default::default()
    };
    let lines = store::exceptions(&state.db, &viewer.actor, &filter).await?;
    let after = blank(&q.requests);
    let open = store::open_match_requests(&state.db, &viewer.actor, after.as_deref(), PAGE).await?;
    render(&ExceptionsPage {
        chrome: Chrome::new(&viewer, "Exceptions", "/reconciliation/exceptions")
            .with_notice(notice(q.notice.as_deref())),
        next: (lines.len() as i64 == PAGE)
            .then(|| lines.last().map(|l| l.id.clone()))
            .flatten(),
        first_page: cursor.is_none(),
        rows: lines
            .into_iter()
            .map(|line| ExceptionRow {
                candidates: candidates(&line),
                line,
            })
            .collect(),
        next_requests: (open.len() as i64 == PAGE)
            .then(|| open.last().map(|r| r.id.clone()))
            .flatten(),
        requests: open.into_iter().map(|r| request_row(&viewer, r)).collect(),
        refusal: operate_refusal(&viewer),
        today,
    })
}

/// Days since a line's value date.
fn age(line: &LineRecord, today: &chrono::NaiveDate) -> i64 {
    (*today - line.value_date).num_days()
}

// ---------------------------------------------------------------------------------------
// Manual match

#[derive(Template)]
#[template(path = "reconciliation/match.html")]
struct MatchPage {
    chrome: Chrome,
    line: LineRecord,
    candidates: Vec<Candidate>,
    chosen: String,
    outcome: String,
    note: String,
    errors: FieldErrors,
    refusal: Option<&'static str>,
}

/// The manual match form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct MatchForm {
    #[serde(default)]
    candidate: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
}

async fn match_page(
    state: &AppState,
    viewer: &Viewer,
    line_id: &str,
    form: MatchForm,
    errors: FieldErrors,
) -> PageResult<MatchPage> {
    let line = statements::line(&state.db, &viewer.actor, line_id).await?;
    let outcome = if form.outcome.is_empty() {
        // A debit paid a payment; a credit brought one back.
        if line.amount_minor < 0 {
            "CLEARED"
        } else {
            "RETURNED"
        }
        .to_string()
    } else {
        form.outcome
    };
    Ok(MatchPage {
        chrome: Chrome::new(viewer, "Match by hand", "/reconciliation/exceptions"),
        candidates: candidates(&line),
        line,
        chosen: form.candidate,
        outcome,
        note: form.note,
        errors,
        refusal: operate_refusal(viewer),
    })
}

async fn match_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(line_id): Path<String>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    render(
        &match_page(
            &state,
            &viewer,
            &line_id,
            MatchForm::default(),
            FieldErrors::default(),
        )
        .await?,
    )
}

/// Makes a manual match in its own transaction (as the API does, without its idempotency
/// key: the page redirects after success, so a reload does not post again).
async fn make_match(
    state: &AppState,
    viewer: &Viewer,
    manual: &ManualMatch,
) -> Result<ManualOutcome, clearway_app::AppError> {
    let mut tx = state.db.begin().await?;
    let outcome =
        app::manual_match(&mut tx, &viewer.actor, manual, state.config.four_eyes_above).await?;
    tx.commit().await?;
    state.events_ready.notify_one();
    Ok(outcome)
}

fn after_match(outcome: ManualOutcome) -> Response {
    let code = match outcome {
        ManualOutcome::Matched(_) => "matched",
        ManualOutcome::Pending(_) => "pending",
    };
    Redirect::to(&format!("/reconciliation/exceptions?notice={code}")).into_response()
}

async fn match_post(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(line_id): Path<String>,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<MatchForm>(&viewer, &headers, &body)?;
    viewer.actor.require(Permission::Operate)?;
    let mut errors = FieldErrors::default();
    if f.candidate.trim().is_empty() {
        errors.push("candidate", "Choose the payments this line settles.");
    }
    if errors.is_empty() {
        let manual = ManualMatch {
            line_ids: vec![line_id.clone()],
            payment_ids: f
                .candidate
                .split(',')
                .map(|s| s.trim().to_string())
                .collect(),
            outcome: f.outcome.clone(),
            note: Some(f.note.trim().to_string()).filter(|n| !n.is_empty()),
            request_id: None,
        };
        match make_match(&state, &viewer, &manual).await {
            Ok(outcome) => return Ok(after_match(outcome)),
            Err(e) => {
                errors = FieldErrors::from_error(e, |field| match field {
                    "outcome" | "note" => field.to_string(),
                    _ => "candidate".into(),
                })?
            }
        }
    }
    let page = match_page(&state, &viewer, &line_id, f, errors).await?;
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

async fn approve_request(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    form::check(&viewer, &headers, &body)?;
    viewer.actor.require(Permission::Approve)?;
    let mut tx = state.db.begin().await?;
    app::approve_match_request(&mut tx, &viewer.actor, &id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/reconciliation/exceptions?notice=approved").into_response())
}

/// Carries out an approved request: the match it describes, with its id.
async fn complete_request(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    form::check(&viewer, &headers, &body)?;
    viewer.actor.require(Permission::Operate)?;
    let mut tx = state.db.begin().await?;
    let r = store::match_request(&mut tx, &viewer.actor, &id).await?;
    drop(tx);
    let manual = ManualMatch {
        line_ids: r.line_ids,
        payment_ids: r.payment_ids,
        outcome: r.outcome,
        note: r.note,
        request_id: Some(r.id),
    };
    Ok(after_match(make_match(&state, &viewer, &manual).await?))
}

// ---------------------------------------------------------------------------------------
// Unmatch

#[derive(Template)]
#[template(path = "reconciliation/unmatch.html")]
struct UnmatchPage {
    chrome: Chrome,
    matched: store::MatchRecord,
    reason: String,
    errors: FieldErrors,
    refusal: Option<&'static str>,
}

/// The unmatch form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct UnmatchForm {
    #[serde(default)]
    reason: String,
}

async fn unmatch_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    reason: String,
    errors: FieldErrors,
) -> PageResult<UnmatchPage> {
    Ok(UnmatchPage {
        chrome: Chrome::new(viewer, "Undo a match", "/reconciliation/exceptions"),
        matched: store::get_match(&state.db, &viewer.actor, id).await?,
        reason,
        errors,
        refusal: operate_refusal(viewer),
    })
}

async fn unmatch_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    render(&unmatch_page(&state, &viewer, &id, String::new(), FieldErrors::default()).await?)
}

async fn unmatch_post(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<UnmatchForm>(&viewer, &headers, &body)?;
    viewer.actor.require(Permission::Operate)?;
    match app::unmatch_now(&state.db, &viewer.actor, &id, &f.reason).await {
        Ok(_) => {
            state.events_ready.notify_one();
            Ok(Redirect::to("/reconciliation/exceptions?notice=unmatched").into_response())
        }
        Err(e) => {
            let errors = FieldErrors::from_error(e, |_| "reason".into())?;
            let page = unmatch_page(&state, &viewer, &id, f.reason, errors).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
