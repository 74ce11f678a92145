//! The W3C trace context of the current request or job, as `traceparent` text, for the rows
//! that carry it on (jobs, outbox events) and for outgoing calls. The store knows no tracing
//! library: the server installs the function that reads the current span once at start;
//! without it (tracing off) nothing is read or stored.

use std::sync::OnceLock;

static SOURCE: OnceLock<fn() -> Option<String>> = OnceLock::new();

/// Installs the function giving the current span's `traceparent` (first call wins).
pub fn set_source(source: fn() -> Option<String>) {
    let _ = SOURCE.set(source);
}

/// The current `traceparent`, when tracing is on and a traced span is current.
pub fn traceparent() -> Option<String> {
    SOURCE.get().and_then(|source| source())
}

/// Whether a source is installed (callers skip work that only feeds tracing).
pub fn enabled() -> bool {
    SOURCE.get().is_some()
}
