//! NACHA return and notification-of-change files.

use axum::extract::State;
use axum::Json;
use clearway_core::access::Permission;
use clearway_store::Actor;

use crate::http::{ApiError, ApiResult, Problem, RawBody};
use crate::payments::dto::ReturnsOutcome;
use crate::payments::rails;
use crate::state::AppState;

use super::staff_only;

#[utoipa::path(post, path = "/api/payments/ach-returns", tag = "payments", request_body(content = String, content_type = "text/plain", description = "a NACHA return / notification-of-change file"),
    responses((status = 200, body = ReturnsOutcome), (status = 422, description = "unreadable file: names the line and field", body = Problem)), security(("bearer" = [])))]
pub(crate) async fn import_returns(
    State(state): State<AppState>,
    actor: Actor,
    RawBody(body): RawBody,
) -> ApiResult<Json<ReturnsOutcome>> {
    actor.require(Permission::Operate)?;
    staff_only(&actor, "returns")?;
    if body.is_empty() {
        return Err(ApiError::field("file", "is empty"));
    }
    let out =
        rails::import_returns_file(&state.db, &actor, &state.config.payments.vault, &body).await?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    Ok(Json(out.into()))
}
