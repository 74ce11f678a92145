//! Request extractors and helpers whose failures are problem JSON: strict JSON bodies, query
//! strings, raw bodies.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::problem::ApiError;

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
