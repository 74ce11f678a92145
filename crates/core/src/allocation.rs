//! Allocation of a distribution to investors, and of each line to its tax components.
//!
//! Rounding rules (each one tested below):
//! - **Pro rata**: largest-remainder (Hamilton) apportionment in exact integer arithmetic.
//!   Every investor first gets the floor of `total × weight / Σweight` in minor units; the
//!   leftover minor units go one each to the largest remainders; equal remainders go to the
//!   earlier position in the input (callers sort by investor id, so the result is
//!   deterministic for the same input). Lines always sum exactly to the total.
//! - **Per share**: `units × rate` rounded half-up (away from zero at .5) to the currency's
//!   minor unit, per line; the total is the sum of the rounded lines.
//! - **Components**: a line is split by the declared component ratios with the same
//!   largest-remainder rule, in the fixed component order, so components tie out per line.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::components::{ComponentKind, Components};

/// Why an allocation cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    /// Nobody holds anything on the record date.
    #[error("no investor holds units on the record date")]
    NoHoldings,
    /// A weight is negative.
    #[error("weight at position {0} is negative")]
    NegativeWeight(usize),
    /// The numbers do not fit exact 128-bit arithmetic.
    #[error("amounts or holdings are too large to allocate exactly")]
    Overflow,
}

/// Converts decimal weights (shares, ownership %) to integers on a common scale, exactly.
pub fn integer_weights(weights: &[Decimal]) -> Result<Vec<u128>, AllocationError> {
    let scale = weights.iter().map(|w| w.scale()).max().unwrap_or(0);
    weights
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if w.is_sign_negative() && !w.is_zero() {
                return Err(AllocationError::NegativeWeight(i));
            }
            let mantissa = u128::try_from(w.mantissa()).map_err(|_| AllocationError::Overflow)?;
            let factor = 10u128
                .checked_pow(scale - w.scale())
                .ok_or(AllocationError::Overflow)?;
            mantissa
                .checked_mul(factor)
                .ok_or(AllocationError::Overflow)
        })
        .collect()
}

/// Splits `total` minor units across `weights` by largest remainder; see the module docs.
pub fn largest_remainder(total: u64, weights: &[u128]) -> Result<Vec<u64>, AllocationError> {
    let weight_sum = weights
        .iter()
        .try_fold(0u128, |acc, w| acc.checked_add(*w))
        .ok_or(AllocationError::Overflow)?;
    if weight_sum == 0 {
        return Err(AllocationError::NoHoldings);
    }
    let total_wide = u128::from(total);
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut floor_sum: u128 = 0;
    for (i, w) in weights.iter().enumerate() {
        let product = total_wide
            .checked_mul(*w)
            .ok_or(AllocationError::Overflow)?;
        let floor = product / weight_sum;
        floor_sum += floor;
        shares.push(floor as u64);
        remainders.push((product % weight_sum, i));
    }
    let leftover = (total_wide - floor_sum) as usize;
    debug_assert!(leftover < weights.len().max(1));
    if leftover > 0 {
        // Largest remainder first; equal remainders keep input order (stable and explicit).
        remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, i) in remainders.iter().take(leftover) {
            shares[*i] += 1;
        }
    }
    debug_assert_eq!(shares.iter().sum::<u64>(), total);
    Ok(shares)
}

/// `units × rate`, rounded half-up to `minor_units` decimals, in minor units.
pub fn per_share_amount(units: Decimal, rate: Decimal, minor_units: u32) -> Option<i64> {
    let exact = units.checked_mul(rate)?;
    let rounded = exact.round_dp_with_strategy(minor_units, RoundingStrategy::MidpointAwayFromZero);
    let minor = rounded.checked_mul(Decimal::from(10i64.pow(minor_units)))?;
    i64::try_from(minor).ok()
}

/// Component ratios of a distribution, validated to be non-negative and to sum to exactly 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentRatios {
    ratios: Vec<(ComponentKind, Decimal)>,
}

impl ComponentRatios {
    /// Validates ratios; they must be ≥ 0 and sum to exactly 1.
    pub fn new(ratios: Vec<(ComponentKind, Decimal)>) -> Result<Self, String> {
        if ratios
            .iter()
            .any(|(_, r)| r.is_sign_negative() && !r.is_zero())
        {
            return Err("component ratios must not be negative".into());
        }
        let sum: Decimal = ratios.iter().map(|(_, r)| *r).sum();
        if sum != Decimal::ONE {
            return Err(format!("component ratios must sum to 1, they sum to {sum}"));
        }
        let mut ratios = ratios;
        ratios.sort_by_key(|(k, _)| *k);
        Ok(ComponentRatios { ratios })
    }

    /// Everything is ordinary dividend: the default when no split is declared.
    pub fn all_ordinary() -> Self {
        ComponentRatios {
            ratios: vec![(ComponentKind::OrdinaryDividend, Decimal::ONE)],
        }
    }

    /// The ratios in fixed component order.
    pub fn ratios(&self) -> &[(ComponentKind, Decimal)] {
        &self.ratios
    }

    /// Splits a (possibly negative) line amount so the components sum to it exactly.
    pub fn split(&self, amount: i64) -> Components {
        let weights = integer_weights(&self.ratios.iter().map(|(_, r)| *r).collect::<Vec<_>>())
            .expect("validated ratios fit");
        let parts = largest_remainder(amount.unsigned_abs(), &weights)
            .expect("ratios sum to one, so the weight sum is positive");
        let sign = if amount < 0 { -1 } else { 1 };
        let mut components = Components::default();
        for ((kind, _), part) in self.ratios.iter().zip(parts) {
            components.set(*kind, sign * part as i64);
        }
        components
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn thirds_go_to_the_earliest_on_ties() {
        let w = integer_weights(&[d("1"), d("1"), d("1")]).unwrap();
        assert_eq!(largest_remainder(100, &w).unwrap(), vec![34, 33, 33]);
        assert_eq!(largest_remainder(101, &w).unwrap(), vec![34, 34, 33]);
    }

    #[test]
    fn largest_remainder_not_largest_holder_gets_the_cent() {
        // 10 × 0.45 = 4.5 → 4 r .5 ; 10 × 0.55 = 5.5 → 5 r .5 ; tie → first.
        let w = integer_weights(&[d("45"), d("55")]).unwrap();
        assert_eq!(largest_remainder(10, &w).unwrap(), vec![5, 5]);
        // 7 split 1:2:4 of weights with remainders 0, 0, 0.
        let w = integer_weights(&[d("1"), d("2"), d("4")]).unwrap();
        assert_eq!(largest_remainder(7, &w).unwrap(), vec![1, 2, 4]);
        // 1 cent over 0.333 / 0.333 / 0.334: the 0.334 holder has the largest remainder.
        let w = integer_weights(&[d("0.333"), d("0.333"), d("0.334")]).unwrap();
        assert_eq!(largest_remainder(1, &w).unwrap(), vec![0, 0, 1]);
    }

    #[test]
    fn mixed_scales_are_exact() {
        let w = integer_weights(&[d("1.5"), d("0.25"), d("3")]).unwrap();
        assert_eq!(w, vec![150, 25, 300]);
        assert_eq!(
            largest_remainder(100_000_001, &w)
                .unwrap()
                .iter()
                .sum::<u64>(),
            100_000_001
        );
    }

    #[test]
    fn no_holdings_and_negative_weights_are_refused() {
        assert_eq!(
            largest_remainder(5, &[0, 0]),
            Err(AllocationError::NoHoldings)
        );
        assert_eq!(
            integer_weights(&[d("1"), d("-1")]),
            Err(AllocationError::NegativeWeight(1))
        );
    }

    #[test]
    fn per_share_rounds_half_up() {
        assert_eq!(per_share_amount(d("100"), d("0.0725"), 2), Some(725));
        assert_eq!(per_share_amount(d("1"), d("0.005"), 2), Some(1)); // .005 → .01
        assert_eq!(per_share_amount(d("1"), d("0.00499"), 2), Some(0));
        assert_eq!(per_share_amount(d("3.333"), d("1.5"), 0), Some(5)); // 4.9995 → 5
    }

    #[test]
    fn component_split_ties_out_and_keeps_sign() {
        let ratios = ComponentRatios::new(vec![
            (ComponentKind::ReturnOfCapital, d("0.4")),
            (ComponentKind::OrdinaryDividend, d("0.6")),
        ])
        .unwrap();
        let c = ratios.split(101);
        assert_eq!(c.ordinary_dividend, 61);
        assert_eq!(c.return_of_capital, 40);
        let n = ratios.split(-101);
        assert_eq!(n.ordinary_dividend, -61);
        assert_eq!(n.income_sum(), -101);
        assert!(ComponentRatios::new(vec![(ComponentKind::Interest, d("0.9"))]).is_err());
        assert!(ComponentRatios::new(vec![
            (ComponentKind::Interest, d("1.1")),
            (ComponentKind::OrdinaryDividend, d("-0.1"))
        ])
        .is_err());
    }

    proptest! {
        #[test]
        fn lines_always_sum_to_total(total in 0u64..10_000_000_000_000, weights in proptest::collection::vec(0u128..10_000_000_000, 1..200)) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let shares = largest_remainder(total, &weights).unwrap();
            prop_assert_eq!(shares.iter().sum::<u64>(), total);
            let weight_sum: u128 = weights.iter().sum();
            for (s, w) in shares.iter().zip(&weights) {
                // Each share is the floor or the floor + 1 of the exact quota (quota rule).
                let floor = (u128::from(total) * w / weight_sum) as u64;
                prop_assert!(*s == floor || *s == floor + 1);
                if *w == 0 { prop_assert_eq!(*s, 0); }
            }
        }

        #[test]
        fn allocation_is_deterministic(total in 0u64..1_000_000_000, weights in proptest::collection::vec(1u128..1_000_000, 1..50)) {
            prop_assert_eq!(largest_remainder(total, &weights).unwrap(), largest_remainder(total, &weights).unwrap());
        }

        #[test]
        fn split_ties_out(amount in -10_000_000_000i64..10_000_000_000, a in 0u32..=1000) {
            let first = Decimal::new(i64::from(a), 3);
            let ratios = ComponentRatios::new(vec![
                (ComponentKind::QualifiedDividend, first),
                (ComponentKind::LongTermGain, Decimal::ONE - first),
            ]).unwrap();
            prop_assert_eq!(ratios.split(amount).income_sum(), amount);
        }
    }
}
