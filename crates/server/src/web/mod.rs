//! The web pages' shared plumbing: who is signed in ([`session::Viewer`]), forms with their
//! CSRF check ([`form`]), the page chrome and navigation ([`layout`]), error pages ([`error`]),
//! embedded assets ([`assets`]), server-side SVG charts ([`chart`]), display formatting
//! ([`fmt`]), and the sign-in pages ([`sign_in`]). Each capability's pages live beside its API
//! (`distributions::pages`, …) and use these.

pub mod assets;
pub mod chart;
pub mod chart_band;
pub mod error;
pub mod fmt;
pub mod form;
pub mod layout;
pub mod session;
pub mod sign_in;

use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::Router;

pub use error::{PageError, PageResult};
pub use form::Form;
pub use layout::Chrome;
pub use session::Viewer;

use crate::state::AppState;

/// The sign-in pages, the home redirect and the assets.
pub fn router() -> Router<AppState> {
    sign_in::router().merge(assets::router())
}

/// A query string of the pairs whose value is not empty (pagination and export links keep
/// the filters a page was drawn with), URL-encoded.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.finish()
}

/// The Content-Security-Policy of every page: scripts and styles from this server only (no
/// inline script or style), no frames, forms post back here only.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the pages' security headers to an HTML response (CSP, no sniffing, no framing, no
/// referrer across origins, never cached: pages show account data), and to every response a
/// `Server-Timing` header with the time the server spent on it (what the page benchmark reads).
pub async fn secure_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let started = std::time::Instant::now();
    let mut res = next.run(req).await;
    let spent = format!("app;dur={:.3}", started.elapsed().as_secs_f64() * 1000.0);
    if let Ok(v) = HeaderValue::from_str(&spent) {
        res.headers_mut().insert("server-timing", v);
    }
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if is_html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
