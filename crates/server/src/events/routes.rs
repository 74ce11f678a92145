//! Webhook subscription and event feed endpoints.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use clearway_app::events::{self, NewSubscription};
use clearway_core::access::Permission;
use clearway_store::outbox;
use clearway_store::webhooks;
use clearway_store::Actor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{EventView, SubscriptionView};
use crate::http::{page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/webhooks", get(list).post(create))
        .route("/api/webhooks/{id}", delete(remove))
        .route("/api/webhooks/{id}/enable", post(enable))
        .route("/api/events", get(events))
}

/// Body of `POST /api/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookRequest {
    /// https URL receiving POSTs; its host must resolve to public addresses only.
    #[schema(pattern = "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\s]+")]
    pub url: String,
    /// Event types to deliver; all when absent.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
}

/// A created subscription, with its signing secret (shown only here).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreated {
    /// Id.
    pub id: String,
    /// URL.
    pub url: String,
    /// HMAC-SHA256 signing secret.
    pub secret: String,
}

#[utoipa::path(post, path = "/api/webhooks", tag = "events", request_body = WebhookRequest,
    responses((status = 201, body = WebhookCreated), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<WebhookCreated>)> {
    // The role first: a forbidden caller learns nothing about what the body would need.
    actor.require(Permission::Administer)?;
    let req: WebhookRequest = parse_json(&headers, &body)?;
    let types = req.event_types.unwrap_or_else(|| vec!["*".into()]);
    if types.is_empty() || types.iter().any(|t| t.is_empty() || t.contains(',')) {
        return Err(ApiError::field(
            "eventTypes",
            "must be non-empty event type names",
        ));
    }
    // The URL is checked by the outbound policy (https, public host) in the service.
    let created = events::create_subscription(
        &state.db,
        &state.config.outbound,
        &actor,
        NewSubscription {
            url: req.url,
            event_types: types,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreated {
            id: created.id,
            url: created.url,
            secret: created.secret,
        }),
    ))
}

#[utoipa::path(get, path = "/api/webhooks", tag = "events", responses((status = 200, body = Vec<Object>)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<SubscriptionView>>> {
    let subscriptions = webhooks::list(&state.db, &actor).await?;
    Ok(Json(
        subscriptions.iter().map(SubscriptionView::from).collect(),
    ))
}

#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "events", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    events::delete_subscription(&state.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/webhooks/{id}/enable", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn enable(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<SubscriptionView>> {
    let sub = events::enable_subscription(&state.db, &state.config.outbound, &actor, &id).await?;
    Ok(Json(SubscriptionView::from(&sub)))
}

/// Query of the event feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventsQuery {
    /// Only this event type.
    #[serde(rename = "type")]
    event_type: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<i64>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/events", tag = "events", params(EventsQuery),
    responses((status = 200, body = Page<Object>)), security(("bearer" = [])))]
pub(crate) async fn events(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<EventsQuery>,
) -> ApiResult<Json<Page<EventView>>> {
    actor.require(Permission::ReadAudit)?;
    let limit = page_limit(q.limit, 100)?;
    let items = outbox::list(
        &state.db,
        &actor,
        q.event_type.as_deref(),
        // No cursor: from the start of the feed (sequence numbers start at 1).
        q.cursor.unwrap_or(0),
        limit,
    )
    .await?;
    Ok(Json(
        Page::new(items, limit, |e| e.seq.to_string()).map(|e| EventView::from(&e)),
    ))
}
