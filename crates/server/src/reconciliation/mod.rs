//! Bank reconciliation: statement import, automatic matching, exceptions, manual
//! match/unmatch, reports.
//!
//! The work is in the store ([`clearway_store::statements`], [`clearway_store::reconciliation`])
//! around the pure matcher in the core; this module is the HTTP surface and the
//! `reconciliation.match` job that an import enqueues in its own transaction.

pub mod dto;
pub mod export;
pub mod routes;

use clearway_core::reconciliation::MatchConfig;
use clearway_store::jobs::{self, Job};
use clearway_store::{reconciliation as store, Actor};
use utoipa::OpenApi;

use crate::jobs::JobError;
use crate::state::AppState;

pub use routes::router;

/// Runs a job whose kind starts with `reconciliation.`: matching after an import. Matching
/// and the job's completion commit together, so a crash leaves nothing half-applied and the
/// re-run finds only what is still open.
pub async fn run_job(state: &AppState, job: &Job, worker_id: &str) -> Result<(), JobError> {
    if job.kind != clearway_app::reconciliation::MATCH_JOB {
        return Err(JobError::Permanent(format!(
            "no handler for job kind '{}'",
            job.kind
        )));
    }
    let actor = Actor::system(&job.org_id);
    let mut tx = state.db.begin().await?;
    store::run(&mut tx, &actor, "IMPORT", &MatchConfig::default()).await?;
    jobs::finish(&mut tx, job, worker_id).await?;
    tx.commit().await?;
    state.events_ready.notify_one();
    Ok(())
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(
        routes::import, routes::list_statements, routes::get_statement, routes::statement_lines,
        routes::get_line, routes::run_matching, routes::list_exceptions, routes::create_match,
        routes::get_match, routes::delete_match, routes::summary,
    ),
    components(schemas(dto::ManualMatchRequest)),
    tags((name = "reconciliation", description = "Bank statement import (BAI2, camt.052/053/054, MT940/MT942, CSV, XLSX), automatic matching to payments, exceptions, manual match/unmatch, summary."))
)]
pub struct ApiDoc;
