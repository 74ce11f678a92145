//! The staff API over delivery records: list with filters, resend or mark sent a dead one.

use std::str::FromStr;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use clearway_core::notifications::Channel;
use clearway_store::notifications::messages::{self as store, Decision, Filter, Message};
use clearway_store::Actor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::http::{page_limit, ApiError, ApiResult, Page, Problem, Qs};
use crate::state::AppState;

/// Every message status, as stored.
pub const STATUSES: [&str; 11] = [
    "queued",
    "sending",
    "sent",
    "delivered",
    "opened",
    "bounced",
    "complained",
    "failed",
    "dead",
    "suppressed",
    "skipped",
];

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/notification-messages", get(list))
        .route("/api/notification-messages/{id}/resend", post(resend))
        .route("/api/notification-messages/{id}/mark-sent", post(mark_sent))
}

/// The OpenAPI paths of this module.
#[derive(OpenApi)]
#[openapi(
    paths(list, resend, mark_sent),
    components(schemas(MessageView)),
    tags((name = "notifications", description = "Notification delivery records for operators"))
)]
pub struct ApiDoc;

/// One delivery record.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    /// Id (the email's `Message-ID` local part).
    pub id: String,
    /// Outbox event it came from.
    pub event_id: String,
    /// Investor told.
    pub investor_id: String,
    /// email, sms or inApp.
    pub channel: String,
    /// Event kind, e.g. `distribution.processed`.
    pub event_kind: String,
    /// Fund.
    pub fund_id: Option<String>,
    /// investor or previousContact.
    pub recipient_role: String,
    /// Address at queue time.
    pub address: Option<String>,
    /// en or es.
    pub locale: String,
    /// queued, sending, sent, delivered, opened, bounced, complained, failed, dead, suppressed
    /// or skipped.
    pub status: String,
    /// Send attempts so far.
    pub attempts: i64,
    /// When a queued message is due.
    pub next_attempt_at: String,
    /// Provider's id once accepted.
    pub provider_id: Option<String>,
    /// Error of the last failed attempt.
    pub last_error: Option<String>,
    /// Why it is skipped, suppressed or dead, or was marked sent.
    pub reason: Option<String>,
    /// Created at.
    pub created_at: String,
    /// Updated at.
    pub updated_at: String,
    /// Accepted by the server at.
    pub sent_at: Option<String>,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        MessageView {
            id: m.id,
            event_id: m.event_id,
            investor_id: m.investor_id,
            channel: m.channel,
            event_kind: m.event_kind,
            fund_id: m.fund_id,
            recipient_role: m.recipient_role,
            address: m.address,
            locale: m.locale,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            provider_id: m.provider_id,
            last_error: m.last_error,
            reason: m.reason,
            created_at: m.created_at,
            updated_at: m.updated_at,
            sent_at: m.sent_at,
        }
    }
}

/// Query of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// Only this status.
    #[param(
        pattern = "^(queued|sending|sent|delivered|opened|bounced|complained|failed|dead|suppressed|skipped)$"
    )]
    status: Option<String>,
    /// Only this channel.
    #[param(pattern = "^(email|sms|inApp)$")]
    channel: Option<String>,
    /// Only the messages of this outbox event.
    #[param(min_length = 1, max_length = 100)]
    event_id: Option<String>,
    /// `nextCursor` of the previous page.
    #[param(min_length = 1, max_length = 100)]
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

impl ListQuery {
    fn filter(self) -> Result<Filter, ApiError> {
        if let Some(s) = &self.status {
            if !STATUSES.contains(&s.as_str()) {
                return Err(ApiError::field(
                    "status",
                    format!("must be one of {}", STATUSES.join(", ")),
                ));
            }
        }
        if let Some(c) = &self.channel {
            Channel::from_str(c)
                .map_err(|_| ApiError::field("channel", "must be email, sms or inApp"))?;
        }
        for (field, v) in [("eventId", &self.event_id), ("cursor", &self.cursor)] {
            if v.as_ref().is_some_and(|v| v.is_empty() || v.len() > 100) {
                return Err(ApiError::field(field, "must be 1 to 100 characters"));
            }
        }
        Ok(Filter {
            status: self.status,
            channel: self.channel,
            event_id: self.event_id,
            after: self.cursor,
        })
    }
}

#[utoipa::path(get, path = "/api/notification-messages", tag = "notifications", params(ListQuery),
    responses((status = 200, body = Page<MessageView>), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<ListQuery>,
) -> ApiResult<Json<Page<MessageView>>> {
    let limit = page_limit(q.limit, 50)?;
    let items = store::list(&state.db, &actor, &q.filter()?, limit).await?;
    Ok(Json(
        Page::new(items, limit, |m| m.id.clone()).map(MessageView::from),
    ))
}

#[utoipa::path(post, path = "/api/notification-messages/{id}/resend", tag = "notifications",
    params(("id" = String, Path, description = "Message id")),
    responses((status = 200, body = MessageView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn resend(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<MessageView>> {
    decide(&state, &actor, &id, Decision::Resend).await
}

#[utoipa::path(post, path = "/api/notification-messages/{id}/mark-sent", tag = "notifications",
    params(("id" = String, Path, description = "Message id")),
    responses((status = 200, body = MessageView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn mark_sent(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<MessageView>> {
    decide(&state, &actor, &id, Decision::MarkSent).await
}

/// Applies an operator's decision in one transaction with its audit entry.
pub(crate) async fn decide(
    state: &AppState,
    actor: &Actor,
    id: &str,
    decision: Decision,
) -> ApiResult<Json<MessageView>> {
    let mut tx = state.db.begin().await?;
    let after = store::decide(&mut tx, actor, id, decision).await?;
    tx.commit().await?;
    Ok(Json(after.into()))
}
