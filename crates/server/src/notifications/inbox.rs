//! The in-app inbox: `GET /api/notifications` (newest first, with the unread count),
//! `PATCH /api/notifications/{id}/read`, and `GET /api/notifications/stream`, a live feed of
//! new notices as Server-Sent Events (the portal page reads it with its session cookie).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::routing::{get, patch};
use axum::{Json, Router};
use clearway_store::notifications::inbox::{self as store, InboxItem};
use clearway_store::{Actor, Db};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::http::{page_limit, ApiError, ApiResult, Page, Problem, Qs};
use crate::state::AppState;

/// How often the live feed looks for new notices.
pub const POLL: Duration = Duration::from_secs(1);
/// How often an idle live feed sends a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Routes of the inbox.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/notifications", get(list))
        .route("/api/notifications/stream", get(stream))
        .route("/api/notifications/{id}/read", patch(mark_read))
}

/// The OpenAPI paths of this module.
#[derive(OpenApi)]
#[openapi(
    paths(list, mark_read, stream),
    components(schemas(NotificationView, InboxView))
)]
pub struct ApiDoc;

/// One notice.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationView {
    /// Id (time-ordered; the live feed's event id).
    pub id: String,
    /// Event kind.
    pub event_kind: String,
    /// The fund it is about.
    pub fund_id: Option<String>,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// A link into the portal.
    pub link: Option<String>,
    /// When it arrived.
    pub created_at: String,
    /// When it was read (absent: unread).
    pub read_at: Option<String>,
}

impl From<&InboxItem> for NotificationView {
    fn from(n: &InboxItem) -> Self {
        NotificationView {
            id: n.id.clone(),
            event_kind: n.event_kind.clone(),
            fund_id: n.fund_id.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            created_at: n.created_at.clone(),
            read_at: n.read_at.clone(),
        }
    }
}

/// A page of the inbox.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxView {
    /// Notices, newest first.
    pub items: Vec<NotificationView>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Unread notices in the whole inbox.
    pub unread_count: i64,
}

/// Query of the inbox list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// The investor (staff; investors get their own without it).
    #[param(min_length = 1, max_length = 64)]
    investor_id: Option<String>,
    /// `nextCursor` of the previous page.
    #[param(min_length = 1, max_length = 64)]
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Whose inbox: investors their own (another investor's is 404 in the store), staff name one.
fn owner(actor: &Actor, named: Option<&str>) -> ApiResult<String> {
    match (actor.investor_id.as_deref(), named) {
        (_, Some(id)) => Ok(id.to_string()),
        (Some(own), None) => Ok(own.to_string()),
        (None, None) => Err(ApiError::field(
            "investorId",
            "staff must name the investor",
        )),
    }
}

#[utoipa::path(get, path = "/api/notifications", tag = "notifications", params(ListQuery),
    responses((status = 200, body = InboxView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<ListQuery>,
) -> ApiResult<Json<InboxView>> {
    let investor = owner(&actor, q.investor_id.as_deref())?;
    let limit = page_limit(q.limit, 50)?;
    let items = store::list(&state.db, &actor, &investor, q.cursor.as_deref(), limit).await?;
    let unread_count = store::unread_count(&state.db, &actor, &investor).await?;
    let page = Page::new(items, limit, |n| n.id.clone()).map(|n| NotificationView::from(&n));
    Ok(Json(InboxView {
        items: page.items,
        next_cursor: page.next_cursor,
        unread_count,
    }))
}

#[utoipa::path(patch, path = "/api/notifications/{id}/read", tag = "notifications",
    params(("id" = String, Path, description = "Notification id")),
    responses((status = 200, body = NotificationView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn mark_read(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<NotificationView>> {
    let n = clearway_app::notifications::inbox::mark_read(&state.db, &actor, &id).await?;
    Ok(Json(NotificationView::from(&n)))
}

/// Query of the live feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StreamQuery {
    /// The investor (staff; investors get their own without it).
    #[param(min_length = 1, max_length = 64)]
    investor_id: Option<String>,
}

/// Where the feed resumes: the `Last-Event-ID` a reconnecting client sends, else the newest
/// notice now (a fresh feed carries only what arrives after it opened).
async fn start_after(
    db: &Db,
    actor: &Actor,
    investor: &str,
    headers: &HeaderMap,
) -> ApiResult<String> {
    match headers.get("last-event-id") {
        Some(v) => {
            let id = v
                .to_str()
                .ok()
                .filter(|s| s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic()))
                .ok_or_else(|| ApiError::field("Last-Event-ID", "must be a notification id"))?;
            Ok(id.to_string())
        }
        None => Ok(store::newest_id(db, actor, investor).await?),
    }
}

/// The feed itself: polls for notices after the last one sent, yields each as an event
/// whose id is the notice's; ends on a database error (the client reconnects with
/// `Last-Event-ID`) and is dropped by axum when the client goes.
pub fn feed(
    db: Db,
    actor: Actor,
    investor: String,
    after: String,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let start = (
        db,
        actor,
        investor,
        after,
        VecDeque::<InboxItem>::new(),
        true,
    );
    futures_util::stream::unfold(
        start,
        |(db, actor, inv, mut last, mut queue, mut first)| async move {
            loop {
                if let Some(n) = queue.pop_front() {
                    last = n.id.clone();
                    let data =
                        serde_json::to_string(&NotificationView::from(&n)).unwrap_or_default();
                    let event = Event::default().id(n.id).event("notification").data(data);
                    return Some((Ok(event), (db, actor, inv, last, queue, first)));
                }
                if !first {
                    tokio::time::sleep(POLL).await;
                }
                first = false;
                match store::after(&db, &actor, &inv, &last, 100).await {
                    Ok(items) => queue.extend(items),
                    Err(e) => {
                        tracing::warn!(error = %e, "notification feed stopped");
                        return None;
                    }
                }
            }
        },
    )
}

#[utoipa::path(get, path = "/api/notifications/stream", tag = "notifications", params(StreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this notification id")),
    responses((status = 200, description = "Server-Sent Events: `notification` events (data: NotificationView, id: its id) and keep-alive comments", content_type = "text/event-stream", body = String),
        (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn stream(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<StreamQuery>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let investor = owner(&actor, q.investor_id.as_deref())?;
    // Checks access now, so a refused feed is a problem answer, not an empty stream.
    let after = start_after(&state.db, &actor, &investor, &headers).await?;
    store::after(&state.db, &actor, &investor, &after, 1).await?;
    let events = feed(state.db.clone(), actor, investor, after);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
