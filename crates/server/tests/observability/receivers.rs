//! Local stand-ins: an OTLP/HTTP traces receiver (protobuf), a webhook receiver, a
//! Sentry-compatible envelope endpoint, and a log line capture.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;

use super::PATIENCE;

/// One exported span, ids as lowercase hex.
#[derive(Debug, Clone)]
pub struct SpanRecord {
    pub trace: String,
    pub span: String,
    pub parent: String,
    pub name: String,
    pub service: String,
}

#[derive(Default)]
struct Seen {
    spans: Vec<SpanRecord>,
    /// (event type, traceparent) per webhook request.
    hooks: Vec<(String, String)>,
    /// (X-Sentry-Auth, body) per envelope.
    envelopes: Vec<(String, String)>,
}

type Shared = Arc<Mutex<Seen>>;

/// The three receivers on one local port.
pub struct Receivers {
    pub base: String,
    seen: Shared,
}

impl Receivers {
    pub async fn start() -> Receivers {
        let seen = Shared::default();
        let app = Router::new()
            .route("/v1/traces", post(traces))
            .route("/hook", post(hook))
            .route("/api/42/envelope/", post(envelope))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receivers { base, seen }
    }

    /// The traceparent of the first webhook of `event_type`.
    pub async fn wait_hook(&self, event_type: &str) -> String {
        self.wait(|s| {
            s.hooks
                .iter()
                .find(|(t, _)| t == event_type)
                .map(|(_, tp)| tp.clone())
        })
        .await
    }

    /// The exported spans of `trace`, once one of each of `names` is among them.
    pub async fn wait_spans(&self, trace: &str, names: &[&str]) -> Vec<SpanRecord> {
        self.wait(|s| {
            let spans: Vec<SpanRecord> = s
                .spans
                .iter()
                .filter(|x| x.trace == trace)
                .cloned()
                .collect();
            names
                .iter()
                .all(|n| spans.iter().any(|x| x.name == *n))
                .then_some(spans)
        })
        .await
    }

    /// The envelopes whose body contains `text` (waiting for the first).
    pub async fn envelopes_with(&self, text: &str) -> Vec<(String, String)> {
        self.wait(|s| {
            let found: Vec<_> = s
                .envelopes
                .iter()
                .filter(|(_, b)| b.contains(text))
                .cloned()
                .collect();
            (!found.is_empty()).then_some(found)
        })
        .await
    }

    async fn wait<T>(&self, probe: impl Fn(&Seen) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(found) = probe(&self.seen.lock().unwrap()) {
                return found;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

async fn traces(State(seen): State<Shared>, body: Bytes) -> Vec<u8> {
    let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
    let mut seen = seen.lock().unwrap();
    for rs in request.resource_spans {
        let service = rs
            .resource
            .iter()
            .flat_map(|r| r.attributes.iter())
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                AnyValue::StringValue(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default();
        for span in rs.scope_spans.into_iter().flat_map(|s| s.spans) {
            seen.spans.push(SpanRecord {
                trace: hex::encode(&span.trace_id),
                span: hex::encode(&span.span_id),
                parent: hex::encode(&span.parent_span_id),
                name: span.name,
                service: service.clone(),
            });
        }
    }
    // An empty ExportTraceServiceResponse: everything accepted.
    Vec::new()
}

async fn hook(State(seen): State<Shared>, headers: HeaderMap) -> &'static str {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let entry = (header("Clearway-Event-Type"), header("traceparent"));
    seen.lock().unwrap().hooks.push(entry);
    "ok"
}

async fn envelope(State(seen): State<Shared>, headers: HeaderMap, body: String) -> &'static str {
    let auth = headers
        .get("X-Sentry-Auth")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    seen.lock().unwrap().envelopes.push((auth, body));
    "{}"
}

/// Log lines written by the subscriber, kept in memory.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}
