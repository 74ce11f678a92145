//! The liquidity plan: the cash a fund needs on each future payable date (forecast per unit ×
//! units outstanding, less what current elections reinvest) against its cash on hand. Exact:
//! amounts are minor units, rounded half-even from the per-unit forecast once per date.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// Most decimals a currency's minor unit may have here (ISO 4217 uses at most 4).
pub const MAX_MINOR_UNITS: u32 = 18;

/// One future payable date's inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub date: NaiveDate,
    /// Base (median) per-unit forecast and the high bound (upper 95 %) per unit.
    pub per_unit: Decimal,
    pub per_unit_high: Decimal,
    pub units: Decimal,
    /// Share of units whose current election reinvests (0..=1).
    pub reinvest_share: Decimal,
}

/// One row of the plan, in minor units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub date: NaiveDate,
    pub gross_minor: i64,
    pub reinvested_minor: i64,
    pub cash_minor: i64,
    /// Cash needed at the high bound.
    pub cash_high_minor: i64,
    /// Cash needed so far, and cash on hand left after this date.
    pub cumulative_cash_minor: i64,
    pub remaining_minor: i64,
    /// How much is missing on this date (0 when covered), base and high.
    pub shortfall_minor: i64,
    pub shortfall_high_minor: i64,
}

/// Why a plan cannot be made; `field` names the input, e.g. `needs[2].reinvest_share`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiquidityError {
    #[error("{field} must not be negative")]
    Negative { field: String },
    #[error("{field} must be between 0 and 1")]
    Share { field: String },
    #[error("{field} is below needs[{index}].per_unit")]
    HighBelowBase { field: String, index: usize },
    #[error("{field} is before the previous need's date (needs must be in date order)")]
    OutOfOrder { field: String },
    #[error("{field} is too large to plan in minor units")]
    Overflow { field: String },
    #[error("minor_units must be at most {MAX_MINOR_UNITS}, not {0}")]
    MinorUnits(u32),
}

impl LiquidityError {
    /// The input at fault.
    pub fn field(&self) -> String {
        match self {
            LiquidityError::Negative { field }
            | LiquidityError::Share { field }
            | LiquidityError::HighBelowBase { field, .. }
            | LiquidityError::OutOfOrder { field }
            | LiquidityError::Overflow { field } => field.clone(),
            LiquidityError::MinorUnits(_) => "minor_units".into(),
        }
    }
}

/// The plan for `needs` (in date order) against `on_hand_minor`, in a currency of
/// `minor_units` decimals. Refuses, naming the field, a negative amount, a share outside
/// 0..=1, a high bound below the base, dates out of order, or an amount beyond `i64`.
pub fn plan(
    needs: &[Need],
    on_hand_minor: i64,
    minor_units: u32,
) -> Result<Vec<Row>, LiquidityError> {
    if minor_units > MAX_MINOR_UNITS {
        return Err(LiquidityError::MinorUnits(minor_units));
    }
    if on_hand_minor < 0 {
        return Err(LiquidityError::Negative {
            field: "on_hand_minor".into(),
        });
    }
    for (i, need) in needs.iter().enumerate() {
        check(i, need, needs.get(i.wrapping_sub(1)))?;
    }
    let scale = Decimal::from(10i64.pow(minor_units));
    let (mut cumulative, mut cumulative_high) = (0i64, 0i64);
    let mut rows = Vec::with_capacity(needs.len());
    for (i, need) in needs.iter().enumerate() {
        let overflow = || LiquidityError::Overflow {
            field: format!("needs[{i}]"),
        };
        let (gross, reinvested) = amounts(need.per_unit, need, scale).ok_or_else(overflow)?;
        let (gross_high, reinvested_high) =
            amounts(need.per_unit_high, need, scale).ok_or_else(overflow)?;
        let cash = gross - reinvested;
        let cash_high = gross_high - reinvested_high;
        cumulative = cumulative.checked_add(cash).ok_or_else(overflow)?;
        cumulative_high = cumulative_high
            .checked_add(cash_high)
            .ok_or_else(overflow)?;
        rows.push(Row {
            date: need.date,
            gross_minor: gross,
            reinvested_minor: reinvested,
            cash_minor: cash,
            cash_high_minor: cash_high,
            cumulative_cash_minor: cumulative,
            remaining_minor: on_hand_minor - cumulative,
            shortfall_minor: shortfall(cash, cumulative, on_hand_minor),
            shortfall_high_minor: shortfall(cash_high, cumulative_high, on_hand_minor),
        });
    }
    Ok(rows)
}

/// The part of this date's `cash` that cash on hand no longer covers once `cumulative`
/// (this date included) has been paid.
fn shortfall(cash: i64, cumulative: i64, on_hand: i64) -> i64 {
    (cumulative - on_hand).clamp(0, cash)
}

/// Gross = per_unit × units in minor units, half-even; reinvested = gross × share, half-even.
fn amounts(per_unit: Decimal, need: &Need, scale: Decimal) -> Option<(i64, i64)> {
    let round = |d: Decimal| d.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
    let gross = round(per_unit.checked_mul(need.units)?.checked_mul(scale)?);
    let reinvested = round(gross.checked_mul(need.reinvest_share)?);
    Some((i64::try_from(gross).ok()?, i64::try_from(reinvested).ok()?))
}

/// Refuses need `i` when a field is out of range, naming the field.
fn check(i: usize, need: &Need, previous: Option<&Need>) -> Result<(), LiquidityError> {
    let field = |name: &str| format!("needs[{i}].{name}");
    for (name, value) in [
        ("per_unit", need.per_unit),
        ("per_unit_high", need.per_unit_high),
        ("units", need.units),
    ] {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(LiquidityError::Negative { field: field(name) });
        }
    }
    if need.per_unit_high < need.per_unit {
        return Err(LiquidityError::HighBelowBase {
            field: field("per_unit_high"),
            index: i,
        });
    }
    if need.reinvest_share < Decimal::ZERO || need.reinvest_share > Decimal::ONE {
        return Err(LiquidityError::Share {
            field: field("reinvest_share"),
        });
    }
    match previous {
        Some(p) if need.date < p.date => Err(LiquidityError::OutOfOrder {
            field: field("date"),
        }),
        _ => Ok(()),
    }
}

/// A plan's totals, e.g. for a fund's summary or an organisation's aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    pub gross_minor: i64,
    pub reinvested_minor: i64,
    pub cash_minor: i64,
    pub cash_high_minor: i64,
    pub shortfall_minor: i64,
    pub shortfall_high_minor: i64,
    /// The first date with a shortfall, base and high.
    pub first_shortfall: Option<NaiveDate>,
    pub first_shortfall_high: Option<NaiveDate>,
}

/// Sums `rows` (saturating: a plan made by [`plan`] cannot overflow its own cumulative sums).
pub fn totals(rows: &[Row]) -> Totals {
    let mut t = Totals::default();
    for r in rows {
        t.gross_minor = t.gross_minor.saturating_add(r.gross_minor);
        t.reinvested_minor = t.reinvested_minor.saturating_add(r.reinvested_minor);
        t.cash_minor = t.cash_minor.saturating_add(r.cash_minor);
        t.cash_high_minor = t.cash_high_minor.saturating_add(r.cash_high_minor);
        t.shortfall_minor = t.shortfall_minor.saturating_add(r.shortfall_minor);
        t.shortfall_high_minor = t
            .shortfall_high_minor
            .saturating_add(r.shortfall_high_minor);
        if r.shortfall_minor > 0 && t.first_shortfall.is_none() {
            t.first_shortfall = Some(r.date);
        }
        if r.shortfall_high_minor > 0 && t.first_shortfall_high.is_none() {
            t.first_shortfall_high = Some(r.date);
        }
    }
    t
}

#[cfg(test)]
mod tests;
