//! Ownership weights and percentages, call splits and period allocations.

use rust_decimal::Decimal;

use crate::allocation::largest_remainder;
use crate::FieldError;

/// Decimal places of an ownership percentage (sums to exactly 100 at this scale).
pub const PERCENT_SCALE: u32 = 10;

/// One investor's weight (minor units of commitment or capital).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weight {
    /// Investor.
    pub investor_id: String,
    /// Weight; zero or negative weights own nothing.
    pub weight: i64,
}

/// Exact ownership percentages (scale [`PERCENT_SCALE`]) summing to exactly 100, by largest
/// remainder over the positive weights; `None` when nobody has a positive weight.
pub fn ownership_percentages(weights: &[Weight]) -> Option<Vec<(String, Decimal)>> {
    let ws: Vec<u128> = weights.iter().map(|w| w.weight.max(0) as u128).collect();
    let units = 100u64 * 10u64.pow(PERCENT_SCALE);
    let parts = largest_remainder(units, &ws).ok()?;
    Some(
        weights
            .iter()
            .zip(parts)
            .map(|(w, p)| (w.investor_id.clone(), Decimal::new(p as i64, PERCENT_SCALE)))
            .collect(),
    )
}

/// Splits a signed `amount_minor` across `weights` by largest remainder on its absolute value
/// (the sign put back on every part), so the parts sum exactly to the amount. `field` names
/// the amount in the refusal when nobody owns anything.
pub fn allocate_amount(
    field: &str,
    amount_minor: i64,
    weights: &[Weight],
) -> Result<Vec<i64>, FieldError> {
    let ws: Vec<u128> = weights.iter().map(|w| w.weight.max(0) as u128).collect();
    let parts = largest_remainder(amount_minor.unsigned_abs(), &ws).map_err(|_| {
        FieldError::new(
            field,
            "nobody owns the fund at that date, so it cannot be allocated",
        )
    })?;
    let sign = if amount_minor < 0 { -1 } else { 1 };
    Ok(parts.into_iter().map(|p| sign * p as i64).collect())
}

/// An investor's uncalled capital going into a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncalled {
    /// Investor.
    pub investor_id: String,
    /// Committed + recallable − called, in minor units (never below zero when used).
    pub uncalled_minor: i64,
}

/// Uncalled capital: committed + recallable − called (see the module rules).
pub fn uncalled(committed: i64, called: i64, recallable: i64) -> i64 {
    committed + recallable - called
}

/// Splits a call of `total_minor` pro rata to uncalled capital; refuses a call above the total
/// uncalled capital (`field` names the amount).
pub fn split_call(
    field: &str,
    total_minor: i64,
    uncalled: &[Uncalled],
) -> Result<Vec<i64>, FieldError> {
    if total_minor <= 0 {
        return Err(FieldError::new(field, "must be more than zero"));
    }
    let available: i64 = uncalled.iter().map(|u| u.uncalled_minor.max(0)).sum();
    if total_minor > available {
        return Err(FieldError::new(
            field,
            format!("exceeds the uncalled capital of the fund ({available} minor units)"),
        ));
    }
    let ws: Vec<Weight> = uncalled
        .iter()
        .map(|u| Weight {
            investor_id: u.investor_id.clone(),
            weight: u.uncalled_minor,
        })
        .collect();
    allocate_amount(field, total_minor, &ws)
}

/// Refuses call items above an investor's uncalled capital: the errors name `items[i].amount`.
pub fn check_call_items(items: &[(i64, i64)]) -> Vec<FieldError> {
    items
        .iter()
        .enumerate()
        .filter(|(_, (amount, uncalled))| amount > uncalled)
        .map(|(i, (_, uncalled))| {
            FieldError::new(
                format!("items[{i}].amount"),
                format!("exceeds the investor's uncalled capital ({uncalled} minor units)"),
            )
        })
        .collect()
}
