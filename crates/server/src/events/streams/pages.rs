//! `/events/streams`: the operations console's view of the event stream sinks (the status API
//! as a table), for staff who may read the audit log.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use clearway_core::access::Permission;

use super::routes::sink_statuses;
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::{Chrome, PageResult, Viewer};

/// Routes of the page.
pub fn router() -> Router<AppState> {
    Router::new().route("/events/streams", get(page))
}

struct Row {
    sink: String,
    name: &'static str,
    configured: bool,
    target: Option<String>,
    pending: i64,
    lag: String,
    published: i64,
    last_published_at: String,
    leader: Option<String>,
}

#[derive(Template)]
#[template(path = "events/streams.html")]
struct StreamsPage {
    chrome: Chrome,
    sinks: Vec<Row>,
}

async fn page(State(state): State<AppState>, viewer: Viewer) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    viewer.actor.require(Permission::ReadAudit)?;
    let sinks = sink_statuses(&state, &viewer.actor)
        .await?
        .into_iter()
        .map(|s| Row {
            name: if s.sink == "nats" {
                "NATS JetStream"
            } else {
                "Kafka"
            },
            configured: s.configured,
            target: s.target,
            pending: s.pending,
            lag: s
                .oldest_pending_secs
                .map_or_else(|| "—".into(), |secs| format!("{secs:.1} s")),
            published: s.published,
            last_published_at: s.last_published_at.unwrap_or_else(|| "never".into()),
            leader: s.leader,
            sink: s.sink,
        })
        .collect();
    let page = StreamsPage {
        chrome: Chrome::new(&viewer, "Event streams", "/events/streams"),
        sinks,
    };
    render_status(StatusCode::OK, &page)
}
