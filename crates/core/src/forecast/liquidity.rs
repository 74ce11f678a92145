//! The liquidity plan: the cash a fund needs on each future payable date (forecast per unit ×
//! units outstanding, less what current elections reinvest) against its cash on hand. Exact:
//! amounts are minor units, rounded half-even from the per-unit forecast once per date.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

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

/// The plan for `needs` (in date order) against `on_hand_minor`, in a currency of
/// `minor_units` decimals (placeholder until the plan lands: empty).
pub fn plan(_needs: &[Need], _on_hand_minor: i64, _minor_units: u32) -> Vec<Row> {
    Vec::new()
}
