//! The application layer's error: what the core and the store refuse, and what a remote party
//! failed with. The HTTP shell maps it to problem JSON once; the job worker to retry or park.

use clearway_core::distribution::IllegalTransition;
use clearway_core::{FieldError, Invalid};
use clearway_store::StoreError;

/// Everything an application service can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input the domain rules refuse; names every offending field.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Storage refused (not found, forbidden, conflict, transition) or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A remote party (payment provider, bank API) failed or answered something unusable.
    #[error("{0}")]
    Remote(String),
}

impl From<IllegalTransition> for AppError {
    fn from(value: IllegalTransition) -> Self {
        AppError::Store(StoreError::Transition(value))
    }
}

impl AppError {
    /// A refusal of one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Invalid(FieldError::new(field, message).into())
    }

    /// A refusal because of the current state of things (HTTP 409).
    pub fn conflict(why: impl Into<String>) -> AppError {
        AppError::Store(StoreError::Conflict(why.into()))
    }
}

/// Result of an application service.
pub type AppResult<T> = Result<T, AppError>;
