//! The distributions pages of the operations console (staff: admin, operator, approver,
//! auditor): the list ([`list`]), the declaration wizard with its live preview and the edit
//! form ([`create`], [`wizard`]), one distribution with its timeline, lines and actions
//! ([`detail`]), and its payments with the bank files ([`payments`]). Every read and write
//! goes through the same store and application calls as the API, so roles, tenancy and the
//! lifecycle rules are theirs; investors are sent to their portal.

mod create;
mod detail;
mod list;
mod payments;
mod wizard;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

pub use list::with_cursor;

use crate::http::ApiError;
use crate::state::AppState;
use crate::web::form::FieldErrors;
use crate::web::PageError;

/// Routes of the distributions pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/distributions", get(list::list))
        .route(
            "/distributions/create",
            get(create::create_page).post(create::create),
        )
        .route("/distributions/preview", post(create::preview))
        .route("/distributions/{id}", get(detail::detail))
        .route(
            "/distributions/{id}/edit",
            get(create::edit_page).post(create::edit),
        )
        // ready, approve, process, cancel (`detail::ACTIONS`); the literal routes beside it win.
        .route("/distributions/{id}/{action}", post(detail::act))
        .route("/distributions/{id}/reversal", post(detail::reverse))
        .route("/distributions/{id}/payments", get(payments::payments))
        .route(
            "/distributions/{id}/payments/{payment_id}/retry",
            post(payments::retry),
        )
        .route(
            "/distributions/{id}/payments/files/{file_id}",
            get(payments::download),
        )
}

/// The fixed text of a notice code after a redirect (user text is never reflected).
fn notice(code: Option<&str>) -> Option<String> {
    let text = match code? {
        "created" => "The distribution was created.",
        "edited" => "The distribution was saved. It is a draft again: mark it ready when done.",
        "ready" => "The distribution was marked ready for approval.",
        "approved" => "The distribution was approved.",
        "processing" => "Processing has started; payments are being created.",
        "cancelled" => "The distribution was cancelled.",
        "reversed" => "The reversal was created. It needs approval before it is processed.",
        "retried" => "A new payment attempt was created.",
        _ => return None,
    };
    Some(text.into())
}

/// A 303 to `path` (after a successful POST).
fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

/// The headers the API's write path reads: a JSON body and, when given, the idempotency key.
fn api_headers(idempotency_key: &str) -> Result<HeaderMap, PageError> {
    let mut h = HeaderMap::new();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if !idempotency_key.is_empty() {
        let v = HeaderValue::from_str(idempotency_key).map_err(|_| {
            PageError::new(
                StatusCode::BAD_REQUEST,
                "Malformed form",
                "The form's key is damaged. Reload the page and try again.",
            )
        })?;
        h.insert("idempotency-key", v);
    }
    Ok(h)
}

/// The field errors of a refusal of the API's write path (each API field name mapped by
/// `rename` to the form's, several on one field joined); `Err` when it is not about fields.
fn field_errors(
    e: ApiError,
    rename: impl Fn(&str, &str) -> (String, String),
) -> Result<FieldErrors, ApiError> {
    let invalid = match e {
        ApiError::Invalid(i) => i,
        ApiError::Store(clearway_store::StoreError::Invalid(i)) => i,
        other => return Err(other),
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for f in invalid.0 {
        let (field, message) = rename(&f.field, &f.message);
        match out.iter_mut().find(|(k, _)| *k == field) {
            Some((_, m)) => {
                m.push_str("; ");
                m.push_str(&message);
            }
            None => out.push((field, message)),
        }
    }
    Ok(FieldErrors(out))
}

/// The query string of a page of lines (the search kept).
pub fn lines_query(q: &str, after: &str) -> String {
    crate::web::query_string(&[("q", q), ("after", after)])
}
