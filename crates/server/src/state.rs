//! Shared state of the server, the request context extractors, and strict JSON bodies.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use clearway_store::{auth, Actor, Db};
use serde::de::DeserializeOwned;
use tokio::sync::Notify;

use crate::error::ApiError;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a claimed job is leased before another worker may take it over.
    pub job_lease: Duration,
    /// How often idle workers poll for due jobs and events.
    pub poll_interval: Duration,
    /// Worker tasks running jobs.
    pub job_workers: usize,
    /// Timeout of one webhook delivery.
    pub webhook_timeout: Duration,
    /// Largest request body accepted.
    pub body_limit_bytes: usize,
    /// Payments: encryption keys, originator details, providers, check rules.
    pub payments: crate::payments::PaymentsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            job_lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(250),
            job_workers: 2,
            webhook_timeout: Duration::from_secs(10),
            body_limit_bytes: 16 * 1024 * 1024,
            payments: crate::payments::PaymentsConfig::default(),
        }
    }
}

/// State shared by handlers and workers.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Settings.
    pub config: Arc<Config>,
    /// Wakes job workers when a job is enqueued in this process.
    pub jobs_ready: Arc<Notify>,
    /// Wakes the outbox relay when an event is written in this process.
    pub events_ready: Arc<Notify>,
    /// Recently authenticated tokens, so a request costs one query instead of two.
    pub tokens: Arc<TokenCache>,
}

/// How long a resolved token is trusted without asking the database again.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(30);
/// Most tokens cached at once; the cache is emptied when full (simple and bounded).
const TOKEN_CACHE_MAX: usize = 10_000;

/// Token hash → actor, with the time it was resolved.
#[derive(Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<String, (Actor, Instant)>>,
}

impl TokenCache {
    fn get(&self, hash: &str) -> Option<Actor> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_CACHE_TTL)
            .map(|(a, _)| a.clone())
    }

    fn put(&self, hash: String, actor: Actor) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= TOKEN_CACHE_MAX {
            entries.clear();
        }
        entries.insert(hash, (actor, Instant::now()));
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let token = token.trim();
        let hash = auth::hash_token(token);
        if let Some(actor) = state.tokens.get(&hash) {
            return Ok(actor);
        }
        let actor = auth::authenticate(&state.db, token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        state.tokens.put(hash, actor.clone());
        Ok(actor)
    }
}

/// Parses a JSON body strictly, naming the offending field on type errors.
pub fn parse_json<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.ends_with("+json"));
    if !is_json {
        return Err(ApiError::BadRequest {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            field: "Content-Type".into(),
            detail: "expected Content-Type: application/json".into(),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::BadRequest {
                status: StatusCode::BAD_REQUEST,
                field: "body".into(),
                detail: format!("malformed JSON: {inner}"),
            }
        } else {
            let field = if path == "." {
                "body".to_string()
            } else {
                path
            };
            ApiError::field(field, strip_position(&inner.to_string()))
        }
    })?;
    de.end().map_err(|e| ApiError::BadRequest {
        status: StatusCode::BAD_REQUEST,
        field: "body".into(),
        detail: format!("malformed JSON: {e}"),
    })?;
    Ok(value)
}

/// serde_json appends " at line L column C"; the field path says more to a client.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The `Idempotency-Key` header, validated (1–255 visible ASCII characters).
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let key = v
                .to_str()
                .map_err(|_| ApiError::field("Idempotency-Key", "must be visible ASCII"))?;
            if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters",
                ));
            }
            Ok(Some(key.to_string()))
        }
    }
}

/// Query-string extractor whose errors are problem JSON naming the query.
pub struct Qs<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Qs<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Qs(q.0))
            .map_err(|e| ApiError::BadRequest {
                status: StatusCode::BAD_REQUEST,
                field: "query".into(),
                detail: e.body_text(),
            })
    }
}

/// The raw request body; a body over the limit becomes a 413 problem naming `body`.
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::body::Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|e| ApiError::BadRequest {
                status: e.status(),
                field: "body".into(),
                detail: e.body_text(),
            })
    }
}

/// Largest page any list endpoint returns.
pub const PAGE_MAX: i64 = 1000;

/// Validates a `limit` query parameter (1–1000), defaulting to `default`.
pub fn page_limit(limit: Option<i64>, default: i64) -> Result<i64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=PAGE_MAX).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::field(
            "limit",
            format!("must be between 1 and {PAGE_MAX}"),
        )),
    }
}
