//! Staff pages of the fund-administrator sync: ownership per domain and the file upload (with
//! a dry run) on `/sync`, a file's result (errors and changes) on `/sync/files/{id}`, and the
//! conflicts queue with its resolve forms on `/sync/conflicts`. Every read and write goes
//! through the same application calls as the API; only staff who may operate see them.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use clearway_app::sync as app;
use clearway_core::access::Permission;
use clearway_core::sync::{ConflictStatus, FileKind, Resolution, Source};
use serde::Deserialize;

use super::dto::{ConflictView, SyncFileView, SyncOwnershipView};
use crate::http::page::Page;
use crate::http::ApiError;
use crate::state::AppState;
use crate::web::error::{render, render_status};
use crate::web::form::{self, FieldErrors};
use crate::web::{Chrome, PageError, PageResult, Viewer};

/// Routes of the sync pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sync", get(index))
        .route("/sync/ownership", post(save_ownership))
        .route("/sync/files", post(upload))
        .route("/sync/files/{id}", get(file))
        .route("/sync/conflicts", get(conflicts))
        .route("/sync/conflicts/{id}/resolve", post(resolve))
}

/// Rows per page of every list here.
const PAGE: i64 = 25;

/// The kinds of file, as the upload form offers them.
const KINDS: [(&str, &str); 4] = [
    ("NAVS", "NAV per share"),
    ("HOLDINGS", "Holdings (units per investor)"),
    ("SCHEDULES", "Distribution schedules"),
    (
        "PREFERENCES",
        "Investor preferences (reinvestment, payment)",
    ),
];

/// Investors never see these pages (404, as another organization's page); staff who may not
/// operate are refused (403), as the API refuses them.
fn gate(viewer: &Viewer) -> PageResult<()> {
    if viewer.is_investor() {
        return Err(PageError::not_found());
    }
    viewer.actor.require(Permission::Operate)?;
    Ok(())
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
        "ownership" => "Ownership saved.",
        "resolved" => "The conflict was resolved.",
        _ => return None,
    };
    Some(text.into())
}

// ---------------------------------------------------------------------------------------
// `/sync`: ownership, upload, files received

/// One domain's owner, as the ownership form shows it.
struct DomainOwner {
    name: &'static str,
    label: &'static str,
    owner: String,
}

fn owners(o: &SyncOwnershipView) -> Vec<DomainOwner> {
    let d = |name, label, owner: &str| DomainOwner {
        name,
        label,
        owner: owner.to_string(),
    };
    vec![
        d("nav", "NAV per share", &o.nav),
        d("holdings", "Holdings", &o.holdings),
        d("schedules", "Distribution schedules", &o.schedules),
        d("elections", "Reinvestment elections", &o.elections),
        d("bank_details", "Bank details", &o.bank_details),
    ]
}

/// One file in the table of files received.
struct FileRow {
    id: String,
    file_name: String,
    kind: String,
    status: String,
    rows_applied: i64,
    rows_unchanged: i64,
    conflicts_opened: i64,
    errors: usize,
    received_at: String,
}

impl From<&SyncFileView> for FileRow {
    fn from(f: &SyncFileView) -> Self {
        FileRow {
            id: f.id.clone(),
            file_name: f.file_name.clone(),
            kind: f.kind.clone(),
            status: f.status.clone(),
            rows_applied: f.rows_applied,
            rows_unchanged: f.rows_unchanged,
            conflicts_opened: f.conflicts_opened,
            errors: f.errors.len(),
            received_at: f.received_at.clone(),
        }
    }
}

/// The index page's query.
#[derive(Debug, Default, Deserialize)]
pub struct IndexQuery {
    cursor: Option<String>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "sync/index.html")]
struct IndexPage {
    chrome: Chrome,
    open_conflicts: i64,
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
    dry_run: bool,
    ownership: Vec<DomainOwner>,
    files: Vec<FileRow>,
    next: Option<String>,
    first_page: bool,
    errors: FieldErrors,
}

/// The index page drawn for `q`, the upload form keeping `kind` and `dry_run`, with `errors`.
async fn index_page(
    state: &AppState,
    viewer: &Viewer,
    q: &IndexQuery,
    upload: (&str, bool),
    errors: FieldErrors,
) -> PageResult<IndexPage> {
    let cursor = blank(&q.cursor);
    let ownership = SyncOwnershipView::from(&app::ownership(&state.db, &viewer.actor).await?);
    let files = app::files(&state.db, &viewer.actor, PAGE, cursor.as_deref()).await?;
    let views = files.iter().map(SyncFileView::from).collect();
    let files = Page::new(views, PAGE, |f: &SyncFileView| {
        format!("{}|{}", f.received_at, f.id)
    });
    let open_conflicts = app::open_conflicts(&state.db, &viewer.actor).await?;
    Ok(IndexPage {
        chrome: Chrome::new(viewer, "Administrator sync", "/sync")
            .with_notice(notice(q.notice.as_deref())),
        open_conflicts,
        kinds: KINDS.to_vec(),
        kind: upload.0.to_string(),
        dry_run: upload.1,
        ownership: owners(&ownership),
        files: files.items.iter().map(FileRow::from).collect(),
        next: files.next_cursor,
        first_page: cursor.is_none(),
        errors,
    })
}

async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<IndexQuery>,
) -> PageResult<Response> {
    gate(&viewer)?;
    render(
        &index_page(
            &state,
            &viewer,
            &q,
            ("HOLDINGS", true),
            FieldErrors::default(),
        )
        .await?,
    )
}

/// The ownership form: one owner per domain.
#[derive(Debug, Deserialize)]
struct OwnershipForm {
    nav: String,
    holdings: String,
    schedules: String,
    elections: String,
    bank_details: String,
}

async fn save_ownership(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<OwnershipForm>(&viewer, &headers, &body)?;
    gate(&viewer)?;
    let view = SyncOwnershipView {
        nav: f.nav,
        holdings: f.holdings,
        schedules: f.schedules,
        elections: f.elections,
        bank_details: f.bank_details,
    };
    let errors = match view.parse() {
        Ok(o) => match app::put_ownership(&state.db, &viewer.actor, &o).await {
            Ok(_) => return Ok(Redirect::to("/sync?notice=ownership").into_response()),
            Err(e) => FieldErrors::from_error(e, |_| "ownership".into())?,
        },
        Err(ApiError::Invalid(i)) => {
            let mut e = FieldErrors::default();
            for f in i.0 {
                e.push("ownership", format!("{}: {}", f.field, f.message));
            }
            e
        }
        Err(e) => return Err(e.into()),
    };
    let q = IndexQuery::default();
    let page = index_page(&state, &viewer, &q, ("HOLDINGS", true), errors);
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page.await?)
}

/// The upload's parts, in whatever order they come.
#[derive(Default)]
struct Upload {
    token: String,
    kind: String,
    dry_run: bool,
    file_name: String,
    file: Vec<u8>,
}

async fn read_upload(mut parts: Multipart) -> PageResult<Upload> {
    let malformed = |e: axum::extract::multipart::MultipartError| {
        PageError::new(e.status(), "Upload not read", &e.body_text())
    };
    let mut u = Upload::default();
    while let Some(part) = parts.next_field().await.map_err(malformed)? {
        match part.name() {
            Some("_csrf") => u.token = part.text().await.map_err(malformed)?,
            Some("kind") => u.kind = part.text().await.map_err(malformed)?,
            Some("dry_run") => u.dry_run = part.text().await.map_err(malformed)? == "true",
            Some("file") => {
                u.file_name = part
                    .file_name()
                    .unwrap_or("upload")
                    .chars()
                    .take(200)
                    .collect();
                u.file = part.bytes().await.map_err(malformed)?.to_vec();
            }
            _ => {}
        }
    }
    Ok(u)
}

async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    parts: Multipart,
) -> PageResult<Response> {
    let u = read_upload(parts).await?;
    form::check_token(&viewer, &headers, &u.token)?;
    gate(&viewer)?;
    let mut errors = FieldErrors::default();
    let kind = FileKind::parse(&u.kind);
    if kind.is_none() {
        errors.push("kind", "choose the kind of file");
    }
    if u.file.is_empty() {
        errors.push("file", "choose a CSV or XLSX file to import");
    }
    if let (Some(kind), true) = (kind, errors.is_empty()) {
        let (name, bytes) = (&u.file_name, &u.file);
        let result = app::import_file(
            &state.db,
            &viewer.actor,
            kind,
            name,
            bytes,
            Source::Upload,
            u.dry_run,
        );
        match result.await {
            // Every outcome (a dry run and a refusal too) is kept: its page is the answer.
            Ok(report) => {
                state.events_ready.notify_one();
                return Ok(Redirect::to(&format!("/sync/files/{}", report.id)).into_response());
            }
            // A file refused as a whole (not CSV or XLSX, unreadable) is named at its field.
            Err(e) => errors = FieldErrors::from_error(e, |_| "file".into())?,
        }
    }
    let q = IndexQuery::default();
    let kind = kind.map_or("HOLDINGS", FileKind::as_str);
    let page = index_page(&state, &viewer, &q, (kind, u.dry_run), errors);
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page.await?)
}

// ---------------------------------------------------------------------------------------
// `/sync/files/{id}`: one file's result

#[derive(Template)]
#[template(path = "sync/file.html")]
struct FilePage {
    chrome: Chrome,
    banner: &'static str,
    f: SyncFileView,
}

/// What the status banner says about a file.
fn banner(status: &str) -> &'static str {
    match status {
        "APPLIED" => "The file was applied: owned changes written, the others opened as conflicts.",
        "REFUSED" => {
            "The file was refused: nothing was changed. Correct the rows below and send it again."
        }
        "DUPLICATE" => "This file was imported before: nothing was changed.",
        "DRY_RUN" => "Dry run: this is what the file would change. Nothing was changed.",
        _ => "",
    }
}

async fn file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Response> {
    gate(&viewer)?;
    let f = SyncFileView::from(&app::file(&state.db, &viewer.actor, &id).await?);
    render(&FilePage {
        chrome: Chrome::new(&viewer, format!("Sync file {}", f.file_name), "/sync"),
        banner: banner(&f.status),
        f,
    })
}

// ---------------------------------------------------------------------------------------
// `/sync/conflicts`: the open queue and the resolved tab

/// The conflicts page's query.
#[derive(Debug, Default, Deserialize)]
pub struct ConflictsQuery {
    status: Option<String>,
    cursor: Option<String>,
    notice: Option<String>,
}

/// One conflict as the table shows it.
struct ConflictRow {
    id: String,
    domain: String,
    label: String,
    field: String,
    ours: String,
    theirs: String,
    source: String,
    file_id: Option<String>,
    created_at: String,
    resolution: String,
    resolved_value: String,
    resolved_by: String,
    resolved_at: String,
}

impl From<&ConflictView> for ConflictRow {
    fn from(c: &ConflictView) -> Self {
        let or_dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
        ConflictRow {
            id: c.id.clone(),
            domain: c.domain.clone(),
            label: c.label.clone(),
            field: c.field.clone(),
            ours: or_dash(c.ours.clone()),
            theirs: c.theirs.clone(),
            source: c.source.clone(),
            file_id: c.file_id.clone(),
            created_at: c.created_at.clone(),
            resolution: or_dash(c.resolution.clone()),
            resolved_value: or_dash(c.resolved_value.clone()),
            resolved_by: or_dash(c.resolved_by.clone()),
            resolved_at: or_dash(c.resolved_at.clone()),
        }
    }
}

#[derive(Template)]
#[template(path = "sync/conflicts.html")]
struct ConflictsPage {
    chrome: Chrome,
    open: bool,
    conflicts: Vec<ConflictRow>,
    next: Option<String>,
    first_page: bool,
    error: Option<String>,
    /// The conflict whose edited value was refused.
    edited: Option<String>,
}

async fn conflicts_page(
    state: &AppState,
    viewer: &Viewer,
    q: &ConflictsQuery,
    error: Option<(String, String)>,
) -> PageResult<ConflictsPage> {
    let open = q.status.as_deref() != Some("RESOLVED");
    let cursor = blank(&q.cursor);
    let status = if open {
        ConflictStatus::Open
    } else {
        ConflictStatus::Resolved
    };
    let list = app::conflicts(&state.db, &viewer.actor, status, PAGE, cursor.as_deref()).await?;
    let views = list.iter().map(ConflictView::from).collect();
    let page = Page::new(views, PAGE, |c: &ConflictView| {
        format!("{}|{}", c.created_at, c.id)
    });
    let title = if open {
        "Open conflicts"
    } else {
        "Resolved conflicts"
    };
    Ok(ConflictsPage {
        chrome: Chrome::new(viewer, title, "/sync").with_notice(notice(q.notice.as_deref())),
        open,
        conflicts: page.items.iter().map(ConflictRow::from).collect(),
        next: page.next_cursor,
        first_page: cursor.is_none(),
        edited: error.as_ref().map(|(id, _)| id.clone()),
        error: error.map(|(_, e)| e),
    })
}

async fn conflicts(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ConflictsQuery>,
) -> PageResult<Response> {
    gate(&viewer)?;
    render(&conflicts_page(&state, &viewer, &q, None).await?)
}

/// A resolve form: which value to keep, and the edited one.
#[derive(Debug, Deserialize)]
struct ResolveForm {
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    value: String,
}

async fn resolve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<ResolveForm>(&viewer, &headers, &body)?;
    gate(&viewer)?;
    let value = Some(f.value.trim()).filter(|v| !v.is_empty());
    let Some(resolution) = Resolution::parse(&f.resolution) else {
        return Err(ApiError::field("resolution", "must be TAKE_OURS, TAKE_THEIRS or EDIT").into());
    };
    match app::resolve_conflict(&state.db, &viewer.actor, &id, resolution, value).await {
        Ok(_) => {
            state.events_ready.notify_one();
            Ok(Redirect::to("/sync/conflicts?notice=resolved").into_response())
        }
        Err(e) => {
            // A refused value or resolution is shown above the queue; anything else (another
            // organization's conflict, one already resolved) is the error page.
            let errors = FieldErrors::from_error(e, |f| f.to_string())?;
            let text = errors
                .0
                .iter()
                .map(|(field, m)| format!("{field}: {m}"))
                .collect::<Vec<_>>()
                .join("; ");
            let q = ConflictsQuery::default();
            let page = conflicts_page(&state, &viewer, &q, Some((id, text))).await?;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
