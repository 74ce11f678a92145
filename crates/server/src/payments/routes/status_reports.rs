//! pain.002 payment status reports: the bank's answer to our pain.001 wires.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use clearway_app::payments::status_reports;
use clearway_core::access::Permission;
use clearway_store::Actor;

use crate::http::{ApiError, ApiResult, Problem, RawBody};
use crate::payments::dto::StatusReportView;
use crate::state::AppState;

use super::staff_only;

#[utoipa::path(post, path = "/api/payments/status-reports", tag = "payments",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "a pain.002 customer payment status report (pain.002.001.03 to .11) as the bank sent it: XML bytes, any Content-Type"),
    responses((status = 201, description = "applied: rejected wires failed (with the reason), settled ones completed, accepted / pending ones recorded; unknown or disagreeing transactions listed as unmatched", body = StatusReportView),
        (status = 200, description = "the same file was imported before: nothing changed", body = StatusReportView),
        (status = 422, description = "unreadable report (names the line and element); nothing changed", body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn import_status_report(
    State(state): State<AppState>,
    actor: Actor,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    staff_only(&actor, "status reports")?;
    if body.is_empty() {
        return Err(ApiError::field("file", "is empty"));
    }
    let out = status_reports::import(&state.db, &actor, &body).await?;
    let status = if out.duplicate {
        StatusCode::OK
    } else {
        state.events_ready.notify_one();
        state.jobs_ready.notify_waiters();
        StatusCode::CREATED
    };
    Ok((status, Json(StatusReportView::from(&out))).into_response())
}
