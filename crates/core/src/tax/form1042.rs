//! Form 1042-S figures of one foreign recipient's year in one fund: one row per income code
//! (and rate), as the 2025 Instructions for Form 1042-S set them out.
//!
//! Income codes used: `06` dividends paid by U.S. corporations (ordinary, qualified,
//! short-term gain dividends not designated exempt), `36` capital gain distributions,
//! `37` return of capital, and the interest-related / short-term capital gain dividends of a
//! RIC under their own codes from the instructions. Chapter 3 exemption codes: `04` treaty
//! (rate reduced), `02` exempt under an Internal Revenue Code section (871(k) designations),
//! `00` not exempt where tax is withheld at 30 %; chapter 4 exemption code `15` (grandfathered /
//! not a withholdable payment) or as the instructions direct for the recipient.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::form1099::DivLine;
use super::profile::TaxProfile;
use super::withholding::Designations;

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
    let _ = (year, lines, profile, fund);
    todo!("issue 19: form1042::forms")
}
