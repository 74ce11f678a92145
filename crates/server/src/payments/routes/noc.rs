//! Payee corrections suggested by notifications of change: list, accept, reject.

use axum::extract::{Path, State};
use axum::Json;
use clearway_app::payments::noc as app_noc;
use clearway_store::payment_batches as batches;
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::{page_limit, ApiResult, Page, Problem, Qs};
use crate::payments::dto::SuggestionView;
use crate::state::AppState;

use super::PAGE_DEFAULT;

/// Query of the suggestion list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SuggestionsQuery {
    /// OPEN, ACCEPTED or REJECTED.
    status: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/payee-changes", tag = "payments", params(SuggestionsQuery),
    responses((status = 200, body = Page<SuggestionView>)), security(("bearer" = [])))]
pub(crate) async fn list_suggestions(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<SuggestionsQuery>,
) -> ApiResult<Json<Page<SuggestionView>>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = batches::suggestions(
        &state.db,
        &actor,
        q.status.as_deref(),
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(
        Page::new(items, limit, |s| s.id.clone()).map(|s| SuggestionView::from(&s)),
    ))
}

#[utoipa::path(post, path = "/api/payee-changes/{suggestion_id}/accept", tag = "payments", params(("suggestion_id" = String, Path)),
    responses((status = 200, description = "the payee corrected (held payments stay held for review; failed ones are re-queued)", body = crate::payments::dto::BankAccountView), (status = 409, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn accept_suggestion(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::payments::dto::BankAccountView>> {
    let after = app_noc::accept(&state.db, &actor, &id).await?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    Ok(Json(crate::payments::dto::BankAccountView::from(&after)))
}

#[utoipa::path(post, path = "/api/payee-changes/{suggestion_id}/reject", tag = "payments", params(("suggestion_id" = String, Path)),
    responses((status = 200, body = SuggestionView), (status = 409, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn reject_suggestion(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<SuggestionView>> {
    let s = app_noc::reject(&state.db, &actor, &id).await?;
    Ok(Json(SuggestionView::from(&s)))
}
