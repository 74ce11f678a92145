//! Form 1099-DIV figures of one investor's year in one RIC-style fund, from the year's
//! processed lines (their components as finally characterized, and what was withheld).
//!
//! Box mapping (2025 Instructions for Form 1099-DIV): 1a = ordinary + qualified + short-term
//! gain (a RIC's short-term gain distributions are ordinary dividends) + interest unless the
//! fund designates it exempt-interest; 1b = qualified; 2a = long-term gain; 3 = return of
//! capital; 4 = backup withholding; 5 = the fund's section 199A share of the non-qualified
//! ordinary dividends; 7 = foreign tax; 8 = its country; 11 = FATCA filing requirement;
//! 12 = exempt-interest dividends; 14–16 = state, payer's state number, state withheld.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::withholding::Regime;
use crate::components::Components;

/// What a fund states for its 1099-DIVs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FundTaxSettings {
    /// Chapter 3 designations (see [`super::withholding::Designations`]).
    pub designations: super::withholding::Designations,
    /// The interest component is exempt-interest dividends (box 12), not box 1a.
    pub interest_is_exempt_interest: bool,
    /// Percentage (0–100) of non-qualified ordinary dividends that are section 199A dividends.
    pub section199a_percent: Decimal,
    /// Box 8: the country or U.S. possession of the foreign tax (or `RIC` / `Various`).
    pub foreign_tax_country: Option<String>,
    /// Payer's state identification number per state (box 15).
    pub payer_state_ids: std::collections::BTreeMap<String, String>,
}

/// One processed line of the year, as 1099-DIV reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivLine {
    /// Distribution.
    pub distribution_id: String,
    /// Payable date (decides the year).
    pub payable_date: NaiveDate,
    /// Components as finally characterized; `withholding` and `foreign_tax` as stored.
    pub components: Components,
    /// Federal regime applied.
    pub regime: Regime,
    /// Federal amount withheld.
    pub federal_withheld_minor: i64,
    /// Federal amount withheld per component, in [`crate::components::ComponentKind::ALL`]
    /// order (sums to `federal_withheld_minor`; 1042-S reads it per income code).
    pub federal_by_component: [i64; 6],
    /// Federal rate per component (percent), same order.
    pub rate_by_component: [Decimal; 6],
    /// State withheld for.
    pub state: Option<String>,
    /// State amount withheld.
    pub state_withheld_minor: i64,
}

/// One state's boxes 14–16.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateBoxes {
    /// Box 14: state (USPS).
    pub state: String,
    /// Box 15: payer's state identification number.
    pub payer_state_id: Option<String>,
    /// Box 16: state income tax withheld.
    pub withheld_minor: i64,
}

/// The boxes of one Form 1099-DIV, minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Div1099 {
    /// 1a total ordinary dividends.
    pub box1a: i64,
    /// 1b qualified dividends.
    pub box1b: i64,
    /// 2a total capital gain distributions.
    pub box2a: i64,
    /// 2b unrecaptured section 1250 gain.
    pub box2b: i64,
    /// 2c section 1202 gain.
    pub box2c: i64,
    /// 2d collectibles (28 %) gain.
    pub box2d: i64,
    /// 2e section 897 ordinary dividends.
    pub box2e: i64,
    /// 2f section 897 capital gain.
    pub box2f: i64,
    /// 3 nondividend distributions.
    pub box3: i64,
    /// 4 federal income tax withheld.
    pub box4: i64,
    /// 5 section 199A dividends.
    pub box5: i64,
    /// 6 investment expenses.
    pub box6: i64,
    /// 7 foreign tax paid.
    pub box7: i64,
    /// 8 foreign country or U.S. possession.
    pub box8: Option<String>,
    /// 9 cash liquidation distributions.
    pub box9: i64,
    /// 10 noncash liquidation distributions.
    pub box10: i64,
    /// 11 FATCA filing requirement.
    pub box11: bool,
    /// 12 exempt-interest dividends.
    pub box12: i64,
    /// 13 specified private activity bond interest dividends.
    pub box13: i64,
    /// 14–16, at most two states on one form (more: another form).
    pub states: Vec<StateBoxes>,
}

/// The figures of one investor's year in one fund. Lines outside `year` are ignored.
pub fn figures(year: i32, lines: &[DivLine], fund: &FundTaxSettings, fatca: bool) -> Div1099 {
    let _ = (year, lines, fund, fatca);
    todo!("issue 19: form1099::figures")
}

/// The $10 rule: a form is due when dividends and other distributions (1a + 2a + 3 + 9 + 10 +
/// 12) reach $10 (1,000 minor units), or anything was withheld (box 4), or foreign tax paid.
pub fn must_file(d: &Div1099) -> bool {
    let _ = d;
    todo!("issue 19: form1099::must_file")
}
