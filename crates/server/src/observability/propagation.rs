//! W3C trace context: the request span continues an incoming `traceparent`; a job's span
//! continues the context stored with the job; a webhook delivery continues the context stored
//! with its event and sends its own `traceparent`. Only `traceparent` is stored with rows (the
//! vendor `tracestate` of a request stays with its spans); nothing is echoed in responses.

use std::collections::HashMap;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use clearway_store::jobs::Job;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry::Context;
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::{Instrument, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::active;

/// The header outgoing calls carry.
pub const TRACEPARENT: &str = "traceparent";

/// Wraps each request in a server span whose parent is the caller's `traceparent` (when
/// valid), named by method and route template (never the path: ids stay out of span names).
pub async fn trace_request(req: Request, next: Next) -> Response {
    if !active() {
        return next.run(req).await;
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let span = tracing::info_span!(
        target: "clearway::http",
        "http.request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
    );
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(req.headers()));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    let response = next.run(req).instrument(span.clone()).await;
    span.record("http.response.status_code", response.status().as_u16());
    response
}

/// The span a job runs in: a consumer span continuing the trace it was enqueued in.
pub fn job_span(job: &Job) -> Span {
    if !active() {
        return Span::none();
    }
    let span = tracing::info_span!(
        target: "clearway::jobs",
        "job",
        otel.name = %format!("job {}", job.kind),
        otel.kind = "consumer",
        job.kind = %job.kind,
        job.id = %job.id,
        job.attempt = job.attempts,
    );
    continue_from(&span, job.traceparent.as_deref());
    span
}

/// The span of one webhook delivery: a client span continuing the trace its event was
/// written in (`traceparent` of the event, when it has one).
pub fn delivery_span(event_type: &str, event_id: &str, traceparent: Option<&str>) -> Span {
    if !active() {
        return Span::none();
    }
    let span = tracing::info_span!(
        target: "clearway::events",
        "webhook.deliver",
        otel.name = %format!("webhook {event_type}"),
        otel.kind = "client",
        event.id = %event_id,
        event.r#type = %event_type,
        http.response.status_code = tracing::field::Empty,
    );
    continue_from(&span, traceparent);
    span
}

/// Makes `traceparent` (when valid) the parent of a span not yet entered.
fn continue_from(span: &Span, traceparent: Option<&str>) {
    if let Some(parent) = traceparent
        .map(context_from)
        .filter(|cx| cx.has_active_span())
    {
        let _ = span.set_parent(parent);
    }
}

/// The context a `traceparent` header value describes (empty when it is not valid).
pub fn context_from(traceparent: &str) -> Context {
    let carrier = HashMap::from([(TRACEPARENT.to_string(), traceparent.to_string())]);
    let cx = TraceContextPropagator::new().extract(&carrier);
    if cx.span().span_context().is_valid() {
        cx
    } else {
        Context::new()
    }
}

/// The `traceparent` of `span`, when it belongs to a valid trace.
pub fn traceparent_of(span: &Span) -> Option<String> {
    if span.is_none() {
        return None;
    }
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// The current span's `traceparent` (installed as the store's trace source).
pub fn current_traceparent() -> Option<String> {
    traceparent_of(&Span::current())
}
