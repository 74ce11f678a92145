//! Sync routes. Staff roles that manage funds (Operate) write; staff who read see files and
//! conflicts; investors get 404 everywhere.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use clearway_app::sync as app;
use clearway_core::access::Permission;
use clearway_core::sync::{ConflictStatus, FileKind, FileStatus, Resolution, Source};
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::dto::*;
use crate::http::{page_limit, ApiError, ApiResult, Page, Problem, Qs};
use crate::state::AppState;

/// Routes of the sync.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sync/ownership", get(get_ownership).put(put_ownership))
        .route("/api/sync/files", get(list_files).post(upload))
        .route("/api/sync/files/{id}", get(get_file))
        .route("/api/sync/conflicts", get(list_conflicts))
        .route("/api/sync/conflicts/{id}/resolve", post(resolve))
}

/// Investors never see the sync (404, as if it did not exist); then the role.
fn staff(actor: &Actor, permission: Permission) -> ApiResult<()> {
    Ok(clearway_store::sync::staff(actor, permission)?)
}

#[utoipa::path(get, path = "/api/sync/ownership", tag = "sync",
    responses((status = 200, body = SyncOwnershipView), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn get_ownership(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<SyncOwnershipView>> {
    staff(&actor, Permission::Read)?;
    Ok(Json((&app::ownership(&state.db, &actor).await?).into()))
}

#[utoipa::path(put, path = "/api/sync/ownership", tag = "sync",
    request_body = SyncOwnershipView,
    responses((status = 200, body = SyncOwnershipView, description = "audited, event sync.ownership_changed when it changed"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn put_ownership(
    State(state): State<AppState>,
    actor: Actor,
    headers: axum::http::HeaderMap,
    crate::http::RawBody(body): crate::http::RawBody,
) -> ApiResult<Json<SyncOwnershipView>> {
    staff(&actor, Permission::Operate)?;
    let req: SyncOwnershipView = crate::http::parse_json(&headers, &body)?;
    let o = req.parse()?;
    let out = app::put_ownership(&state.db, &actor, &o).await?;
    state.events_ready.notify_one();
    Ok(Json((&out).into()))
}

/// Query of an upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's layout.
    #[param(pattern = "^(NAVS|HOLDINGS|SCHEDULES|PREFERENCES)$")]
    kind: String,
    /// Report the differences without writing anything (default false).
    #[param(value_type = Option<bool>)]
    dry_run: Option<String>,
}

#[utoipa::path(post, path = "/api/sync/files", tag = "sync",
    params(UploadQuery),
    request_body(content = SyncUpload, content_type = "multipart/form-data",
        description = "field `file`: CSV or XLSX (told by content). All or nothing: a refused file lists every error with row/field/reason."),
    responses((status = 201, body = SyncFileView, description = "APPLIED or REFUSED"),
        (status = 200, body = SyncFileView, description = "DRY_RUN, or DUPLICATE (the same content was already imported: nothing applied)"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<UploadQuery>,
    parts: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<SyncFileView>)> {
    staff(&actor, Permission::Operate)?;
    // A body that is not multipart/form-data (or has no boundary) is bad input, said as
    // problem JSON like every other refusal.
    let parts =
        parts.map_err(|e| ApiError::field("file", format!("is not a multipart form: {e}")))?;
    let kind = FileKind::parse(&q.kind).ok_or_else(|| {
        ApiError::field("kind", "must be NAVS, HOLDINGS, SCHEDULES or PREFERENCES")
    })?;
    let dry_run = match q.dry_run.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::field("dryRun", "must be true or false")),
    };
    let (name, bytes) = read_file(parts).await?;
    let report = app::import_file(
        &state.db,
        &actor,
        kind,
        &name,
        &bytes,
        Source::Upload,
        dry_run,
    )
    .await?;
    state.events_ready.notify_one();
    let status = match report.status {
        FileStatus::Applied | FileStatus::Refused => StatusCode::CREATED,
        FileStatus::DryRun | FileStatus::Duplicate => StatusCode::OK,
    };
    Ok((status, Json((&report).into())))
}

/// The `file` part: its name (or `upload`) and bytes. Strict, as the schema says: one part,
/// named `file`; any other part is refused by name.
async fn read_file(mut parts: Multipart) -> ApiResult<(String, Vec<u8>)> {
    let malformed = |e: axum::extract::multipart::MultipartError| {
        ApiError::field(
            "file",
            format!("the multipart body was not read: {}", e.body_text()),
        )
    };
    let mut file = None;
    while let Some(part) = parts.next_field().await.map_err(malformed)? {
        match part.name() {
            Some("file") if file.is_none() => {
                let name = part
                    .file_name()
                    .filter(|n| !n.is_empty())
                    .unwrap_or("upload")
                    .to_string();
                let bytes = part.bytes().await.map_err(malformed)?;
                file = Some((name, bytes.to_vec()));
            }
            Some("file") => return Err(ApiError::field("file", "is given more than once")),
            other => {
                let name: String = other.unwrap_or("").chars().take(64).collect();
                return Err(ApiError::field(
                    "file",
                    format!(
                        "the form has a part '{}' besides file (only file is read)",
                        name.escape_debug()
                    ),
                ));
            }
        }
    }
    file.ok_or_else(|| ApiError::field("file", "is required (a multipart field named file)"))
}

/// Query of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilesQuery {
    /// `nextCursor` of the previous page.
    #[param(
        max_length = 200,
        pattern = "^[^|\\x00-\\x1F\\x7F-\\x9F]+[|][^|\\x00-\\x1F\\x7F-\\x9F]+$"
    )]
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/sync/files", tag = "sync",
    params(FilesQuery),
    responses((status = 200, body = Page<SyncFileView>, description = "newest first"), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn list_files(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<FilesQuery>,
) -> ApiResult<Json<Page<SyncFileView>>> {
    staff(&actor, Permission::Read)?;
    let limit = page_limit(q.limit, 50)?;
    let files = app::files(&state.db, &actor, limit, q.cursor.as_deref()).await?;
    let items = files.iter().map(SyncFileView::from).collect();
    Ok(Json(Page::new(items, limit, |f: &SyncFileView| {
        format!("{}|{}", f.received_at, f.id)
    })))
}

#[utoipa::path(get, path = "/api/sync/files/{id}", tag = "sync",
    params(("id" = String, Path, description = "File id")),
    responses((status = 200, body = SyncFileView), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn get_file(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<SyncFileView>> {
    staff(&actor, Permission::Read)?;
    Ok(Json((&app::file(&state.db, &actor, &id).await?).into()))
}

/// Query of the conflicts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConflictsQuery {
    /// OPEN (default) or RESOLVED.
    #[param(pattern = "^(OPEN|RESOLVED)$")]
    status: Option<String>,
    /// `nextCursor` of the previous page.
    #[param(
        max_length = 200,
        pattern = "^[^|\\x00-\\x1F\\x7F-\\x9F]+[|][^|\\x00-\\x1F\\x7F-\\x9F]+$"
    )]
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/sync/conflicts", tag = "sync",
    params(ConflictsQuery),
    responses((status = 200, body = Page<ConflictView>, description = "oldest first"), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn list_conflicts(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<ConflictsQuery>,
) -> ApiResult<Json<Page<ConflictView>>> {
    staff(&actor, Permission::Read)?;
    let limit = page_limit(q.limit, 50)?;
    let status = match q.status.as_deref() {
        None => ConflictStatus::Open,
        Some(s) => ConflictStatus::parse(s)
            .ok_or_else(|| ApiError::field("status", "must be OPEN or RESOLVED"))?,
    };
    let conflicts = app::conflicts(&state.db, &actor, status, limit, q.cursor.as_deref()).await?;
    let items = conflicts.iter().map(ConflictView::from).collect();
    Ok(Json(Page::new(items, limit, |c: &ConflictView| {
        format!("{}|{}", c.created_at, c.id)
    })))
}

#[utoipa::path(post, path = "/api/sync/conflicts/{id}/resolve", tag = "sync",
    params(("id" = String, Path, description = "Conflict id")),
    request_body = ResolveRequest,
    responses((status = 200, body = ConflictView, description = "audited, event sync.conflict_resolved"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not OPEN"), (status = 422, body = Problem, description = "resolution, or value (EDIT without one, or one that does not parse for the field)")),
    security(("bearer" = [])))]
pub(crate) async fn resolve(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    crate::http::RawBody(body): crate::http::RawBody,
) -> ApiResult<Json<ConflictView>> {
    staff(&actor, Permission::Operate)?;
    let req: ResolveRequest = crate::http::parse_json(&headers, &body)?;
    let resolution = Resolution::parse(&req.resolution)
        .ok_or_else(|| ApiError::field("resolution", "must be TAKE_OURS, TAKE_THEIRS or EDIT"))?;
    let c = app::resolve_conflict(&state.db, &actor, &id, resolution, req.value.as_deref()).await?;
    state.events_ready.notify_one();
    Ok(Json((&c).into()))
}

/// OpenAPI paths of the sync.
#[derive(OpenApi)]
#[openapi(
    paths(
        get_ownership,
        put_ownership,
        upload,
        list_files,
        get_file,
        list_conflicts,
        resolve
    ),
    components(schemas(
        SyncOwnershipView,
        SyncFileView,
        SyncRowErrorView,
        SyncChangeView,
        ConflictView,
        ResolveRequest,
        SyncUpload
    ))
)]
pub struct ApiDoc;
