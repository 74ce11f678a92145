//! HTTP handlers: an investor's documents (list, generate), one document's metadata and its
//! content. Generating is idempotent by content: the same figures answer the stored version
//! (200), changed figures a new version (201).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clearway_app::documents::{self as app, StoredDocument};
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{DocumentRequestBody, DocumentView};
use crate::http::{page_limit, parse_json, ApiResult, Page, Problem, Qs, RawBody};
use crate::state::AppState;

/// Query of the documents list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// `nextCursor` of the previous page (documents come newest first).
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/documents", tag = "documents",
    params(("investor_id" = String, Path, description = "Investor id"), ListQuery),
    responses((status = 200, body = Page<DocumentView>), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    Qs(q): Qs<ListQuery>,
) -> ApiResult<Json<Page<DocumentView>>> {
    let limit = page_limit(q.limit, 50)?;
    let items = app::list(&state.db, &actor, &investor_id, q.cursor.as_deref(), limit).await?;
    Ok(Json(
        Page::new(items, limit, |d| d.id.clone()).map(|d| DocumentView::from(&d)),
    ))
}

#[utoipa::path(post, path = "/api/investors/{investor_id}/documents", tag = "documents",
    params(("investor_id" = String, Path, description = "Investor id")),
    request_body = DocumentRequestBody,
    responses((status = 201, description = "A new version", body = DocumentView),
        (status = 200, description = "The stored version with the same content", body = DocumentView),
        (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn generate(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    // Tenancy first: another organization's or investor's id is a 404 before the body is read.
    clearway_store::reinvestment::check_investor(&state.db, &actor, &investor_id).await?;
    let req: DocumentRequestBody = parse_json(&headers, &body)?;
    let req = req.parse(&investor_id)?;
    let doc = app::generate(&state.db, &actor, &req).await?;
    let status = if doc.new_version {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(DocumentView::from(&doc))).into_response())
}

#[utoipa::path(get, path = "/api/documents/{id}", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<DocumentView>> {
    Ok(Json(DocumentView::from(
        &app::get(&state.db, &actor, &id).await?,
    )))
}

/// The file as an attachment with its type and name.
pub fn attachment(doc: StoredDocument) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, doc.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", doc.filename),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        doc.bytes,
    )
        .into_response()
}

#[utoipa::path(get, path = "/api/documents/{id}/content", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, description = "The file (PDF, XLSX or CSV) as an attachment",
        content(("application/pdf"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))),
        (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn content(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(attachment(app::content(&state.db, &actor, &id).await?))
}
