//! Year-end tax: investors' tax profiles, withholding when a distribution is processed, and
//! the figures of the year's forms (1099-DIV for RIC-style funds, 1042-S for foreign
//! recipients, Schedule K-1 (Form 1065) for partnerships), plus the year-end
//! re-characterization of distributions (the Form 8937 situation). Pure: the store gathers
//! the facts, these rules decide the amounts.
//!
//! - [`profile`]: TIN, TIN status, US or foreign certificate and treaty claim, state.
//! - [`withholding`]: backup (24 %), chapter 3 (30 % or treaty) and state withholding per line
//!   and component.
//! - [`form1099`]: Form 1099-DIV boxes of an investor's year in a fund, the $10 rule.
//! - [`form1042`]: Form 1042-S rows of a foreign recipient's year (income codes, rates).
//! - [`k1`]: Schedule K-1 Part III lines and Part II items J and L.
//! - [`recharacterize`]: the final character of a distribution re-split onto its lines.

pub mod form1042;
pub mod form1099;
pub mod k1;
pub mod profile;
pub mod recharacterize;
pub mod withholding;

#[cfg(test)]
mod tests;

use rust_decimal::Decimal;

/// Rounds an exact amount of minor units half away from zero (the rule of every computed
/// tax amount: withholding, box 5 and allocations before their largest-remainder pass).
pub fn round_half_up(x: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    x.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(if x.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
}
