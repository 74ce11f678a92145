//! Form 1099-DIV figures of one investor's year in one RIC-style fund, from the year's
//! processed lines (their components as finally characterized, and what was withheld).
//!
//! Box mapping (2025 Instructions for Form 1099-DIV): 1a = ordinary + qualified + short-term
//! gain (a RIC's short-term gain distributions are ordinary dividends) + interest unless the
//! fund designates it exempt-interest; 1b = qualified; 2a = long-term gain; 3 = return of
//! capital; 4 = backup withholding; 5 = the fund's section 199A share of the non-qualified
//! ordinary dividends; 7 = foreign tax; 8 = its country; 11 = FATCA filing requirement;
//! 12 = exempt-interest dividends; 14–16 = state, payer's state number, state withheld.
//!
//! Rules this module decides (each tested in `tax::tests`):
//! - **Year**: a line belongs to the year of its payable date; other lines are ignored.
//! - **Reversals**: lines are summed with their signs, so a negative (reversal) line nets
//!   against its original of the same year; a reversal dated in another year stays there.
//! - **Box 4** is the federal amount withheld on lines whose regime is `BACKUP` only
//!   (chapter 3 withholding of a foreign person goes on Form 1042-S, never here).
//! - **Box 5** = `section199a_percent` % of the year's summed ordinary (non-qualified)
//!   dividend component, rounded half away from zero **once, on the year's sum** (not per
//!   line), and never below zero. It is therefore not additive across lines: the sum of
//!   per-line box 5 figures can differ from the year's by the rounding of each line.
//! - **Box 8** is the fund's stated country, shown only when box 7 is not zero.
//! - **Boxes 14–16**: state withheld summed per state; states whose net is zero are left
//!   off. One form carries at most two states: when a third appears (an investor who moved
//!   twice in a year, rare) the two largest amounts are kept (equal amounts: the state code
//!   earlier in the alphabet) and the rest left off this form for the preparer to report
//!   on another; the kept states are listed by state code.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::round_half_up;
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

impl DivLine {
    /// A processed line as the forms read it: its components and the withholding decided
    /// for it when it was processed.
    pub fn new(
        distribution_id: &str,
        payable_date: NaiveDate,
        components: Components,
        withheld: &super::withholding::Withheld,
    ) -> DivLine {
        DivLine {
            distribution_id: distribution_id.to_string(),
            payable_date,
            components,
            regime: withheld.regime,
            federal_withheld_minor: withheld.federal_minor,
            federal_by_component: withheld.federal_by_component,
            rate_by_component: withheld.rate_by_component,
            state: withheld.state.clone(),
            state_withheld_minor: withheld.state_minor,
        }
    }
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
    let mut d = Div1099 {
        box11: fatca,
        ..Div1099::default()
    };
    let mut ordinary: i64 = 0;
    let mut states: BTreeMap<String, i64> = BTreeMap::new();
    for line in lines.iter().filter(|l| l.payable_date.year() == year) {
        let c = &line.components;
        ordinary += c.ordinary_dividend;
        d.box1a += c.ordinary_dividend + c.qualified_dividend + c.short_term_gain;
        if fund.interest_is_exempt_interest {
            d.box12 += c.interest;
        } else {
            d.box1a += c.interest;
        }
        d.box1b += c.qualified_dividend;
        d.box2a += c.long_term_gain;
        d.box3 += c.return_of_capital;
        d.box7 += c.foreign_tax;
        if line.regime == Regime::Backup {
            d.box4 += line.federal_withheld_minor;
        }
        if let Some(state) = &line.state {
            *states.entry(state.clone()).or_default() += line.state_withheld_minor;
        }
    }
    d.box5 = box5(ordinary, fund.section199a_percent);
    if d.box7 != 0 {
        d.box8 = fund.foreign_tax_country.clone();
    }
    d.states = state_boxes(states, fund);
    d
}

/// Section 199A dividends: `percent` % of the year's ordinary dividends, rounded half up once.
fn box5(ordinary_minor: i64, percent: Decimal) -> i64 {
    if ordinary_minor <= 0 || percent <= Decimal::ZERO {
        return 0;
    }
    round_half_up(Decimal::from(ordinary_minor) * percent / Decimal::ONE_HUNDRED)
}

/// Boxes 14–16: the (at most) two states with the largest amounts, listed by state code.
fn state_boxes(states: BTreeMap<String, i64>, fund: &FundTaxSettings) -> Vec<StateBoxes> {
    let mut v: Vec<(String, i64)> = states.into_iter().filter(|(_, m)| *m != 0).collect();
    // Largest first; the BTreeMap order makes equal amounts keep the earlier state code.
    v.sort_by_key(|s| std::cmp::Reverse(s.1));
    v.truncate(2);
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.into_iter()
        .map(|(state, withheld_minor)| StateBoxes {
            payer_state_id: fund.payer_state_ids.get(&state).cloned(),
            state,
            withheld_minor,
        })
        .collect()
}

/// The reporting threshold, minor units ($10: Instructions for Form 1099-DIV).
pub const THRESHOLD_MINOR: i64 = 1_000;

/// The $10 rule: a form is due when dividends and other distributions (1a + 2a + 3 + 9 + 10 +
/// 12) reach $10 (1,000 minor units), or anything was withheld (box 4), or foreign tax paid.
///
/// The Instructions for Form 1099-DIV ask for a form for each person (1) paid dividends
/// (including capital gain and exempt-interest dividends) and other distributions of $10 or
/// more, (2) for whom any foreign tax was withheld and paid, (3) from whom any federal tax
/// was withheld under the backup withholding rules, or (4) paid $600 or more in a
/// liquidation. (4) is implied by (1) since boxes 9 and 10 are counted there. Boxes 2b–2f
/// (including the section 1202 and 897 amounts) and box 5 are parts of 1a or 2a, so they are
/// not added again.
pub fn must_file(d: &Div1099) -> bool {
    let distributions = d.box1a + d.box2a + d.box3 + d.box9 + d.box10 + d.box12;
    distributions >= THRESHOLD_MINOR || d.box4 > 0 || d.box7 > 0
}
