//! Forms posted by the pages: urlencoded bodies parsed into a typed struct after the CSRF
//! check. Every form carries the session's secret in `_csrf` (synchronizer token); the
//! sign-in forms, before a session exists, carry the value of a `clearway_csrf` cookie
//! (double submit). A request whose `Origin` is another site is refused outright.

use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{PageError, PageResult, Viewer};

/// The cookie carrying the CSRF secret of the forms shown before sign-in.
pub const PRE_SESSION_COOKIE: &str = "clearway_csrf";

/// A parsed form (the CSRF field already checked and left out).
#[derive(Debug)]
pub struct Form<T>(pub T);

#[derive(Deserialize)]
struct Token {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

fn refused() -> PageError {
    PageError::new(
        StatusCode::FORBIDDEN,
        "Form refused",
        "This form did not come from this site or has expired. Go back, reload the page and try again.",
    )
}

/// Refuses a request whose `Origin` names another site than the one it was sent to.
fn check_origin(headers: &HeaderMap) -> PageResult<()> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let same = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|o| o == host);
    if same {
        Ok(())
    } else {
        Err(refused())
    }
}

/// Parses a form posted by a signed-in viewer, checking its `_csrf` against the session's.
pub fn parse<T: DeserializeOwned>(
    viewer: &Viewer,
    headers: &HeaderMap,
    body: &[u8],
) -> PageResult<Form<T>> {
    parse_with_secret(&viewer.csrf, headers, body)
}

/// Parses a form whose `_csrf` must equal `secret` (compared in constant time).
pub fn parse_with_secret<T: DeserializeOwned>(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> PageResult<Form<T>> {
    let token: Token = serde_urlencoded::from_bytes(body).map_err(|_| refused())?;
    check_secret(secret, headers, &token.csrf)?;
    serde_urlencoded::from_bytes(body).map(Form).map_err(|e| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "Malformed form",
            &format!("The form could not be read: {e}."),
        )
    })
}

/// Checks a form that carries nothing but its CSRF token (a button).
pub fn check(viewer: &Viewer, headers: &HeaderMap, body: &[u8]) -> PageResult<()> {
    let token: Token = serde_urlencoded::from_bytes(body).map_err(|_| refused())?;
    check_secret(&viewer.csrf, headers, &token.csrf)
}

/// Checks a form's `_csrf` read by the caller (a multipart upload's text part) against the
/// viewer's session, as [`parse`] does.
pub fn check_token(viewer: &Viewer, headers: &HeaderMap, token: &str) -> PageResult<()> {
    check_secret(&viewer.csrf, headers, token)
}

/// The request comes from this site and `token` equals `secret` (compared in constant time).
fn check_secret(secret: &str, headers: &HeaderMap, token: &str) -> PageResult<()> {
    check_origin(headers)?;
    if secret.is_empty() || !bool::from(token.as_bytes().ct_eq(secret.as_bytes())) {
        return Err(refused());
    }
    Ok(())
}

/// One field's error, shown next to it.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    /// The message for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds one.
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.into(), message.into()));
    }

    /// The refusals of an application error keyed by field (the API's field names, mapped by
    /// `rename` to the form's); `Err` with the error when it is not about fields.
    pub fn from_error(
        e: clearway_app::AppError,
        rename: impl Fn(&str) -> String,
    ) -> Result<FieldErrors, clearway_app::AppError> {
        let invalid = match e {
            clearway_app::AppError::Invalid(i) => i,
            clearway_app::AppError::Store(clearway_store::StoreError::Invalid(i)) => i,
            other => return Err(other),
        };
        Ok(FieldErrors(
            invalid
                .0
                .into_iter()
                .map(|f| (rename(&f.field), f.message))
                .collect(),
        ))
    }
}
