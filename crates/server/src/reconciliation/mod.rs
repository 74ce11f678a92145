//! Bank reconciliation: statement import, automatic matching, exceptions, manual
//! match/unmatch, reports.
//!
//! The work is in the application layer ([`clearway_app::reconciliation`]: import, matching
//! runs, manual match/unmatch) over the store's reads and writes; this module is the HTTP
//! surface and the adapter of the `reconciliation.match` job that an import enqueues.

pub mod dto;
pub mod export;
pub mod pages;
pub mod routes;

use clearway_store::jobs::Job;
use utoipa::OpenApi;

use crate::jobs::JobError;
use crate::state::AppState;

pub use routes::router;

/// Runs a job whose kind starts with `reconciliation.`: matching after an import
/// ([`clearway_app::reconciliation::match_job`]).
pub async fn run_job(state: &AppState, job: &Job, worker_id: &str) -> Result<(), JobError> {
    clearway_app::reconciliation::match_job(&state.db, job, worker_id).await?;
    state.events_ready.notify_one();
    Ok(())
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(
        routes::import, routes::list_statements, routes::get_statement, routes::statement_lines,
        routes::get_line, routes::run_matching, routes::list_exceptions, routes::create_match,
        routes::get_match, routes::delete_match, routes::summary, routes::approve_match_request,
    ),
    components(schemas(dto::ManualMatchRequest)),
    tags((name = "reconciliation", description = "Bank statement import (BAI2, camt.052/053/054, MT940/MT942, CSV, XLSX), automatic matching to payments, exceptions, manual match/unmatch, summary."))
)]
pub struct ApiDoc;
