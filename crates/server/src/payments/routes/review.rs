//! The manual-review and unclaimed-funds queues.

use axum::extract::State;
use axum::Json;
use clearway_store::payments::{self as pstore, ListFilter};
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::{page_limit, ApiResult, Page, Qs};
use crate::payments::dto::PaymentView;
use crate::state::AppState;

use super::{staff_only, views, PAGE_DEFAULT};

/// Query of the queues.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/payments/review", tag = "payments", params(QueueQuery),
    responses((status = 200, description = "payments waiting for a person: no payee, bad account, refused, retries exhausted, held after a bank-details change", body = Page<PaymentView>)), security(("bearer" = [])))]
pub(crate) async fn review_queue(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<QueueQuery>,
) -> ApiResult<Json<Page<PaymentView>>> {
    staff_only(&actor, "review queue")?;
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = pstore::list(
        &state.db,
        &actor,
        &ListFilter {
            needs_review: true,
            after_id: q.cursor,
            limit,
            ..ListFilter::default()
        },
    )
    .await?;
    Ok(Json(views(&state.db, &actor, items, limit).await?))
}

#[utoipa::path(get, path = "/api/payments/unclaimed", tag = "payments", params(QueueQuery),
    responses((status = 200, description = "stale-dated checks: money owed but unclaimed", body = Page<PaymentView>)), security(("bearer" = [])))]
pub(crate) async fn unclaimed(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<QueueQuery>,
) -> ApiResult<Json<Page<PaymentView>>> {
    staff_only(&actor, "unclaimed funds")?;
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = pstore::list(
        &state.db,
        &actor,
        &ListFilter {
            unclaimed: true,
            after_id: q.cursor,
            limit,
            ..ListFilter::default()
        },
    )
    .await?;
    Ok(Json(views(&state.db, &actor, items, limit).await?))
}
