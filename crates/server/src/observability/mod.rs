//! Observability: the process's tracing subscriber (human or JSON log lines, the latter with
//! the trace and span ids), OpenTelemetry traces exported over OTLP/HTTP, W3C trace context
//! carried from requests through jobs and outbox events to webhooks and provider calls, the
//! business gauges of `/metrics`, and an optional Sentry-compatible error reporter.
//!
//! - [`propagation`]: the request middleware, the job and delivery spans, `traceparent` text.
//! - [`json`]: the JSON log line format.
//! - [`otlp`]: the exporter's HTTP client (the tree's reqwest on the tokio runtime).
//! - [`reporter`]: ERROR events to a Sentry-compatible endpoint, off the request path.
//! - [`business`]: the database-wide gauges refreshed at scrape time.
//!
//! Tracing is on when an OTLP endpoint is set or logs are JSON (ids to correlate lines); with
//! neither, no span is made for requests or jobs and nothing is stored for them.

pub mod business;
pub mod json;
pub mod otlp;
pub mod propagation;
pub mod reporter;

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::fmt::format::{FmtSpan, JsonFields};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// The filter when `CLEARWAY_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info,sqlx=error,tower_http=warn";

static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Whether traces are being made (requests and jobs get spans, rows carry `traceparent`).
pub fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// What the process logs and exports, from the environment.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `CLEARWAY_LOG` (an `EnvFilter` directive; [`DEFAULT_FILTER`] when unset).
    pub filter: Option<String>,
    /// `CLEARWAY_LOG_FORMAT=json`: one JSON object per line, with `trace_id`/`span_id`.
    pub json: bool,
    /// The OTLP/HTTP traces URL (`…/v1/traces`): from `CLEARWAY_OTLP_ENDPOINT` or
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` (a base URL), or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`.
    pub otlp_traces_url: Option<String>,
    /// `OTEL_SERVICE_NAME`, default `clearway`.
    pub service_name: String,
    /// `CLEARWAY_SENTRY_DSN`: `https://<public key>@host/<project id>`.
    pub sentry_dsn: Option<String>,
    /// `CLEARWAY_SENTRY_ENVIRONMENT` (e.g. `production`), sent with each report.
    pub sentry_environment: Option<String>,
}

impl Settings {
    /// Reads the variables named on each field.
    pub fn from_env() -> Settings {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let base = var("CLEARWAY_OTLP_ENDPOINT").or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT"));
        Settings {
            filter: var("CLEARWAY_LOG"),
            json: var("CLEARWAY_LOG_FORMAT").is_some_and(|v| v.eq_ignore_ascii_case("json")),
            otlp_traces_url: base
                .map(|b| traces_url(&b))
                .or_else(|| var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
            service_name: var("OTEL_SERVICE_NAME").unwrap_or_else(|| "clearway".into()),
            sentry_dsn: var("CLEARWAY_SENTRY_DSN"),
            sentry_environment: var("CLEARWAY_SENTRY_ENVIRONMENT"),
        }
    }
}

/// The traces URL under an OTLP base URL (as the OTLP spec builds it from the base).
pub fn traces_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/v1/traces") {
        base.to_string()
    } else {
        format!("{base}/v1/traces")
    }
}

/// Why telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The OTLP exporter refused its settings.
    #[error("OTLP exporter: {0}")]
    Otlp(String),
    /// `CLEARWAY_SENTRY_DSN` is not a DSN.
    #[error("CLEARWAY_SENTRY_DSN: {0}")]
    Dsn(String),
    /// A global subscriber is already installed.
    #[error("tracing subscriber: {0}")]
    Subscriber(String),
}

/// The running telemetry: flush it before the process exits (spans are exported in batches).
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
    reporter: Option<reporter::Reporter>,
}

type Base = tracing_subscriber::layer::Layered<EnvFilter, Registry>;
type BoxedLayer = Box<dyn Layer<Base> + Send + Sync>;

/// Installs the process's subscriber writing log lines to `writer`; must run inside the tokio
/// runtime (the exporter and the reporter send from it). Once per process.
pub fn init<W>(settings: &Settings, writer: W) -> Result<Telemetry, TelemetryError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = settings
        .filter
        .as_deref()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    let traced = settings.json || settings.otlp_traces_url.is_some();
    let provider = traced.then(|| tracer_provider(settings)).transpose()?;
    let mut layers: Vec<BoxedLayer> = Vec::new();
    // Span closes carry each phase's duration (time.busy/time.idle). The log layer comes
    // before the OpenTelemetry one, which takes a span's ids away when the span closes.
    let fmt = tracing_subscriber::fmt::layer()
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(writer);
    layers.push(if settings.json {
        fmt.fmt_fields(JsonFields::new())
            .event_format(json::JsonLines)
            .boxed()
    } else {
        fmt.boxed()
    });
    if let Some(provider) = &provider {
        let tracer = provider.tracer("clearway");
        layers.push(tracing_opentelemetry::layer().with_tracer(tracer).boxed());
    }
    let reporter = match &settings.sentry_dsn {
        Some(dsn) => {
            let dsn = reporter::Dsn::parse(dsn).map_err(TelemetryError::Dsn)?;
            let (layer, running) = reporter::start(dsn, settings.sentry_environment.clone());
            layers.push(layer.boxed());
            Some(running)
        }
        None => None,
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(layers)
        .try_init()
        .map_err(|e| TelemetryError::Subscriber(e.to_string()))?;
    if traced {
        ACTIVE.store(true, Ordering::Relaxed);
        clearway_store::trace::set_source(propagation::current_traceparent);
    }
    Ok(Telemetry { provider, reporter })
}

/// Spans get ids whenever tracing is on; they are exported only with an endpoint.
fn tracer_provider(settings: &Settings) -> Result<SdkTracerProvider, TelemetryError> {
    let resource = Resource::builder()
        .with_service_name(settings.service_name.clone())
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if let Some(url) = &settings.otlp_traces_url {
        builder = builder.with_batch_exporter(otlp::exporter(url)?);
    }
    Ok(builder.build())
}

impl Telemetry {
    /// Exports the spans ended so far and sends the queued error reports.
    pub async fn flush(&self) {
        if let Some(provider) = self.provider.clone() {
            // The batch exporter's thread sends through this runtime: wait off its workers.
            let _ = tokio::task::spawn_blocking(move || provider.force_flush()).await;
        }
        if let Some(reporter) = &self.reporter {
            reporter.flush().await;
        }
    }

    /// Flushes, then stops the exporter.
    pub async fn shutdown(self) {
        self.flush().await;
        if let Some(provider) = self.provider {
            let _ = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        }
    }
}
