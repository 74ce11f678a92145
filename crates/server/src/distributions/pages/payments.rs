//! The payments of one distribution (`/distributions/{id}/payments`): counts and amounts per
//! rail and status, the payments (by cursor) with their failures, a retry for failed ones,
//! and the bank files of the distribution, downloaded through the API's own audited path.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use clearway_core::access::Permission;
use clearway_store::distributions as dstore;
use clearway_store::payment_batches as batches;
use clearway_store::payments::{self as pstore, ListFilter, Payment};
use serde::Deserialize;

use super::{notice, see_other};
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::fmt::money_code;
use crate::web::form;
use crate::web::{Chrome, PageError, PageResult, Viewer};

/// Payments and files per page.
const PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PaymentsQuery {
    /// Payments after this id.
    after: String,
    /// Files before this id (newest first).
    files: String,
    notice: Option<String>,
}

pub struct TotalRow {
    rail: String,
    status: &'static str,
    count: i64,
    amount: String,
}

pub struct PaymentRow {
    id: String,
    investor: String,
    payee: String,
    rail: String,
    status: &'static str,
    amount: String,
    attempt: i64,
    failure: Option<String>,
    /// Whether a retry can be asked for (the server decides).
    retryable: bool,
}

pub struct FileRow {
    id: String,
    kind: String,
    name: String,
    count: i64,
    total: String,
    date: String,
}

#[derive(Template)]
#[template(path = "distributions/payments.html")]
struct PaymentsPage {
    chrome: Chrome,
    id: String,
    totals: Vec<TotalRow>,
    payments: Vec<PaymentRow>,
    next: Option<String>,
    first: bool,
    files: Vec<FileRow>,
    files_next: Option<String>,
    files_first: bool,
    /// Why retries are disabled for this viewer.
    retry_refused: Option<String>,
    /// Why downloads are disabled for this viewer.
    download_refused: Option<String>,
    error: Option<String>,
}

fn rail_of(p: &Payment) -> String {
    match &p.provider {
        Some(provider) => format!("PROVIDER ({provider})"),
        None => p.method.as_str().to_string(),
    }
}

fn payment_row(p: &Payment) -> PaymentRow {
    let failure = match (&p.failure_code, &p.failure_reason) {
        (None, None) => p.hold_reason.clone().or_else(|| p.review_reason.clone()),
        (code, reason) => Some(format!(
            "{}{}",
            code.as_deref()
                .map(|c| format!("{c}: "))
                .unwrap_or_default(),
            reason.as_deref().unwrap_or_default()
        )),
    };
    PaymentRow {
        id: p.id.clone(),
        investor: p.investor_id.clone(),
        payee: p.payee_name.clone(),
        rail: rail_of(p),
        status: p.status.as_str(),
        amount: money_code(p.amount_minor, p.currency),
        attempt: p.attempt,
        failure,
        retryable: !p.status.is_live() && !p.unclaimed,
    }
}

fn refused_for(viewer: &Viewer, what: &str) -> Option<String> {
    (!viewer.can(Permission::Operate))
        .then(|| format!("Your role ({}) may not {what}.", viewer.actor.role.as_str()))
}

async fn draw(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    q: &PaymentsQuery,
    error: Option<String>,
    status: StatusCode,
) -> PageResult<Response> {
    let db = &state.db;
    let actor = &viewer.actor;
    let d = dstore::get(db, actor, id).await?;
    let totals = pstore::rail_totals(db, actor, id).await?;
    let filter = ListFilter {
        distribution_id: Some(d.id.clone()),
        after_id: Some(q.after.clone()).filter(|a| !a.is_empty()),
        limit: PAGE,
        ..ListFilter::default()
    };
    let payments = pstore::list(db, actor, &filter).await?;
    let before = Some(q.files.as_str()).filter(|f| !f.is_empty());
    let files = batches::list(db, actor, None, Some(id), before, PAGE).await?;
    let title = format!(
        "Payments of {}",
        if d.description.is_empty() {
            "the distribution"
        } else {
            &d.description
        }
    );
    let page = PaymentsPage {
        chrome: Chrome::new(viewer, title, &format!("/distributions/{id}/payments"))
            .with_notice(notice(q.notice.as_deref())),
        id: id.to_string(),
        totals: totals
            .iter()
            .map(|t| TotalRow {
                rail: t.rail.clone(),
                status: t.status.as_str(),
                count: t.count,
                amount: money_code(t.amount_minor, t.currency),
            })
            .collect(),
        next: (payments.len() as i64 == PAGE)
            .then(|| payments.last().map(|p| p.id.clone()))
            .flatten(),
        first: q.after.is_empty(),
        payments: payments.iter().map(payment_row).collect(),
        files_next: (files.len() as i64 == PAGE)
            .then(|| files.last().map(|f| f.id.clone()))
            .flatten(),
        files_first: q.files.is_empty(),
        files: files
            .iter()
            .filter(|b| b.file_sha256.is_some())
            .map(|b| FileRow {
                id: b.id.clone(),
                kind: b.kind.clone(),
                name: b.file_name.clone().unwrap_or_else(|| b.id.clone()),
                count: b.payment_count,
                total: clearway_core::Currency::parse(&b.currency).map_or_else(
                    |_| format!("{} {}", b.total_minor, b.currency),
                    |c| money_code(b.total_minor, c),
                ),
                date: b.effective_date.clone(),
            })
            .collect(),
        retry_refused: refused_for(viewer, "retry payments"),
        download_refused: refused_for(viewer, "download bank files: they carry account numbers"),
        error,
    };
    render_status(status, &page)
}

pub(super) async fn payments(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<PaymentsQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    draw(&state, &viewer, &id, &q, None, StatusCode::OK).await
}

/// `POST …/payments/{payment_id}/retry`: the API's retry (a new attempt to the investor's
/// current payee), for a payment of this distribution only.
pub(super) async fn retry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, payment_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    form::check(&viewer, &headers, &body)?;
    // The role first, as the API's retry: the service itself would answer a conflict.
    viewer.actor.require(Permission::Operate)?;
    let p = pstore::get(&state.db, &viewer.actor, &payment_id).await?;
    if p.distribution_id != id {
        return Err(PageError::not_found());
    }
    let limits = &state.config.payments.ach_limits;
    match clearway_app::payments::service::retry(&state.db, &viewer.actor, &payment_id, limits)
        .await
    {
        Ok(_) => {
            state.jobs_ready.notify_waiters();
            state.events_ready.notify_one();
            Ok(see_other(&format!(
                "/distributions/{id}/payments?notice=retried"
            )))
        }
        Err(e) => {
            let e = PageError::from(e);
            if e.status == StatusCode::NOT_FOUND || e.status.is_server_error() {
                return Err(e);
            }
            let q = PaymentsQuery::default();
            draw(&state, &viewer, &id, &q, Some(e.detail), e.status).await
        }
    }
}

/// `GET …/payments/files/{file_id}`: the bank file as sent, through the API's audited
/// download (admins and operators), for a file of this distribution only.
pub(super) async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, file_id)): Path<(String, String)>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let batch = batches::get(&state.db, &viewer.actor, &file_id).await?;
    if batch.distribution_id.as_deref() != Some(id.as_str()) {
        return Err(PageError::not_found());
    }
    let (batch, bytes) =
        crate::payments::routes::open_batch_file(&state, &viewer.actor, &file_id).await?;
    let content_type = crate::payments::routes::file_content_type(&batch.kind);
    let name: String = batch
        .file_name
        .unwrap_or_else(|| format!("{file_id}.txt"))
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
