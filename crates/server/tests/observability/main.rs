//! Observability end to end, in its own test binary: the tracing subscriber and the
//! OpenTelemetry exporter are process-wide, so one test installs them once and checks every
//! path through them against local receivers (OTLP, webhook, Sentry-compatible).
//!
//! A request with a `traceparent` moves a distribution to processing; its job completes it and
//! writes `distribution.completed`; the relay delivers that to a webhook. The exported spans
//! must form one trace (request → job → delivery), the webhook must carry it on, the JSON log
//! lines must name it, and an ERROR event must reach the reporter once, redacted. `business`
//! checks the business gauges of `/metrics` after a known scenario.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod business;
mod receivers;

use std::time::Duration;

use clearway_server::observability::{self, propagation, Settings};
use serde_json::{json, Value};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use helpers::{pro_rata, spawn_app};
use receivers::{Capture, Receivers, SpanRecord};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";
const REQUEST: &str = "PATCH /api/distributions/{id}/process";
const JOB: &str = "job distribution.process";
const DELIVERY: &str = "webhook distribution.completed";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn traces_logs_and_error_reports_follow_a_request_through_job_and_webhook() {
    let rx = Receivers::start().await;
    let logs = Capture::default();
    let settings = Settings {
        filter: Some("info,sqlx=error,tower_http=warn".into()),
        json: true,
        otlp_traces_url: Some(observability::traces_url(&rx.base)),
        service_name: "clearway-test".into(),
        sentry_dsn: Some(format!(
            "{}/42",
            rx.base.replace("http://", "http://testkey@")
        )),
        sentry_environment: Some("test".into()),
    };
    let telemetry = observability::init(&settings, logs.clone()).expect("telemetry");
    let app = spawn_app(3).await;

    let sub = app
        .post(
            "admin",
            "/api/webhooks",
            &json!({ "url": format!("{}/hook", rx.base), "eventTypes": ["distribution.completed"] }),
        )
        .await;
    assert_eq!(sub.status(), 201);
    let id = app.create(&pro_rata(&app, "30.00")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (role, action) in [("operator", "ready"), ("approver", "approve")] {
        let r = app
            .patch(role, &format!("/api/distributions/{id}/{action}"))
            .await;
        assert!(r.status().is_success(), "{action}");
    }
    let process = app
        .client
        .patch(app.url(&format!("/api/distributions/{id}/process")))
        .bearer_auth(app.token("operator"))
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))
        .header("tracestate", "vendor=opaque")
        .send()
        .await
        .unwrap();
    assert!(process.status().is_success());
    assert!(process.headers().get("traceparent").is_none());
    app.wait_status(&id, "COMPLETED").await;

    // The webhook carries the trace on, with the delivery span as its parent.
    let hook = rx.wait_hook("distribution.completed").await;
    let parts: Vec<&str> = hook.split('-').collect();
    assert_eq!(parts.len(), 4, "{hook}");
    assert_eq!(parts[1], TRACE_ID, "{hook}");

    // An ERROR inside a traced span reaches the reporter once, redacted, with its trace.
    {
        let span = tracing::info_span!("reporter-check");
        let _ = span.set_parent(propagation::context_from(&format!(
            "00-{TRACE_ID}-{CALLER_SPAN}-01"
        )));
        let _in = span.enter();
        tracing::error!(
            api_key = "sk_live_secret",
            attempt = 3,
            "observability check: boom"
        );
    }
    telemetry.flush().await;

    let spans = rx.wait_spans(TRACE_ID, &[REQUEST, JOB, DELIVERY]).await;
    check_trace(&spans, parts[2], &id);
    check_logs(&logs);
    check_report(&rx).await;
    app.stop().await;
    telemetry.shutdown().await;
}

/// Request (child of the caller) → job (descends from the request) → delivery (descends from
/// the job), and the webhook's parent id is the delivery span.
fn check_trace(spans: &[SpanRecord], hook_parent: &str, id: &str) {
    let find = |name: &str| {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name} in {spans:#?}"))
    };
    let request = find(REQUEST);
    assert_eq!(request.parent, CALLER_SPAN, "{request:?}");
    assert_eq!(request.service, "clearway-test");
    let job = find(JOB);
    assert!(descends(spans, job, &request.span), "{spans:#?}");
    let delivery = find(DELIVERY);
    assert!(descends(spans, delivery, &job.span), "{spans:#?}");
    assert_eq!(delivery.span, hook_parent);
    // Ids stay out of span names (the route template names the request).
    assert!(spans.iter().all(|s| !s.name.contains(id)), "{spans:#?}");
}

/// Whether `span`'s chain of parents (within the exported spans) reaches `ancestor`.
fn descends(spans: &[SpanRecord], span: &SpanRecord, ancestor: &str) -> bool {
    let mut parent = span.parent.clone();
    for _ in 0..spans.len() {
        if parent == ancestor {
            return true;
        }
        match spans.iter().find(|s| s.span == parent) {
            Some(p) => parent = p.parent.clone(),
            None => return false,
        }
    }
    false
}

/// Every line is one JSON object; the request's lines carry its trace id and a span id.
fn check_logs(logs: &Capture) {
    let text = logs.text();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!lines.is_empty());
    let traced: Vec<&Value> = lines.iter().filter(|l| l["trace_id"] == TRACE_ID).collect();
    assert!(!traced.is_empty(), "no line with the trace id in:\n{text}");
    assert!(traced
        .iter()
        .all(|l| l["span_id"].as_str().is_some_and(|s| s.len() == 16)));
    assert!(
        traced.iter().any(|l| l["span"]["name"] == "http.request"),
        "{traced:#?}"
    );
}

async fn check_report(rx: &Receivers) {
    let envelopes = rx.envelopes_with("observability check: boom").await;
    assert_eq!(envelopes.len(), 1, "{envelopes:#?}");
    let (auth, body) = &envelopes[0];
    assert!(auth.starts_with("Sentry sentry_version=7,"), "{auth}");
    assert!(auth.ends_with("sentry_key=testkey"), "{auth}");
    let lines: Vec<&str> = body.trim_end().split('\n').collect();
    assert_eq!(lines.len(), 3, "{body}");
    let event: Value = serde_json::from_str(lines[2]).unwrap();
    assert_eq!(event["level"], "error");
    assert_eq!(event["environment"], "test");
    assert_eq!(event["extra"]["api_key"], "[redacted]");
    assert_eq!(event["extra"]["attempt"], 3);
    assert_eq!(event["contexts"]["trace"]["trace_id"], TRACE_ID);
    assert!(!body.contains("sk_live_secret") && !body.contains("testkey"));
}

/// How long to wait for anything asynchronous here.
pub const PATIENCE: Duration = Duration::from_secs(20);
