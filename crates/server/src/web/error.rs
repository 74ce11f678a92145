//! Error pages: what a page request failed with, as HTML with its status. Application and
//! store errors go through the API's one mapping ([`crate::http::ApiError::into_problem`]), so
//! a page and the API answer the same status for the same refusal (another investor's
//! distribution is a 404 in both).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::http::ApiError;

/// A page that could not be shown.
#[derive(Debug)]
pub struct PageError {
    /// HTTP status.
    pub status: StatusCode,
    /// Heading.
    pub title: String,
    /// What went wrong, for the person reading it.
    pub detail: String,
}

/// Result of a page handler.
pub type PageResult<T> = Result<T, PageError>;

impl PageError {
    /// An error page.
    pub fn new(status: StatusCode, title: &str, detail: &str) -> PageError {
        PageError {
            status,
            title: title.into(),
            detail: detail.into(),
        }
    }

    /// The 404 page.
    pub fn not_found() -> PageError {
        PageError::new(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such page, or it is not yours to see.",
        )
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        let p = e.into_problem();
        let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status == StatusCode::NOT_FOUND {
            return PageError::not_found();
        }
        PageError {
            status,
            title: p.title,
            detail: p.detail,
        }
    }
}

impl From<clearway_app::AppError> for PageError {
    fn from(e: clearway_app::AppError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<clearway_store::StoreError> for PageError {
    fn from(e: clearway_store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    detail: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            status: self.status.as_u16(),
            title: &self.title,
            detail: &self.detail,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.detail).into_response(),
        }
    }
}

/// Renders a template into a 200 HTML response (a template that fails to render is a 500).
pub fn render(t: &impl Template) -> PageResult<Response> {
    render_status(StatusCode::OK, t)
}

/// Renders a template with a status (a form shown again with its errors is a 422).
pub fn render_status(status: StatusCode, t: &impl Template) -> PageResult<Response> {
    t.render()
        .map(|html| (status, Html(html)).into_response())
        .map_err(|e| {
            tracing::error!(error = %e, "template failed");
            PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
                "The page could not be drawn; the cause has been logged.",
            )
        })
}
