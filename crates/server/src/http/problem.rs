//! The API's one error type and its mapping to RFC 9457 problem JSON. Internals (SQL, paths)
//! never reach the client; they are logged instead.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use clearway_app::AppError;
use clearway_core::{FieldError, Invalid};
use clearway_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The first offending field, when the problem is about input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldErrorView>,
    /// For illegal transitions: the status the distribution is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_status: Option<String>,
}

/// One invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorView {
    /// JSON path of the field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No or unknown bearer token.
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// Input refused; names the fields.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Malformed request (bad JSON syntax, wrong content type).
    #[error("{detail}")]
    BadRequest {
        /// HTTP status (400, 413, 415).
        status: StatusCode,
        /// Field or part of the request at fault.
        field: String,
        /// Message.
        detail: String,
    },
    /// Storage refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A remote party (payment provider, bank API) failed; the request may be retried.
    #[error("{0}")]
    Remote(String),
    /// The server failed on its own (e.g. a response it could not serialise): a 500 problem,
    /// the cause logged, never shown.
    #[error("{0}")]
    Internal(String),
}

/// The application layer's error, mapped here once: its refusals keep their meaning.
impl From<AppError> for ApiError {
    fn from(value: AppError) -> Self {
        match value {
            AppError::Invalid(e) => ApiError::Invalid(e),
            AppError::Store(e) => ApiError::Store(e),
            AppError::Remote(why) => ApiError::Remote(why),
        }
    }
}

impl From<clearway_core::distribution::IllegalTransition> for ApiError {
    fn from(value: clearway_core::distribution::IllegalTransition) -> Self {
        ApiError::Store(StoreError::Transition(value))
    }
}

impl ApiError {
    /// A 422 for one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Invalid(FieldError::new(field, message).into())
    }
}

fn problem(status: StatusCode, slug: &str, title: &str, detail: String) -> Problem {
    Problem {
        problem_type: format!("https://clearway.dev/problems/{slug}"),
        title: title.into(),
        status: status.as_u16(),
        detail,
        field: None,
        errors: Vec::new(),
        current_status: None,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.into_problem();
        let status = StatusCode::from_u16(body.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            serde_json::to_string(&body).unwrap_or_default(),
        )
            .into_response()
    }
}

impl ApiError {
    /// The problem document of this error (the one mapping, shared by the API's JSON and the
    /// web pages' error pages).
    pub fn into_problem(self) -> Problem {
        let body = match self {
            ApiError::Unauthorized => problem(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Unauthorized",
                self.to_string(),
            ),
            ApiError::Invalid(Invalid(errors)) => {
                let mut p = problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Invalid request",
                    errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                );
                p.field = errors.first().map(|e| e.field.clone());
                p.errors = errors
                    .into_iter()
                    .map(|e| FieldErrorView {
                        field: e.field,
                        message: e.message,
                    })
                    .collect();
                p
            }
            ApiError::BadRequest {
                status,
                field,
                detail,
            } => {
                let mut p = problem(status, "malformed", "Malformed request", detail.clone());
                p.errors = vec![FieldErrorView {
                    field: field.clone(),
                    message: detail,
                }];
                p.field = Some(field);
                p
            }
            ApiError::Remote(why) => {
                tracing::warn!(error = %why, "remote party failed");
                problem(
                    StatusCode::BAD_GATEWAY,
                    "remote",
                    "Remote party failed",
                    "a remote party did not answer usably; try again later".into(),
                )
            }
            ApiError::Internal(why) => {
                tracing::error!(error = %why, "internal failure");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "an internal error occurred; it has been logged".into(),
                )
            }
            ApiError::Store(e) => match e {
                StoreError::NotFound(what) => problem(
                    StatusCode::NOT_FOUND,
                    "not-found",
                    "Not found",
                    format!("{what} not found"),
                ),
                StoreError::Forbidden(why) => {
                    problem(StatusCode::FORBIDDEN, "forbidden", "Forbidden", why)
                }
                StoreError::Conflict(why) => {
                    problem(StatusCode::CONFLICT, "conflict", "Conflict", why)
                }
                StoreError::Transition(t) => {
                    let mut p = problem(
                        StatusCode::CONFLICT,
                        "illegal-transition",
                        "Illegal status transition",
                        t.to_string(),
                    );
                    p.current_status = Some(t.current.as_str().into());
                    p
                }
                StoreError::Invalid(Invalid(errors)) => {
                    return ApiError::Invalid(Invalid(errors)).into_problem()
                }
                other => {
                    tracing::error!(error = %other, "storage failure");
                    problem(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "Internal error",
                        "an internal error occurred; it has been logged".into(),
                    )
                }
            },
        };
        printable(body)
    }
}

/// Longest detail, field or message a problem carries, in characters.
const TEXT_MAX: usize = 1000;

/// The last guard against echoed input: whatever a message quotes, a problem never carries a
/// raw control or invisible character (escaped as `\u{…}`), nor an unbounded text.
fn printable(mut p: Problem) -> Problem {
    use clearway_core::input::printable as safe;
    p.detail = safe(&p.detail, TEXT_MAX);
    p.field = p.field.map(|f| safe(&f, TEXT_MAX));
    for e in &mut p.errors {
        e.field = safe(&e.field, TEXT_MAX);
        e.message = safe(&e.message, TEXT_MAX);
    }
    p
}

/// Result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
