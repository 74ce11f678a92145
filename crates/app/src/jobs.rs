//! How a job run fails, for the handlers of each capability and the workers that retry them.

use clearway_store::jobs::Job;
use clearway_store::StoreError;

use crate::AppError;

/// Why a job run failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt later (database hiccup, lost lease, remote down).
    #[error("{0}")]
    Retryable(String),
    /// Will fail the same way again; goes straight to manual review.
    #[error("{0}")]
    Permanent(String),
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Database(_) | StoreError::Conflict(_) => JobError::Retryable(e.to_string()),
            other => JobError::Permanent(other.to_string()),
        }
    }
}

impl From<AppError> for JobError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Store(e) => e.into(),
            // A remote party may answer next time.
            AppError::Remote(why) => JobError::Retryable(why),
            AppError::Invalid(_) => JobError::Permanent(e.to_string()),
        }
    }
}

/// A required text field of a job's payload (e.g. `distributionId`).
pub fn payload_text(job: &Job, field: &str) -> Result<String, JobError> {
    job.payload
        .get(field)
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(|| JobError::Permanent(format!("payload has no {field}")))
}
