//! Typed commands of the distribution services.

use clearway_core::distribution::{Allocation, Schedule};
use clearway_core::{Currency, Invalid};
use serde_json::Value;

use crate::{AppError, AppResult};

/// A distribution as declared (or as its edit replaces it), in core types.
#[derive(Debug, Clone)]
pub struct DistributionCommand {
    /// Dates.
    pub schedule: Schedule,
    /// Free text.
    pub description: String,
    /// How lines are computed.
    pub allocation: Allocation,
    /// The allocation as kept on the distribution (explicit lines are not repeated there).
    pub allocation_record: Value,
}

/// A request to declare or edit a distribution: it names its fund, and is read into a
/// [`DistributionCommand`] once the fund (and so the currency of its amounts) is known.
pub trait DistributionInput: Sync {
    /// The fund named by the request (id or code).
    fn fund_ref(&self) -> &str;
    /// The command, with amounts read in `fund_currency`; refuses naming every bad field.
    fn command(&self, fund_currency: Currency) -> Result<DistributionCommand, Invalid>;
    /// The one share class the request names, if it names one (DEFAULT when it does not).
    fn share_class(&self) -> Option<&str> {
        None
    }
}

/// Largest reversal reason accepted.
const REASON_MAX: usize = 500;

/// A reversal of a completed distribution: whole or chosen lines, and optionally a correction.
#[derive(Debug, Clone)]
pub struct ReversalCommand<'a, R> {
    /// Why (trimmed, 1 to 500 characters).
    pub(crate) reason: String,
    /// Reverse only these investors' lines; all lines when `None`.
    pub investor_ids: Option<&'a [String]>,
    /// A corrected distribution created in the same transaction.
    pub correction: Option<&'a R>,
}

impl<'a, R> ReversalCommand<'a, R> {
    /// Checks the reason (required, 1 to 500 characters once trimmed).
    pub fn new(
        reason: &str,
        investor_ids: Option<&'a [String]>,
        correction: Option<&'a R>,
    ) -> AppResult<Self> {
        let reason = reason.trim().to_string();
        if reason.is_empty() || reason.len() > REASON_MAX {
            return Err(AppError::field(
                "reason",
                "is required (1 to 500 characters)",
            ));
        }
        Ok(ReversalCommand {
            reason,
            investor_ids,
            correction,
        })
    }

    /// The checked reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}
