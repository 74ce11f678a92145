//! `GET /api/events/streams`: per sink, whether it is configured, what of the caller's
//! organization is pending and how old the oldest is, when the sink last published, and which
//! process holds its lease. For those who may read the audit log.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use clearway_app::AppResult;
use clearway_core::access::Permission;
use clearway_store::{leases, streams, Actor};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::{age_secs, kafka, nats};
use crate::http::ApiResult;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/events/streams", get(status))
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(paths(status), components(schemas(SinkStatus)))]
pub struct ApiDoc;

/// One stream sink's state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SinkStatus {
    /// `nats` or `kafka`.
    #[schema(pattern = "^(nats|kafka)$")]
    pub sink: String,
    /// Whether this process is configured to publish to it.
    pub configured: bool,
    /// Where to: the NATS stream or the Kafka topic (absent when not configured).
    pub target: Option<String>,
    /// Events of the caller's organization not yet acknowledged by the broker.
    #[schema(minimum = 0)]
    pub pending: i64,
    /// Age in seconds of the oldest of them (absent when none is pending).
    #[schema(minimum = 0.0)]
    pub oldest_pending_secs: Option<f64>,
    /// Events the sink has published, every organization, all time.
    #[schema(minimum = 0)]
    pub published: i64,
    /// When it last published (absent before the first time).
    pub last_published_at: Option<String>,
    /// The process (instance id) holding the sink's lease, if any holds it now.
    pub leader: Option<String>,
}

#[utoipa::path(get, path = "/api/events/streams", tag = "events",
    responses((status = 200, body = Vec<SinkStatus>)), security(("bearer" = [])))]
pub(crate) async fn status(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<SinkStatus>>> {
    Ok(Json(sink_statuses(&state, &actor).await?))
}

/// Both sinks' states as the actor may see them (also the page's).
pub async fn sink_statuses(state: &AppState, actor: &Actor) -> AppResult<Vec<SinkStatus>> {
    actor.require(Permission::ReadAudit)?;
    let cfg = &state.config.streams;
    let sinks = [
        (nats::SINK, cfg.nats.as_ref().map(|n| n.stream.clone())),
        (kafka::SINK, cfg.kafka.as_ref().map(|k| k.topic.clone())),
    ];
    let leases = leases::list(&state.db).await?;
    let now = Utc::now();
    let mut out = Vec::with_capacity(sinks.len());
    for (sink, target) in sinks {
        let backlog = streams::org_backlog(&state.db, actor, sink).await?;
        let published = streams::published(&state.db, sink).await?;
        let lease = format!("stream-{sink}");
        let leader = leases
            .iter()
            .find(|l| l.name == lease && l.expires_at > clearway_store::time_text(now))
            .map(|l| l.holder.clone());
        out.push(SinkStatus {
            sink: sink.to_string(),
            configured: target.is_some(),
            target,
            pending: backlog.pending,
            oldest_pending_secs: backlog.oldest_created_at.and_then(|at| age_secs(&at, now)),
            published: published.as_ref().map_or(0, |p| p.published),
            last_published_at: published.map(|p| p.last_published_at),
            leader,
        });
    }
    Ok(out)
}
