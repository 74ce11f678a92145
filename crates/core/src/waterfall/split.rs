//! Splits each tier total across investors by largest remainder.
//!
//! Weights: return of capital by unreturned capital; pref by accrued unpaid pref (to 10⁻⁹ of
//! a minor unit, as accrued); the LP part of catch-up and carry by capital contributed in scope;
//! the GP's promote equally among GP partners (in investor-id order for the leftover unit).

use rust_decimal::Decimal;

use super::accrual::{Account, Book};
use super::tiers::TierTotal;
use super::{FieldError, Invalid, InvestorOutcome, Outcome, TierAmounts, TierKind, TierOutcome};

const PREF_WEIGHT_SCALE: u32 = 9;

/// Builds the outcome: tier results and each investor's amounts (accounts are id-sorted).
pub(super) fn outcome(
    book: &Book,
    totals: Vec<TierTotal>,
    deal: Option<String>,
) -> Result<Outcome, Invalid> {
    let accounts = &book.accounts;
    let mut amounts = vec![TierAmounts::default(); accounts.len()];
    for t in &totals {
        let lp_part = t.allocated - t.gp;
        let lp_weights: Vec<u128> = match t.kind {
            TierKind::ReturnOfCapital => accounts.iter().map(|a| a.unreturned as u128).collect(),
            TierKind::PreferredReturn => accounts.iter().map(pref_weight).collect(),
            TierKind::CatchUp | TierKind::CarriedInterest => {
                accounts.iter().map(|a| a.contributed as u128).collect()
            }
        };
        spread(&mut amounts, t.kind, lp_part, &lp_weights)?;
        let gp_weights: Vec<u128> = accounts.iter().map(|a| u128::from(a.gp)).collect();
        spread(&mut amounts, t.kind, t.gp, &gp_weights)?;
    }
    let investors = accounts
        .iter()
        .zip(amounts)
        .map(|(a, amounts)| InvestorOutcome {
            investor_id: a.id.clone(),
            total: amounts.total(),
            amounts,
        })
        .collect();
    let tiers = totals
        .into_iter()
        .map(|t| TierOutcome {
            kind: t.kind,
            hurdle: t.hurdle,
            available: t.available,
            allocated: t.allocated,
            remaining: t.available - t.allocated,
            explanation: t.explanation,
            deal: deal.clone(),
            gp_amount: t.gp,
        })
        .collect();
    Ok(Outcome { tiers, investors })
}

fn pref_weight(a: &Account) -> u128 {
    // The accrual is carried to 10⁻⁹ of a minor unit: its mantissa is the exact weight.
    let scaled = (a.pref_unpaid * Decimal::from(10u64.pow(PREF_WEIGHT_SCALE))).trunc();
    u128::try_from(scaled).unwrap_or(0)
}

fn spread(
    amounts: &mut [TierAmounts],
    kind: TierKind,
    total: i64,
    weights: &[u128],
) -> Result<(), Invalid> {
    if total == 0 {
        return Ok(());
    }
    let weights = fit(total, weights);
    let parts = crate::allocation::largest_remainder(total as u64, &weights).map_err(|e| {
        FieldError::new(
            "proceeds.amount",
            format!("the {} tier cannot be split: {e}", kind.as_str()),
        )
    })?;
    for (row, part) in amounts.iter_mut().zip(parts) {
        row.add(kind, part as i64);
    }
    Ok(())
}

/// Drops trailing digits of all weights alike until `total × Σ weights` fits exact 128-bit
/// arithmetic (only saturated, absurd accruals ever need it; the ratios keep ≥ 18 digits).
fn fit(total: i64, weights: &[u128]) -> Vec<u128> {
    let mut weights = weights.to_vec();
    loop {
        let sum = weights.iter().try_fold(0u128, |a, w| a.checked_add(*w));
        match sum.and_then(|s| s.checked_mul(total as u128)) {
            Some(_) => return weights,
            None => weights.iter_mut().for_each(|w| *w /= 10),
        }
    }
}
