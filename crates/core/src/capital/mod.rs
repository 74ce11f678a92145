//! Private-fund capital: commitments, calls pro rata to uncalled commitment, ownership as of a
//! date, allocation of a period's income/gain/loss, and the capital-account roll-forward with
//! its tie-out to the fund total. Pure: the store reads the rows, these functions decide.
//!
//! # Rules (stated, tested)
//! - **Uncalled** = committed + recallable − called, where *called* is the sum of call items
//!   plus direct contributions (capital drawn without a call). A recallable amount is recorded
//!   per investor (usually from a distribution the fund declares recallable); it raises uncalled
//!   capital and later calls consume it like any other uncalled capital.
//! - **A call** split pro rata to uncalled capital uses the largest-remainder method on minor
//!   units (ties to input order): the parts sum exactly to the call and, since every part is at
//!   most ⌈uncalled·total/Σuncalled⌉ ≤ uncalled when total ≤ Σuncalled, nobody is called above
//!   their uncalled capital.
//! - **Ownership** as of D weighs each investor by commitment (commitments dated on or before
//!   D) or by capital (net contributions on or before D), per the fund's `ownership_basis`.
//!   Percentages are exact decimals with [`PERCENT_SCALE`] places, split by largest remainder
//!   so that they sum to exactly 100.
//! - **A period amount** (income, gain, loss, expense; may be negative) is allocated by the raw
//!   ownership weights at the period start, by largest remainder on the absolute amount, with
//!   the sign put back: the parts sum exactly to the amount.
//! - **Capital account**: ending = beginning + contributions + allocated − distributions; the
//!   sum over investors ties out to the fund's own totals ([`tie_out`]).

mod account;
mod ownership;
#[cfg(test)]
mod tests;

pub use account::*;
pub use ownership::*;

use crate::FieldError;

/// Partner kind of a commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartnerKind {
    /// Limited partner.
    Lp,
    /// General partner (its commitment is treated as an LP interest for ownership).
    Gp,
}

impl PartnerKind {
    /// Stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            PartnerKind::Lp => "LP",
            PartnerKind::Gp => "GP",
        }
    }

    /// Parses `LP` or `GP` (case-insensitive) for `field`.
    pub fn parse(field: &str, text: &str) -> Result<PartnerKind, FieldError> {
        match text.trim().to_ascii_uppercase().as_str() {
            "LP" => Ok(PartnerKind::Lp),
            "GP" => Ok(PartnerKind::Gp),
            _ => Err(FieldError::new(field, "must be LP or GP")),
        }
    }
}

/// How a fund weighs ownership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnershipBasis {
    /// By committed capital.
    Commitment,
    /// By contributed capital (net contributions to date).
    Capital,
}

impl OwnershipBasis {
    /// Stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnershipBasis::Commitment => "COMMITMENT",
            OwnershipBasis::Capital => "CAPITAL",
        }
    }

    /// Parses `COMMITMENT` or `CAPITAL` for `field`.
    pub fn parse(field: &str, text: &str) -> Result<OwnershipBasis, FieldError> {
        match text.trim().to_ascii_uppercase().as_str() {
            "COMMITMENT" => Ok(OwnershipBasis::Commitment),
            "CAPITAL" => Ok(OwnershipBasis::Capital),
            _ => Err(FieldError::new(field, "must be COMMITMENT or CAPITAL")),
        }
    }
}

/// Kind of a fund-level period amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncomeKind {
    /// Interest, dividends, other income.
    Income,
    /// Realized gain (or loss, if negative).
    RealizedGain,
    /// Unrealized gain (or loss, if negative).
    UnrealizedGain,
    /// Fund expense (entered negative or positive; stored as entered, see [`IncomeKind::signed`]).
    Expense,
    /// Loss.
    Loss,
}

impl IncomeKind {
    /// All kinds, in display order.
    pub const ALL: [IncomeKind; 5] = [
        IncomeKind::Income,
        IncomeKind::RealizedGain,
        IncomeKind::UnrealizedGain,
        IncomeKind::Expense,
        IncomeKind::Loss,
    ];

    /// Stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            IncomeKind::Income => "INCOME",
            IncomeKind::RealizedGain => "REALIZED_GAIN",
            IncomeKind::UnrealizedGain => "UNREALIZED_GAIN",
            IncomeKind::Expense => "EXPENSE",
            IncomeKind::Loss => "LOSS",
        }
    }

    /// Parses a kind for `field`.
    pub fn parse(field: &str, text: &str) -> Result<IncomeKind, FieldError> {
        IncomeKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "must be INCOME, REALIZED_GAIN, UNREALIZED_GAIN, EXPENSE or LOSS",
                )
            })
    }

    /// The effect on capital of an entered amount: expenses and losses reduce capital whatever
    /// sign they were entered with (a user typing `EXPENSE 500` means −500); the other kinds
    /// keep their sign (a negative realized gain is a loss).
    pub fn signed(self, amount_minor: i64) -> i64 {
        match self {
            IncomeKind::Expense | IncomeKind::Loss => -amount_minor.abs(),
            _ => amount_minor,
        }
    }
}
