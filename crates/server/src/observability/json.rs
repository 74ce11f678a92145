//! JSON log lines: `{"timestamp","level","target","fields":{…},"span":{…},"spans":[…],
//! "trace_id","span_id"}` — the shape of tracing-subscriber's JSON format, plus the
//! OpenTelemetry ids of the innermost traced span so a line can be found from its trace.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_opentelemetry::OtelData;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The event format of `CLEARWAY_LOG_FORMAT=json` (span fields recorded as JSON).
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert("timestamp".into(), Value::String(now()));
        line.insert("level".into(), Value::String(meta.level().to_string()));
        line.insert("target".into(), Value::String(meta.target().to_string()));
        let mut fields = Map::new();
        event.record(&mut Fields(&mut fields));
        line.insert("fields".into(), Value::Object(fields));
        if let Some(scope) = ctx.event_scope() {
            let mut spans = Vec::new();
            let mut ids = None;
            for span in scope {
                let ext = span.extensions();
                if ids.is_none() {
                    ids = ext.get::<OtelData>().and_then(otel_ids);
                }
                let mut entry = match ext
                    .get::<FormattedFields<N>>()
                    .and_then(|f| serde_json::from_str::<Value>(&f.fields).ok())
                {
                    Some(Value::Object(map)) => map,
                    _ => Map::new(),
                };
                entry.insert("name".into(), Value::String(span.name().to_string()));
                spans.push(Value::Object(entry));
            }
            if let Some(current) = spans.first() {
                line.insert("span".into(), current.clone());
            }
            // Outermost first, as tracing-subscriber writes them.
            spans.reverse();
            line.insert("spans".into(), Value::Array(spans));
            if let Some((trace_id, span_id)) = ids {
                line.insert("trace_id".into(), Value::String(trace_id));
                line.insert("span_id".into(), Value::String(span_id));
            }
        }
        let text = serde_json::to_string(&Value::Object(line)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// The (trace id, span id) of a started span in a valid trace, as lowercase hex.
pub fn otel_ids(data: &OtelData) -> Option<(String, String)> {
    let (trace_id, span_id) = (data.trace_id()?, data.span_id()?);
    (trace_id != opentelemetry::TraceId::INVALID)
        .then(|| (trace_id.to_string(), span_id.to_string()))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Records an event's fields into a JSON object (numbers and booleans stay typed).
pub struct Fields<'a>(pub &'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().into(), Value::String(value.into()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::String(format!("{value:?}")));
    }
}
