//! The operators' notifications page: messages per channel and status, and the dead letters
//! (reason, attempts) with resend and mark-sent, paginated. The actions are the API's.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use clearway_store::notifications::messages::{self as store, Decision, Filter, Message};
use serde::Deserialize;

use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::form;
use crate::web::{Chrome, PageResult, Viewer};

/// Routes of the page and its two actions.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(page))
        .route("/notifications/messages/{id}/{action}", post(act))
}

const PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    cursor: Option<String>,
}

/// Counts of one channel.
struct ChannelCounts {
    channel: String,
    counts: Vec<(String, i64)>,
}

#[derive(Template)]
#[template(path = "notifications/operator.html")]
struct OperatorPage {
    chrome: Chrome,
    channels: Vec<ChannelCounts>,
    dead: Vec<Message>,
    next: Option<String>,
    can_act: bool,
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let mut channels: Vec<ChannelCounts> = Vec::new();
    for (channel, status, n) in store::org_counts(&state.db, &viewer.actor).await? {
        match channels.iter_mut().find(|c| c.channel == channel) {
            Some(c) => c.counts.push((status, n)),
            None => channels.push(ChannelCounts {
                channel,
                counts: vec![(status, n)],
            }),
        }
    }
    let filter = Filter {
        status: Some("dead".into()),
        after: q.cursor.filter(|c| !c.is_empty() && c.len() <= 100),
        ..Filter::default()
    };
    let dead = store::list(&state.db, &viewer.actor, &filter, PAGE).await?;
    let next = (dead.len() as i64 == PAGE)
        .then(|| dead.last().map(|m| m.id.clone()))
        .flatten();
    render_status(
        StatusCode::OK,
        &OperatorPage {
            chrome: Chrome::new(&viewer, "Notifications", "/notifications"),
            channels,
            dead,
            next,
            can_act: viewer.can(clearway_core::access::Permission::Operate),
        },
    )
}

async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    form::check(&viewer, &headers, &body)?;
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let decision = match action.as_str() {
        "resend" => Decision::Resend,
        "mark-sent" => Decision::MarkSent,
        _ => {
            return Err(crate::http::ApiError::BadRequest {
                status: StatusCode::NOT_FOUND,
                field: "path".into(),
                detail: "no such action".into(),
            }
            .into())
        }
    };
    let _ = super::messages::decide(&state, &viewer.actor, &id, decision).await?;
    Ok(Redirect::to("/notifications").into_response())
}
