//! The administrator connector over HTTP: its status, pull and push runs (jobs `sync.pull`,
//! `sync.push` on the durable queue), outbound files (generated, listed, downloaded), and the
//! leader-only schedule that enqueues the runs and writes the files every
//! `CLEARWAY_SYNC_PULL_EVERY_SECS`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clearway_app::sync::connector::carta::{self, CartaStyle};
use clearway_app::sync::connector::{pull, push, SyncSettings};
use clearway_app::sync::exports::{self, Trigger};
use clearway_core::access::Permission;
use clearway_formats::sync::outbound::ExportKind;
use clearway_store::jobs::{self, Job};
use clearway_store::sync::connector as state_store;
use clearway_store::sync::exports::{self as export_store, Export};
use clearway_store::Actor;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::watch;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::http::{page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody};
use crate::jobs::{JobError, JobFuture};
use crate::leader::Leader;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sync/connector", get(status))
        .route("/api/sync/connector/pull", post(start_pull))
        .route("/api/sync/connector/push", post(start_push))
        .route("/api/sync/exports", post(create_export).get(list_exports))
        .route("/api/sync/exports/{id}/file", get(export_file))
}

/// The OpenAPI paths of this module.
#[derive(OpenApi)]
#[openapi(
    paths(status, start_pull, start_push, create_export, list_exports, export_file),
    components(schemas(ConnectorStatusView, ConnectorRunView, ExportRequest, ExportView)),
    tags((name = "sync", description = "Fund-administrator sync")),
)]
pub struct ApiDoc;

/// The connector of `settings` for `org_id`, if it serves that organization.
pub fn connector(state: &AppState, org_id: &str) -> Option<CartaStyle> {
    let s = &state.config.sync;
    if !s.serves(org_id) {
        return None;
    }
    let url = s.api_url.as_deref()?;
    Some(CartaStyle::new(
        state.http.clone(),
        url,
        &s.api_token,
        s.retry.clone(),
    ))
}

/// The connector's status in the caller's organization.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorStatusView {
    /// Whether a connector serves this organization (`CLEARWAY_SYNC_API_URL`, `CLEARWAY_SYNC_ORG`).
    pub configured: bool,
    /// Its kind.
    #[schema(pattern = "^CARTA_STYLE$")]
    pub connector: String,
    /// Where the next pull starts.
    pub cursor: Option<String>,
    /// When a run last ended (UTC).
    pub last_run_at: Option<String>,
    /// When one last succeeded.
    pub last_success_at: Option<String>,
    /// Why the last run failed (cleared by a success).
    pub last_error: Option<String>,
    /// Records pulled in all.
    pub records_pulled: i64,
    /// Distributions pushed in all.
    pub pushed: i64,
    /// Distributions new or changed since their last push.
    pub pending_pushes: i64,
    /// Seconds between scheduled runs, if scheduled.
    pub every_secs: Option<u64>,
}

#[utoipa::path(get, path = "/api/sync/connector", tag = "sync",
    responses((status = 200, body = ConnectorStatusView), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn status(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<ConnectorStatusView>> {
    let mut tx = state.db.begin().await?;
    let s = state_store::state(&mut tx, &actor, carta::NAME).await?;
    let pending = state_store::pending_count(&mut tx, &actor, carta::NAME).await?;
    tx.commit().await?;
    Ok(Json(ConnectorStatusView {
        configured: state.config.sync.serves(&actor.org_id),
        connector: carta::NAME.into(),
        cursor: s.cursor,
        last_run_at: s.last_run_at,
        last_success_at: s.last_success_at,
        last_error: s.last_error,
        records_pulled: s.records_pulled,
        pushed: s.pushed,
        pending_pushes: pending,
        every_secs: state.config.sync.every.map(|d| d.as_secs()),
    }))
}

/// A queued run.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorRunView {
    /// The job running it.
    pub job_id: String,
    /// `sync.pull` or `sync.push`.
    #[schema(pattern = "^sync\\.(pull|push)$")]
    pub kind: String,
}

async fn enqueue(state: &AppState, actor: &Actor, kind: &str) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    if actor.role == clearway_core::access::Role::Investor {
        return Err(clearway_store::StoreError::NotFound("sync connector").into());
    }
    if !state.config.sync.serves(&actor.org_id) {
        return Err(clearway_store::StoreError::Conflict(
            "no administrator connector is configured for this organization".into(),
        )
        .into());
    }
    let mut tx = state.db.begin().await?;
    let id = jobs::enqueue(&mut tx, actor, kind, json!({}), None, 4).await?;
    tx.commit().await?;
    state.jobs_ready.notify_one();
    let view = ConnectorRunView {
        job_id: id.unwrap_or_default(),
        kind: kind.into(),
    };
    Ok((StatusCode::ACCEPTED, Json(view)).into_response())
}

#[utoipa::path(post, path = "/api/sync/connector/pull", tag = "sync",
    responses((status = 202, body = ConnectorRunView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn start_pull(State(state): State<AppState>, actor: Actor) -> ApiResult<Response> {
    enqueue(&state, &actor, pull::PULL_JOB).await
}

#[utoipa::path(post, path = "/api/sync/connector/push", tag = "sync",
    responses((status = 202, body = ConnectorRunView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn start_push(State(state): State<AppState>, actor: Actor) -> ApiResult<Response> {
    enqueue(&state, &actor, push::PUSH_JOB).await
}

/// What to export.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportRequest {
    /// Which file.
    #[schema(pattern = "^(DISTRIBUTIONS|LINES|PAYMENTS)$")]
    pub kind: String,
}

/// An outbound file.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportView {
    /// Id.
    pub id: String,
    /// Which file.
    #[schema(pattern = "^(DISTRIBUTIONS|LINES|PAYMENTS)$")]
    pub kind: String,
    /// File name.
    pub file_name: String,
    /// SHA-256 of the file (hex).
    pub sha256: String,
    /// Data rows (the header not counted).
    pub rows: i64,
    /// Changes read from (UTC; a little before the previous export's watermark); none for the first.
    pub since: Option<String>,
    /// When its records were read (UTC).
    pub watermark: String,
    /// `API` or `SCHEDULE`.
    #[schema(pattern = "^(API|SCHEDULE)$")]
    pub trigger: String,
    /// Where the file was also written (`CLEARWAY_SYNC_OUTBOX_DIR`).
    pub written_to: Option<String>,
    /// Made at (UTC).
    pub created_at: String,
}

impl From<Export> for ExportView {
    fn from(e: Export) -> Self {
        ExportView {
            id: e.id,
            kind: e.kind,
            file_name: e.file_name,
            sha256: e.sha256,
            rows: e.row_count,
            since: e.since,
            watermark: e.watermark,
            trigger: e.trigger,
            written_to: e.written_to,
            created_at: e.created_at,
        }
    }
}

#[utoipa::path(post, path = "/api/sync/exports", tag = "sync", request_body = ExportRequest,
    responses((status = 201, body = ExportView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn create_export(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    if actor.role == clearway_core::access::Role::Investor {
        return Err(clearway_store::StoreError::NotFound("sync export").into());
    }
    let req: ExportRequest = parse_json(&headers, &body)?;
    let kind = ExportKind::parse(&req.kind)
        .ok_or_else(|| ApiError::field("kind", "must be DISTRIBUTIONS, LINES or PAYMENTS"))?;
    let dir = state.config.sync.outbox_dir.as_deref();
    let e = exports::export(&state.db, &actor, kind, Trigger::Api, dir)
        .await?
        .ok_or_else(|| ApiError::from(clearway_store::StoreError::NotFound("sync export")))?;
    state.events_ready.notify_one();
    Ok((StatusCode::CREATED, Json(ExportView::from(e))).into_response())
}

/// Page query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportPageQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/sync/exports", tag = "sync", params(ExportPageQuery),
    responses((status = 200, body = Page<ExportView>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_exports(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<ExportPageQuery>,
) -> ApiResult<Json<Page<ExportView>>> {
    let limit = page_limit(q.limit, 50)?;
    let mut tx = state.db.begin().await?;
    let items = export_store::list(&mut tx, &actor, limit, q.cursor.as_deref()).await?;
    tx.commit().await?;
    Ok(Json(
        Page::new(items, limit, |e| e.id.clone()).map(ExportView::from),
    ))
}

#[utoipa::path(get, path = "/api/sync/exports/{id}/file", tag = "sync",
    params(("id" = String, Path, description = "Export id")),
    responses((status = 200, description = "The CSV file", content_type = "text/csv", body = String), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn export_file(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let mut tx = state.db.begin().await?;
    let (e, content) = export_store::get(&mut tx, &actor, &id).await?;
    tx.commit().await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", e.file_name),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        content,
    )
        .into_response())
}

/// The `sync.pull` job's handler.
pub fn pull_job<'a>(state: &'a AppState, job: &'a Job, worker_id: &'a str) -> JobFuture<'a> {
    Box::pin(async move {
        let c = connector(state, &job.org_id).ok_or_else(|| {
            JobError::Permanent("no administrator connector for this organization".into())
        })?;
        pull::run_job(&state.db, &c, job, worker_id).await?;
        state.events_ready.notify_one();
        Ok(())
    })
}

/// The `sync.push` job's handler.
pub fn push_job<'a>(state: &'a AppState, job: &'a Job, worker_id: &'a str) -> JobFuture<'a> {
    Box::pin(async move {
        let c = connector(state, &job.org_id).ok_or_else(|| {
            JobError::Permanent("no administrator connector for this organization".into())
        })?;
        push::run_job(&state.db, &c, job, worker_id).await
    })
}

/// One scheduled pass for the configured organization: pull and push jobs (once per interval
/// however many processes, by their dedupe key) and the three outbound files.
pub async fn scheduled_pass(state: &AppState, settings: &SyncSettings, tick: u64) {
    let Some(org) = settings.org_id.as_deref() else {
        return;
    };
    let actor = Actor::system(org);
    if settings.api_url.is_some() {
        let queued = async {
            let mut tx = state.db.begin().await?;
            for kind in [pull::PULL_JOB, push::PUSH_JOB] {
                let key = format!("{kind}:{org}:{tick}");
                jobs::enqueue(&mut tx, &actor, kind, json!({}), Some(&key), 4).await?;
            }
            tx.commit().await
        };
        match queued.await {
            Ok(()) => state.jobs_ready.notify_one(),
            Err(e) => tracing::warn!(error = %e, "could not enqueue the scheduled sync runs"),
        }
    }
    for kind in ExportKind::ALL {
        let dir = settings.outbox_dir.as_deref();
        match exports::export(&state.db, &actor, kind, Trigger::Schedule, dir).await {
            Ok(Some(e)) => {
                tracing::info!(kind = kind.as_str(), rows = e.row_count, file = %e.file_name, "outbound file exported")
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(kind = kind.as_str(), error = %e, "outbound export failed"),
        }
    }
}

/// Runs [`scheduled_pass`] every `CLEARWAY_SYNC_PULL_EVERY_SECS` in the lease holder, until
/// shutdown; does nothing when no interval is set.
pub async fn run_schedule(
    state: AppState,
    leader: Arc<Leader>,
    mut shutdown: watch::Receiver<bool>,
) {
    let settings = state.config.sync.clone();
    let Some(every) = settings.every.filter(|d| !d.is_zero()) else {
        return;
    };
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = async { let _ = shutdown.wait_for(|stop| *stop).await; } => {
                leader.release().await;
                return;
            }
        }
        if !leader.holds().await {
            continue;
        }
        let secs = chrono::Utc::now().timestamp().max(0) as u64;
        scheduled_pass(&state, &settings, secs / every.as_secs().max(1)).await;
    }
}
