//! Payment batches (the files sent to the bank) and their audited download.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clearway_store::payment_batches as batches;
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::{page_limit, ApiResult, Page, Problem, Qs};
use crate::payments::dto::BatchView;
use crate::state::AppState;

use super::PAGE_DEFAULT;

/// Query of the batch list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BatchesQuery {
    /// NACHA, PAIN001, CHECK_REGISTER, PROVIDER or MICRO_DEPOSIT.
    kind: Option<String>,
    /// Only this distribution.
    distribution_id: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/payment-batches", tag = "payments", params(BatchesQuery),
    responses((status = 200, body = Page<BatchView>)), security(("bearer" = [])))]
pub(crate) async fn list_batches(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<BatchesQuery>,
) -> ApiResult<Json<Page<BatchView>>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = batches::list(
        &state.db,
        &actor,
        q.kind.as_deref(),
        q.distribution_id.as_deref(),
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(
        Page::new(items, limit, |b| b.id.clone()).map(|b| BatchView::from(&b)),
    ))
}

#[utoipa::path(get, path = "/api/payment-batches/{batch_id}", tag = "payments", params(("batch_id" = String, Path)),
    responses((status = 200, body = BatchView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_batch(
    State(state): State<AppState>,
    actor: Actor,
    Path(batch_id): Path<String>,
) -> ApiResult<Json<BatchView>> {
    Ok(Json(BatchView::from(
        &batches::get(&state.db, &actor, &batch_id).await?,
    )))
}

/// The media type of a batch's file by its kind.
pub fn file_content_type(kind: &str) -> &'static str {
    match kind {
        "PAIN001" => "application/xml",
        "CHECK_REGISTER" => "text/csv",
        _ => "text/plain",
    }
}

/// Decrypts a batch's file for an admin or operator, auditing the download.
pub async fn open_batch_file(
    state: &AppState,
    actor: &Actor,
    batch_id: &str,
) -> ApiResult<(batches::Batch, Vec<u8>)> {
    Ok(clearway_app::payments::batches::open_file(
        &state.db,
        &state.config.payments.vault,
        actor,
        batch_id,
    )
    .await?)
}

#[utoipa::path(get, path = "/api/payment-batches/{batch_id}/file", tag = "payments", params(("batch_id" = String, Path)),
    responses((status = 200, description = "the file as sent to the bank (NACHA text, pain.001 XML, check register CSV); admins and operators only; every download is audited",
        content(("text/plain"), ("application/xml"), ("text/csv"))), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn download_batch(
    State(state): State<AppState>,
    actor: Actor,
    Path(batch_id): Path<String>,
) -> ApiResult<Response> {
    let (batch, bytes) = open_batch_file(&state, &actor, &batch_id).await?;
    let content_type = file_content_type(&batch.kind);
    let name = batch.file_name.unwrap_or_else(|| format!("{batch_id}.txt"));
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
