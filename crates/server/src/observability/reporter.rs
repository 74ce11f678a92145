//! An error reporter for a Sentry-compatible endpoint (`CLEARWAY_SENTRY_DSN`): each ERROR
//! event becomes one envelope POSTed to `…/api/<project>/envelope/` with `X-Sentry-Auth`.
//! Hand-written (about what the `sentry` crate's core would do for us, without its ~10 extra
//! crates and its own transport thread): a layer queues reports on a bounded channel and never
//! waits; one task sends them. A full queue drops the report and counts it
//! (`clearway_error_reports_dropped_total`). Fields whose names suggest a secret are
//! redacted, and credentials in URLs are masked; the DSN itself is never sent in a body.

use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, oneshot};
use tracing::{Event, Level, Subscriber};
use tracing_opentelemetry::OtelData;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use super::json::{otel_ids, Fields};

/// Reports waiting to be sent; beyond this they are dropped.
pub const QUEUE: usize = 256;

const CLIENT: &str = concat!("clearway/", env!("CARGO_PKG_VERSION"));

/// A parsed DSN: where envelopes go and the public key that authorizes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Dsn {
    /// `scheme://host[:port][/prefix]/api/<project>/envelope/`.
    pub envelope_url: String,
    /// The DSN's public key (`sentry_key`).
    pub public_key: String,
}

impl Dsn {
    /// Parses `scheme://<public key>[:<secret>]@host[:port][/prefix]/<project id>`.
    pub fn parse(text: &str) -> Result<Dsn, String> {
        let url = reqwest::Url::parse(text.trim()).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("the scheme must be https (or http)".into());
        }
        let public_key = url.username();
        if public_key.is_empty() {
            return Err("no public key before '@'".into());
        }
        let host = url.host_str().ok_or("no host")?;
        let path = url.path().trim_end_matches('/');
        let (prefix, project) = path.rsplit_once('/').ok_or("no project id")?;
        if project.is_empty() || !project.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err("the path must end in the project id".into());
        }
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        Ok(Dsn {
            envelope_url: format!(
                "{}://{host}{port}{prefix}/api/{project}/envelope/",
                url.scheme()
            ),
            public_key: public_key.to_string(),
        })
    }

    /// The `X-Sentry-Auth` header value.
    pub fn auth_header(&self) -> String {
        format!(
            "Sentry sentry_version=7, sentry_client={CLIENT}, sentry_key={}",
            self.public_key
        )
    }
}

/// One ERROR event, as captured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The event's message.
    pub message: String,
    /// Its target (module path).
    pub target: String,
    /// Its other fields, redacted.
    pub fields: Map<String, Value>,
    /// The trace and span ids of its innermost traced span.
    pub ids: Option<(String, String)>,
    /// When it happened.
    pub at: chrono::DateTime<chrono::Utc>,
}

enum Msg {
    Report(Box<Report>),
    Flush(oneshot::Sender<()>),
}

/// The layer that captures ERROR events.
pub struct ReportLayer {
    tx: mpsc::Sender<Msg>,
}

/// The sending side, kept by [`super::Telemetry`] to flush.
pub struct Reporter {
    tx: mpsc::Sender<Msg>,
}

impl Reporter {
    /// Waits until every report queued before this call was sent (or failed).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// The layer and its sender task (spawned on the current runtime).
pub fn start(dsn: Dsn, environment: Option<String>) -> (ReportLayer, Reporter) {
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(send_loop(dsn, environment, rx));
    (ReportLayer { tx: tx.clone() }, Reporter { tx })
}

impl<S> Layer<S> for ReportLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        // Our own failures are logged below ERROR, so a dead endpoint cannot feed itself.
        if *meta.level() != Level::ERROR {
            return;
        }
        let mut fields = Map::new();
        event.record(&mut Fields(&mut fields));
        let message = match fields.remove("message") {
            Some(Value::String(m)) => m,
            _ => meta.name().to_string(),
        };
        redact(&mut fields);
        let ids = ctx.event_scope(event).and_then(|scope| {
            scope
                .into_iter()
                .find_map(|span| span.extensions().get::<OtelData>().and_then(otel_ids))
        });
        let report = Report {
            message: mask_userinfo(&message),
            target: meta.target().to_string(),
            fields,
            ids,
            at: chrono::Utc::now(),
        };
        if self.tx.try_send(Msg::Report(Box::new(report))).is_err() {
            metrics::counter!("clearway_error_reports_dropped_total").increment(1);
        }
    }
}

/// Field names (lowercased, containing one of these) whose values are never sent.
const SECRET_NAMES: [&str; 9] = [
    "password",
    "secret",
    "token",
    "key",
    "authorization",
    "cookie",
    "dsn",
    "account_number",
    "iban",
];

/// Replaces secret-looking fields and masks credentials in URLs.
pub fn redact(fields: &mut Map<String, Value>) {
    for (name, value) in fields.iter_mut() {
        let lower = name.to_ascii_lowercase();
        if SECRET_NAMES.iter().any(|s| lower.contains(s)) {
            *value = Value::String("[redacted]".into());
        } else if let Value::String(text) = value {
            *text = mask_userinfo(text);
        }
    }
}

/// `scheme://user:pass@host…` → `scheme://***@host…`, anywhere in `text`.
pub fn mask_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c.is_whitespace())
            .unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// The envelope of one report: header line, item header line, event JSON.
pub fn envelope(report: &Report, environment: Option<&str>) -> (String, Vec<u8>) {
    let event_id = uuid::Uuid::new_v4().simple().to_string();
    let mut event = json!({
        "event_id": event_id,
        "timestamp": report.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "platform": "native",
        "level": "error",
        "logger": report.target,
        "message": { "formatted": report.message },
        "release": CLIENT,
        "extra": report.fields,
    });
    if let Some(env) = environment {
        event["environment"] = json!(env);
    }
    if let Some((trace_id, span_id)) = &report.ids {
        event["contexts"] = json!({ "trace": { "trace_id": trace_id, "span_id": span_id } });
    }
    let payload = event.to_string();
    let header = json!({
        "event_id": event_id,
        "sent_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "sdk": { "name": "clearway.reporter", "version": env!("CARGO_PKG_VERSION") },
    });
    let item =
        json!({ "type": "event", "length": payload.len(), "content_type": "application/json" });
    let body = format!("{header}\n{item}\n{payload}\n").into_bytes();
    (event_id, body)
}

async fn send_loop(dsn: Dsn, environment: Option<String>, mut rx: mpsc::Receiver<Msg>) {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client");
    while let Some(msg) = rx.recv().await {
        let report = match msg {
            Msg::Report(r) => r,
            Msg::Flush(done) => {
                let _ = done.send(());
                continue;
            }
        };
        let (_, body) = envelope(&report, environment.as_deref());
        let sent = client
            .post(&dsn.envelope_url)
            .header("Content-Type", "application/x-sentry-envelope")
            .header("X-Sentry-Auth", dsn.auth_header())
            .body(body)
            .send()
            .await;
        let outcome = match sent {
            Ok(r) if r.status().is_success() => "sent",
            Ok(r) => {
                tracing::warn!(
                    status = r.status().as_u16(),
                    "the error reporter's endpoint refused a report"
                );
                "refused"
            }
            Err(e) => {
                tracing::warn!(error = %e, "the error reporter's endpoint could not be reached");
                "failed"
            }
        };
        metrics::counter!("clearway_error_reports_total", "outcome" => outcome).increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsn_gives_the_envelope_url_and_key() {
        let dsn = Dsn::parse("https://abc123@o1.ingest.example.com/42").unwrap();
        assert_eq!(
            dsn.envelope_url,
            "https://o1.ingest.example.com/api/42/envelope/"
        );
        assert_eq!(dsn.public_key, "abc123");
        let local = Dsn::parse("http://k:s@127.0.0.1:9000/prefix/7").unwrap();
        assert_eq!(
            local.envelope_url,
            "http://127.0.0.1:9000/prefix/api/7/envelope/"
        );
        assert_eq!(
            local.auth_header(),
            format!("Sentry sentry_version=7, sentry_client={CLIENT}, sentry_key=k")
        );
        assert!(Dsn::parse("https://example.com/42").is_err());
        assert!(Dsn::parse("https://k@example.com/").is_err());
        assert!(Dsn::parse("ftp://k@example.com/1").is_err());
    }

    #[test]
    fn secrets_are_redacted_and_credentials_masked() {
        let mut fields = Map::new();
        fields.insert("api_key".into(), json!("sk_live_1"));
        fields.insert("db".into(), json!("postgres://app:hunter2@db:5432/x"));
        fields.insert("count".into(), json!(3));
        redact(&mut fields);
        assert_eq!(fields["api_key"], json!("[redacted]"));
        assert_eq!(fields["db"], json!("postgres://***@db:5432/x"));
        assert_eq!(fields["count"], json!(3));
        assert_eq!(
            mask_userinfo("a http://h/x?y=@z and https://u:p@h2/ end"),
            "a http://h/x?y=@z and https://***@h2/ end"
        );
    }

    #[test]
    fn an_envelope_is_three_lines_with_the_item_length() {
        let report = Report {
            message: "boom".into(),
            target: "clearway::x".into(),
            fields: Map::new(),
            ids: Some((
                "0af7651916cd43dd8448eb211c80319c".into(),
                "b7ad6b7169203331".into(),
            )),
            at: chrono::Utc::now(),
        };
        let (id, body) = envelope(&report, Some("test"));
        let text = String::from_utf8(body).unwrap();
        let lines: Vec<&str> = text.trim_end().split('\n').collect();
        assert_eq!(lines.len(), 3);
        let header: Value = serde_json::from_str(lines[0]).unwrap();
        let item: Value = serde_json::from_str(lines[1]).unwrap();
        let event: Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(header["event_id"], json!(id));
        assert_eq!(item["type"], json!("event"));
        assert_eq!(item["length"], json!(lines[2].len()));
        assert_eq!(event["message"]["formatted"], json!("boom"));
        assert_eq!(event["environment"], json!("test"));
        assert_eq!(
            event["contexts"]["trace"]["trace_id"],
            json!("0af7651916cd43dd8448eb211c80319c")
        );
    }
}
