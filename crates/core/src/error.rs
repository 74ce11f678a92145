//! Errors of the pure core: every one names the input field it is about.

use serde::Serialize;

/// One problem with one input field, named by its JSON path (e.g. `lines[3].totalAmount`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// JSON path of the offending field, as the client sent it.
    pub field: String,
    /// What is wrong, in words a fund-operations user understands.
    pub message: String,
}

impl FieldError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A request the core refuses: one or more field errors, all reported at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
pub struct Invalid(pub Vec<FieldError>);

impl From<FieldError> for Invalid {
    fn from(value: FieldError) -> Self {
        Invalid(vec![value])
    }
}
