//! A deterministic synthetic fund for the waterfall benchmark (the example
//! `waterfall_bench` and `clearway bench waterfall` share it), and the pro-rata baseline.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use super::{
    Compounding, Contribution, DayCount, Partner, PartnerKind, PriorDistribution, Proceeds, Style,
    Terms, Tier, TierAmounts,
};
use crate::money::Currency;

/// Everything [`super::run`] takes.
#[derive(Debug, Clone)]
pub struct SyntheticFund {
    /// European; return of capital, 8 % pref compounded annually, 100 % catch-up to 20 %, 20 % carry.
    pub terms: Terms,
    /// `GP-00000` (the GP, with its own commitment) and `LP-00001`…
    pub partners: Vec<Partner>,
    /// `contributions_each` per investor, spread over 2015–2022.
    pub contributions: Vec<Contribution>,
    /// `prior_each` per investor over 2016–2024; even ones split by tier, odd ones plain.
    pub prior: Vec<PriorDistribution>,
    /// On 2025-06-30, twice the capital contributed (every tier is reached).
    pub proceeds: Proceeds,
}

/// splitmix64: a fixed, dependency-free generator so every run builds the same fund.
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % below
    }
}

/// Builds the fund; same arguments, same fund.
pub fn synthetic_fund(
    investors: usize,
    contributions_each: usize,
    prior_each: usize,
    seed: u64,
) -> SyntheticFund {
    let mut rng = Rng(seed);
    let start = NaiveDate::from_ymd_opt(2015, 1, 1).expect("valid date");
    let on = |day: u64| start + Days::new(day);
    let mut partners = Vec::with_capacity(investors);
    let mut contributions = Vec::with_capacity(investors * contributions_each);
    let mut prior = Vec::with_capacity(investors * prior_each);
    let mut called = 0i64;
    for n in 0..investors {
        let (id, kind) = if n == 0 {
            ("GP-00000".to_string(), PartnerKind::Gp)
        } else {
            (format!("LP-{n:05}"), PartnerKind::Lp)
        };
        let mut own = 0i64;
        for _ in 0..contributions_each {
            let amount = 100_000 + rng.next(5_000_000) as i64;
            own += amount;
            contributions.push(Contribution {
                investor_id: id.clone(),
                date: on(rng.next(2_900)),
                amount,
                deal: None,
            });
        }
        called += own;
        let mean = own / (3 * prior_each.max(1) as i64);
        for j in 0..prior_each {
            let amount = rng.next(mean as u64 + 1) as i64;
            let by_tier = (j % 2 == 0).then(|| TierAmounts {
                return_of_capital: amount * 3 / 4,
                preferred_return: amount - amount * 3 / 4,
                ..TierAmounts::default()
            });
            prior.push(PriorDistribution {
                investor_id: id.clone(),
                date: on(365 + rng.next(3_280)),
                deal: None,
                amount,
                by_tier,
            });
        }
        partners.push(Partner {
            investor_id: id,
            kind,
        });
    }
    SyntheticFund {
        terms: Terms {
            style: Style::European,
            tiers: vec![
                Tier::ReturnOfCapital,
                Tier::PreferredReturn {
                    rate: Decimal::new(8, 2),
                    compounding: Compounding::Annual,
                    day_count: DayCount::Act365,
                },
                Tier::CatchUp {
                    gp_percentage: Decimal::ONE,
                    target_gp_share: Decimal::new(20, 2),
                },
                Tier::CarriedInterest {
                    gp_percentage: Decimal::new(20, 2),
                },
            ],
            clawback_tax_offset: Decimal::new(25, 2),
        },
        partners,
        contributions,
        prior,
        proceeds: Proceeds {
            currency: Currency::USD,
            amount: called * 2,
            date: NaiveDate::from_ymd_opt(2025, 6, 30).expect("valid date"),
            deal: None,
        },
    }
}

/// The baseline: the same proceeds split pro rata to contributed capital by largest remainder
/// (what a plain cash distribution does), over the same inputs.
pub fn pro_rata_baseline(fund: &SyntheticFund) -> Vec<u64> {
    let index: HashMap<&str, usize> = fund
        .partners
        .iter()
        .enumerate()
        .map(|(i, p)| (p.investor_id.as_str(), i))
        .collect();
    let mut weights = vec![0u128; fund.partners.len()];
    for c in &fund.contributions {
        weights[index[c.investor_id.as_str()]] += c.amount as u128;
    }
    crate::allocation::largest_remainder(fund.proceeds.amount as u64, &weights).unwrap_or_default()
}
