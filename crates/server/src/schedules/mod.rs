//! Recurring distribution schedules and business-day calendars over HTTP.
//!
//! - [`dto`]: wire types and their validation.
//! - [`routes`]: the API.
//! - [`pages`]: the staff pages (list, new with a preview, detail with history, calendar).
//! - [`tick`]: the worker tick materializing due drafts.

pub mod dto;
pub mod pages;
pub mod routes;
pub mod tick;

use axum::routing::{get, post};
use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

/// The schedule and calendar API routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/funds/{fund_id}/schedules", post(routes::create))
        .route("/api/schedules", get(routes::list))
        .route("/api/schedules/materialize", post(routes::materialize))
        .route("/api/schedules/{id}", get(routes::get).patch(routes::patch))
        .route("/api/schedules/{id}/pause", post(routes::pause))
        .route("/api/schedules/{id}/resume", post(routes::resume))
        .route("/api/schedules/{id}/preview", get(routes::preview))
        .route(
            "/api/calendars/{name}/holidays",
            get(routes::calendar_holidays),
        )
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(
        routes::create, routes::list, routes::get, routes::patch, routes::pause, routes::resume,
        routes::preview, routes::materialize, routes::calendar_holidays,
    ),
    components(schemas(
        dto::ScheduleRequest, dto::ScheduleView, dto::ScheduleDetail, dto::OccurrenceView,
        dto::OccurrenceDates, dto::PreviewView, dto::MaterializeRequest, dto::MaterializeView,
        dto::CreatedDraft, dto::FailedSchedule, dto::HolidayView, dto::HolidaysView,
    )),
    tags((name = "schedules", description = "Recurring distribution schedules and business-day calendars")),
)]
pub struct ApiDoc;
