//! Prometheus metrics: a process-wide recorder, a request-metrics middleware, and the
//! exposition: on the main port only with a bearer token, or unauthenticated on a separate
//! (internal) listen address.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use subtle::ConstantTimeEq;

use crate::state::AppState;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder (installed on first use; one per process, shared by all servers in it).
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ])
                .expect("static buckets are valid")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (e.g. in tests); ours still renders.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts requests and observes latency per route template and status.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("clearway_http_requests_total", &labels).increment(1);
    metrics::histogram!("clearway_http_request_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The exposition text, with the job-queue gauges, the orphaned-payment gauge and the
/// business gauges refreshed.
pub async fn render(state: &AppState) -> Response {
    if let Ok(counts) = clearway_store::jobs::counts(&state.db).await {
        // A status that emptied reads 0 rather than its last count.
        for status in ["QUEUED", "RUNNING", "DONE", "DEAD"] {
            metrics::gauge!("clearway_jobs", "status" => status).set(0.0);
        }
        for (status, n) in counts {
            metrics::gauge!("clearway_jobs", "status" => status).set(n as f64);
        }
    }
    // Payments PENDING/PROCESSING with no job moving them and no review reason: 0 when healthy.
    if let Ok(n) = clearway_store::payments::orphan_count_all(&state.db).await {
        metrics::gauge!("clearway_payments_orphaned").set(n as f64);
    }
    crate::notifications::worker::refresh_metrics(state).await;
    crate::observability::business::refresh(&state.db).await;
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
        .into_response()
}

/// Whether the request carries `Authorization: Bearer <token>` (parsed as for API tokens),
/// compared in constant time (the token must not be guessable byte by byte from response
/// times).
pub fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::http::auth::bearer_token)
    else {
        return false;
    };
    !token.is_empty() && bool::from(given.as_bytes().ct_eq(token.as_bytes()))
}

/// The router of the separate metrics listener (`CLEARWAY_METRICS_ADDR`): `/metrics` only,
/// unauthenticated, so bind it where only the scraper reaches.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(state): State<AppState>| async move { render(&state).await }),
        )
        .with_state(state)
}
