//! Request extractors and helpers whose failures are problem JSON: strict JSON bodies, query
//! strings, raw bodies.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use clearway_core::{input, FieldError};
use serde::de::DeserializeOwned;

use super::problem::ApiError;

/// JSON keys of the fields meant for free text (wherever they appear in a body): tab and
/// newline are allowed in them. Every other string, and every key, refuses all control
/// characters (see [`clearway_core::input::is_forbidden_char`]).
pub const FREE_TEXT_FIELDS: &[&str] = &["description", "reason", "note", "failure_reason"];

/// Parses a JSON body strictly, naming the offending field. In order: the content type (415),
/// the JSON syntax of the whole body (400, even when an unknown field comes first), the
/// shape every body shares (422: an object, no control characters in keys or strings, no
/// empty lists), then the typed parse (422 naming the field).
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
    let value: serde_json::Value = serde_json::from_slice(body).map_err(malformed)?;
    if !value.is_object() {
        return Err(ApiError::field("body", "the body must be a JSON object"));
    }
    check_value(&value).map_err(ApiError::Invalid)?;
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            malformed(inner)
        } else {
            let field = if path == "." {
                "body".to_string()
            } else {
                path
            };
            ApiError::field(field, strip_position(&inner.to_string()))
        }
    })?;
    de.end().map_err(malformed)?;
    Ok(value)
}

/// A 400 for a body that is not JSON (serde_json's syntax messages quote no input).
fn malformed(e: serde_json::Error) -> ApiError {
    ApiError::BadRequest {
        status: StatusCode::BAD_REQUEST,
        field: "body".into(),
        detail: format!("malformed JSON: {e}"),
    }
}

/// Walks a parsed body: the first control character in a key or string, or the first empty
/// list, is refused naming its JSON path (`lines[2].description`).
pub fn check_value(value: &serde_json::Value) -> Result<(), clearway_core::Invalid> {
    walk(value, &mut String::new(), false, true)
}

/// [`check_value`] for JSON that is not ours (a provider's event): strings and keys only.
pub fn check_strings(value: &serde_json::Value) -> Result<(), clearway_core::Invalid> {
    walk(value, &mut String::new(), false, false)
}

/// `path` is the current JSON path; `free_text` whether the current string belongs to a
/// [`FREE_TEXT_FIELDS`] key; `refuse_empty` whether an empty list is refused.
fn walk(
    value: &serde_json::Value,
    path: &mut String,
    free_text: bool,
    refuse_empty: bool,
) -> Result<(), clearway_core::Invalid> {
    use serde_json::Value;
    let here = |p: &str| {
        if p.is_empty() {
            "body".to_string()
        } else {
            p.to_string()
        }
    };
    match value {
        Value::String(s) => Ok(input::check_text(&here(path), s, free_text)?),
        Value::Array(items) if items.is_empty() && refuse_empty => {
            Err(FieldError::new(here(path), "must not be empty").into())
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, free_text, refuse_empty)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                // The key is shown escaped: a path never carries a raw control character.
                path.push_str(&input::printable(key, 64));
                input::check_text(path, key, false)?;
                let free = FREE_TEXT_FIELDS.contains(&key.as_str());
                walk(item, path, free, refuse_empty)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
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
        check_query(&parts.uri)?;
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Qs(q.0))
            .map_err(|e| ApiError::BadRequest {
                status: StatusCode::BAD_REQUEST,
                field: "query".into(),
                detail: e.body_text(),
            })
    }
}

/// Refuses control characters in any query parameter's name or (decoded) value, naming the
/// parameter: no query text is free text.
fn check_query(uri: &axum::http::Uri) -> Result<(), ApiError> {
    let Some(query) = uri.query() else {
        return Ok(());
    };
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let field = input::printable(&key, 64);
        input::check_text(&field, &key, false)
            .and_then(|()| input::check_text(&field, &value, false))
            .map_err(|e| ApiError::Invalid(e.into()))?;
    }
    Ok(())
}

/// Middleware refusing a request whose path, percent-decoded, holds a control character: path
/// segments are ids that reach the database (where NUL is an error, a 500 on PostgreSQL), and
/// no id has one. A 400 naming `path`.
pub async fn refuse_control_in_path(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    // Splitting at '&' and '=' (and reading '+' as a space) hides no control character.
    let bad = form_urlencoded::parse(req.uri().path().as_bytes())
        .any(|(k, v)| k.chars().chain(v.chars()).any(char::is_control));
    if bad {
        return ApiError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            field: "path".into(),
            detail: "the path contains a control character".into(),
        }
        .into_response();
    }
    next.run(req).await
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
