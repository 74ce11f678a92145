//! Paying investors: bank accounts, payments, rails (NACHA, pain.001, checks), providers.

use axum::Router;
use clearway_store::distributions::Distribution;
use clearway_store::jobs::Job;
use clearway_store::{Actor, Tx};
use utoipa::OpenApi;

use crate::jobs::JobError;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi()]
pub struct ApiDoc;

/// Processing step 2 (after reinvestment), inside the processing transaction: one payment per
/// line's cash part (`cash_minor > 0`).
pub async fn step(_tx: &mut Tx, _actor: &Actor, _d: &Distribution) -> Result<(), JobError> {
    Ok(())
}

/// Runs a job whose kind starts with `payment.`.
pub async fn run_job(_state: &AppState, job: &Job, _worker_id: &str) -> Result<(), JobError> {
    Err(JobError::Permanent(format!(
        "no handler for job kind '{}'",
        job.kind
    )))
}
