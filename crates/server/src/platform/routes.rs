//! Health, readiness, metrics, audit, funds and investors endpoints.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use clearway_store::audit::{self, Filter};
use clearway_store::funds;
use clearway_store::Actor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{AuditEntryView, FundView, InvestorView};

use crate::http::{page_limit, ApiError, ApiResult, Page, Problem, Qs};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/api/audit", get(audit_log))
        .route("/api/funds", get(list_funds))
        .route("/api/investors", get(list_investors))
}

/// Liveness/readiness answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// "ok" or what is wrong.
    pub status: String,
}

#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub(crate) async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match clearway_store::migrate::current_version(&state.db).await {
        Ok(Some(_)) => (
            StatusCode::OK,
            Json(Health {
                status: "ok".into(),
            }),
        ),
        Ok(None) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "schema not migrated".into(),
            }),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "database unavailable".into(),
                }),
            )
        }
    }
}

#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain"), (status = 401, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn metrics_text(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    // Open on the main port only with its own token (CLEARWAY_METRICS_TOKEN): it tells anyone
    // who can reach the port about routes, jobs and load. Without one configured no token
    // opens it here (401 as for a wrong token, as documented); CLEARWAY_METRICS_ADDR serves it.
    let opened = state
        .config
        .metrics_token
        .as_deref()
        .is_some_and(|token| super::metrics::bearer_matches(&headers, token));
    if !opened {
        return Err(ApiError::Unauthorized);
    }
    Ok(super::metrics::render(&state).await)
}

/// Query of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this entity id.
    entity_id: Option<String>,
    /// Only this entity type (e.g. `distribution`).
    entity_type: Option<String>,
    /// Only this action (e.g. `distribution.approve`).
    action: Option<String>,
    /// Only this user.
    actor_id: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<i64>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/audit", tag = "operations", params(AuditQuery),
    responses((status = 200, body = Page<Object>), (status = 403, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn audit_log(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntryView>>> {
    let limit = page_limit(q.limit, 100)?;
    let filter = Filter {
        entity_id: q.entity_id,
        entity_type: q.entity_type,
        action: q.action,
        actor_id: q.actor_id,
        // No cursor: from the start of the log (sequence numbers start at 1).
        after_seq: q.cursor.unwrap_or(0),
        limit,
    };
    let items = audit::list(&state.db, &actor, &filter).await?;
    Ok(Json(
        Page::new(items, limit, |e| e.seq.to_string()).map(|e| AuditEntryView::from(&e)),
    ))
}

/// Query of the funds list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FundsQuery {
    /// `nextCursor` of the previous page (a fund code).
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/funds", tag = "reference data", params(FundsQuery),
    responses((status = 200, body = Page<Object>)), security(("bearer" = [])))]
pub(crate) async fn list_funds(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<FundsQuery>,
) -> ApiResult<Json<Page<FundView>>> {
    let limit = page_limit(q.limit, 50)?;
    let items = funds::list_funds_page(&state.db, &actor, q.cursor.as_deref(), limit).await?;
    Ok(Json(
        Page::new(items, limit, |f| f.code.clone()).map(|f| FundView::from(&f)),
    ))
}

/// Query of the investors list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvestorsQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/investors", tag = "reference data", params(InvestorsQuery),
    responses((status = 200, body = Page<Object>)), security(("bearer" = [])))]
pub(crate) async fn list_investors(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<InvestorsQuery>,
) -> ApiResult<Json<Page<InvestorView>>> {
    let limit = page_limit(q.limit, 50)?;
    let items = funds::list_investors(&state.db, &actor, q.cursor.as_deref(), limit).await?;
    Ok(Json(
        Page::new(items, limit, |i| i.id.clone()).map(|i| InvestorView::from(&i)),
    ))
}
