//! Form 1042-S figures of one foreign recipient's year in one fund: one row per income code
//! (and rate), as the 2025 Instructions for Form 1042-S set them out.
//!
//! Income codes (box 1), per component:
//! - `06` dividends paid by U.S. corporations — general: ordinary and qualified dividends,
//!   short-term gain not designated a short-term capital gain dividend, and interest not
//!   designated an interest-related dividend (both are then plain ordinary dividends of the
//!   RIC);
//! - `36` capital gain distributions: long-term gain (capital gain dividends), and
//!   short-term capital gain dividends designated under IRC 871(k)(2): no code in the
//!   income code list (as read for this) is specific to them, and 36 is the list's code for
//!   a RIC's capital gain distributions (a choice to confirm with the fund's preparer);
//! - `01` interest paid by U.S. obligors — general: interest-related dividends designated
//!   under IRC 871(k)(1) (no RIC-specific code in the list either; the exemption treats
//!   them as interest);
//! - `37` return of capital.
//!
//! Chapter 3 exemption code (box 3a), per component: the instructions ask for an exemption
//! code when the rate in box 3b is 00.00 and `00` when tax was withheld at a rate above zero.
//! So: `02` (exempt under an Internal Revenue Code section) for the 871(k) designations and
//! for return of capital (not income, IRC 301(c)(2)); `04` (exempt under a tax treaty) when a
//! treaty claim brought the rate to zero; `00` when withheld at any rate above zero,
//! including a reduced treaty rate (box 3b then shows the treaty rate). Chapter indicator
//! (box 3) is always 3: this product withholds under chapter 3 only. Chapter 4 exemption
//! code (box 4a) is `15` (payee not subject to chapter 4 withholding) at rate 0: a recipient
//! documented on W-8BEN / W-8BEN-E is not an FFI this product withholds on under chapter 4.
//! An undocumented recipient is still reported under chapter 3 at 30 %, with `15`.
//!
//! Grouping: one form per (income code, rate, exemption code). The exemption code follows
//! from the code and rate for one recipient and fund, so this is one form per (income code,
//! rate) in practice; keying on the exemption code too keeps two different exemptions apart in the odd
//! case. Gross income (box 2) is the sum of the components with their signs (reversals net
//! against their originals of the same year), withheld (box 7a) the sum of
//! `federal_by_component`; a group with nothing left in either is dropped. Forms are in
//! income code order, then rate.

use std::collections::BTreeMap;

use chrono::Datelike;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::form1099::DivLine;
use super::profile::TaxProfile;
use super::withholding::Designations;
use crate::components::ComponentKind;

/// One Form 1042-S (one income code and rate for one recipient), minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Form1042S {
    /// Box 1: income code (two digits).
    pub income_code: String,
    /// Box 2: gross income.
    pub gross_income_minor: i64,
    /// Box 3: chapter indicator (3 or 4).
    pub chapter: u8,
    /// Box 3a: chapter 3 exemption code (two digits).
    pub ch3_exemption_code: String,
    /// Box 3b: chapter 3 tax rate (percent).
    pub ch3_rate: Decimal,
    /// Box 4a: chapter 4 exemption code (two digits).
    pub ch4_exemption_code: String,
    /// Box 4b: chapter 4 tax rate (percent).
    pub ch4_rate: Decimal,
    /// Box 7a: federal tax withheld.
    pub withheld_minor: i64,
    /// Box 13b: recipient's country code.
    pub recipient_country: Option<String>,
    /// Box 13f: recipient's chapter 3 status code.
    pub ch3_status: Option<String>,
    /// Box 13g: recipient's chapter 4 status code.
    pub ch4_status: Option<String>,
}

/// The forms of one foreign recipient's year in one fund (one per income code and rate; empty
/// when nothing was paid). Lines outside `year` are ignored.
pub fn forms(
    year: i32,
    lines: &[DivLine],
    profile: &TaxProfile,
    fund: &Designations,
) -> Vec<Form1042S> {
    // (income code, rate, exemption code) → (gross, withheld).
    let mut groups: BTreeMap<(&'static str, Decimal, &'static str), (i64, i64)> = BTreeMap::new();
    for line in lines.iter().filter(|l| l.payable_date.year() == year) {
        for (i, kind) in ComponentKind::ALL.iter().enumerate() {
            let gross = line.components.get(*kind);
            let withheld = line.federal_by_component[i];
            if gross == 0 && withheld == 0 {
                continue;
            }
            let rate = line.rate_by_component[i].normalize();
            let code = income_code(*kind, fund);
            let exemption = ch3_exemption(*kind, fund, rate, profile);
            let g = groups.entry((code, rate, exemption)).or_default();
            g.0 += gross;
            g.1 += withheld;
        }
    }
    groups
        .into_iter()
        .filter(|(_, (gross, withheld))| *gross != 0 || *withheld != 0)
        .map(|((code, rate, exemption), (gross, withheld))| Form1042S {
            income_code: code.to_string(),
            gross_income_minor: gross,
            chapter: 3,
            ch3_exemption_code: exemption.to_string(),
            ch3_rate: rate,
            ch4_exemption_code: CH4_NOT_SUBJECT.to_string(),
            ch4_rate: Decimal::ZERO,
            withheld_minor: withheld,
            recipient_country: profile.country.clone(),
            ch3_status: profile.chapter3_status.clone(),
            ch4_status: profile.chapter4_status.clone(),
        })
        .collect()
}

/// Chapter 4 exemption code 15: payee not subject to chapter 4 withholding.
pub const CH4_NOT_SUBJECT: &str = "15";

/// Box 1 income code of a component (see the module docs).
pub fn income_code(kind: ComponentKind, fund: &Designations) -> &'static str {
    match kind {
        ComponentKind::OrdinaryDividend | ComponentKind::QualifiedDividend => "06",
        ComponentKind::ShortTermGain if fund.short_term_gain_exempt => "36",
        ComponentKind::ShortTermGain => "06",
        ComponentKind::LongTermGain => "36",
        ComponentKind::ReturnOfCapital => "37",
        ComponentKind::Interest if fund.interest_related_exempt => "01",
        ComponentKind::Interest => "06",
    }
}

/// Box 3a chapter 3 exemption code of a component at the rate it was withheld at.
fn ch3_exemption(
    kind: ComponentKind,
    fund: &Designations,
    rate: Decimal,
    profile: &TaxProfile,
) -> &'static str {
    if rate > Decimal::ZERO {
        return "00";
    }
    let designated = match kind {
        ComponentKind::ReturnOfCapital => true,
        ComponentKind::LongTermGain => fund.capital_gain_exempt,
        ComponentKind::ShortTermGain => fund.short_term_gain_exempt,
        ComponentKind::Interest => fund.interest_related_exempt,
        _ => false,
    };
    if designated {
        "02"
    } else if profile.treaty_claim {
        "04"
    } else {
        // Zero rate with neither a designation nor a treaty (e.g. a line processed before
        // withholding was switched on): nothing claimed, so no exemption is asserted.
        "00"
    }
}
