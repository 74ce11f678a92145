//! Unit and property tests of the tax rules. Every expected figure is computed by hand in the
//! test (comments show the arithmetic), never by calling the code under test.

mod form1042;
mod form1099;
mod k1;
mod profile;
mod props;
mod recharacterize;
mod withholding;
mod year;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::form1099::DivLine;
use super::profile::{Certificate, Residency, TaxProfile, TinStatus};
use super::withholding::Regime;
use crate::components::Components;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn date(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Components in `ComponentKind::ALL` order: ordinary, qualified, short-term, long-term,
/// return of capital, interest.
fn comps(v: [i64; 6]) -> Components {
    Components {
        ordinary_dividend: v[0],
        qualified_dividend: v[1],
        short_term_gain: v[2],
        long_term_gain: v[3],
        return_of_capital: v[4],
        interest: v[5],
        foreign_tax: 0,
        withholding: 0,
    }
}

/// A line with no withholding; tests set what they need.
fn line(on: NaiveDate, c: [i64; 6]) -> DivLine {
    DivLine {
        distribution_id: "dist".into(),
        payable_date: on,
        components: comps(c),
        regime: Regime::None,
        federal_withheld_minor: 0,
        federal_by_component: [0; 6],
        rate_by_component: [Decimal::ZERO; 6],
        state: None,
        state_withheld_minor: 0,
    }
}

fn us_certified() -> TaxProfile {
    TaxProfile {
        tin_status: TinStatus::Certified,
        certificate: Some(Certificate::W9),
        tin_last4: Some("6789".into()),
        ..TaxProfile::missing("inv-us")
    }
}

fn foreign(country: &str, treaty: bool) -> TaxProfile {
    TaxProfile {
        residency: Residency::Foreign,
        tin_status: TinStatus::Missing,
        certificate: Some(Certificate::W8Ben),
        country: Some(country.into()),
        treaty_claim: treaty,
        chapter3_status: Some("16".into()),
        chapter4_status: Some("16".into()),
        ..TaxProfile::missing("inv-f")
    }
}
