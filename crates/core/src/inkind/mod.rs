//! In-kind distributions: securities (validated identifiers) and the split of a quantity of a
//! security across a fund's holders, with cash in lieu of fractional units.
//!
//! # The rule (docs/private-funds.md, "In-kind distributions")
//! For `Q` whole units at value `V` per unit and record-date weights `w_i` (sum `W`):
//! - each investor's exact share is `q_i = Q × w_i / W`;
//! - each investor receives `floor(q_i)` whole units (never more than the exact share);
//! - the leftover `L = Q − Σ floor(q_i)` whole units (fewer than the number of holders) stay
//!   with the fund, which pays their value in cash instead: the cash in lieu total is
//!   `L × V` rounded half-up to the minor unit, and it is split across investors by largest
//!   remainder in proportion to their fractions `q_i − floor(q_i)` (ties to the earlier
//!   investor in id order), so the cash ties out to the cent;
//! - the property value of a line is `floor(q_i) × V` rounded half-up to the minor unit.
//!
//! Why not allocate the leftover units by largest remainder: an investor rounded up would
//! receive more than their share and owe cash back; transfer agents and fund administrators
//! round down and pay cash for fractions.

mod identifier;

pub use identifier::{check_identifier, IdentifierType};

use rust_decimal::{Decimal, RoundingStrategy};

use crate::allocation::{integer_weights, largest_remainder, AllocationError};
use crate::distribution::Holding;

/// One investor's part of an in-kind distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InKindShare {
    /// Investor.
    pub investor_id: String,
    /// Record-date holding the share came from.
    pub holding: Decimal,
    /// Whole units received.
    pub units: u64,
    /// `units × value per unit`, minor units (half-up).
    pub property_minor: i64,
    /// Cash paid for the fraction, minor units.
    pub cash_in_lieu_minor: i64,
}

/// The split of a quantity: the lines (investors with units or cash only) and what the fund
/// keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InKindSplit {
    /// Lines, in holdings order (investor id).
    pub shares: Vec<InKindShare>,
    /// Whole units distributed (Σ units).
    pub distributed_units: u64,
    /// Whole units kept by the fund, paid as cash in lieu.
    pub retained_units: u64,
    /// Cash in lieu total, minor units.
    pub cash_in_lieu_minor: i64,
}

/// `units × value` in minor units, rounded half-up (away from zero at .5).
pub fn value_minor(units: u64, value_per_unit: Decimal, minor_units: u32) -> Option<i64> {
    let exact = Decimal::from(units).checked_mul(value_per_unit)?;
    let rounded = exact.round_dp_with_strategy(minor_units, RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(rounded.checked_mul(Decimal::from(10i64.checked_pow(minor_units)?))?).ok()
}

/// Splits `quantity` units valued at `value_per_unit` across `holdings` (sorted by investor
/// id; zero holdings ignored) by the rule of the module docs.
pub fn split(
    quantity: u64,
    value_per_unit: Decimal,
    minor_units: u32,
    holdings: &[Holding],
) -> Result<InKindSplit, AllocationError> {
    let held: Vec<&Holding> = holdings.iter().filter(|h| !h.units.is_zero()).collect();
    let weights = integer_weights(&held.iter().map(|h| h.units).collect::<Vec<_>>())?;
    let sum = weights
        .iter()
        .try_fold(0u128, |a, w| a.checked_add(*w))
        .ok_or(AllocationError::Overflow)?;
    if sum == 0 {
        return Err(AllocationError::NoHoldings);
    }
    let mut units = Vec::with_capacity(held.len());
    let mut fractions = Vec::with_capacity(held.len());
    for w in &weights {
        let product = u128::from(quantity)
            .checked_mul(*w)
            .ok_or(AllocationError::Overflow)?;
        units.push((product / sum) as u64);
        fractions.push(product % sum);
    }
    let distributed: u64 = units.iter().sum();
    let retained = quantity - distributed;
    let cash_total =
        value_minor(retained, value_per_unit, minor_units).ok_or(AllocationError::Overflow)?;
    let cash = if cash_total == 0 {
        vec![0; held.len()]
    } else {
        // Σ fractions = retained × W > 0 here, so largest_remainder has a positive weight sum.
        largest_remainder(cash_total as u64, &fractions)?
    };
    let mut shares = Vec::new();
    for ((h, u), c) in held.iter().zip(&units).zip(&cash) {
        if *u == 0 && *c == 0 {
            continue;
        }
        shares.push(InKindShare {
            investor_id: h.investor_id.clone(),
            holding: h.units,
            units: *u,
            property_minor: value_minor(*u, value_per_unit, minor_units)
                .ok_or(AllocationError::Overflow)?,
            cash_in_lieu_minor: *c as i64,
        });
    }
    Ok(InKindSplit {
        shares,
        distributed_units: distributed,
        retained_units: retained,
        cash_in_lieu_minor: cash_total,
    })
}

#[cfg(test)]
mod tests;
