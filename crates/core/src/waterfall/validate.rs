//! Validation of terms (stored per fund) and of the inputs of one run; every problem is
//! reported with its JSON path, all at once.

use std::collections::HashSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::accrual::Owners;
use super::{
    Contribution, FieldError, Invalid, Partner, PartnerKind, PriorDistribution, Proceeds, Style,
    Terms, Tier, TierKind,
};

/// Largest amount accepted (10¹⁵ minor units: ten trillion in a two-decimal currency), so
/// that sums over a fund's history stay far inside 64 bits.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

fn amount_error(field: String, amount: i64, errors: &mut Vec<FieldError>) {
    if amount < 0 {
        errors.push(FieldError::new(field, "must not be negative"));
    } else if amount > MAX_AMOUNT {
        errors.push(FieldError::new(
            field,
            format!("must not exceed {MAX_AMOUNT} minor units"),
        ));
    }
}

fn in_unit_range(d: Decimal) -> bool {
    d >= Decimal::ZERO && d <= Decimal::ONE
}

impl Terms {
    /// Checks the tiers (order, duplicates, rates, percentages, catch-up vs carry) and the
    /// clawback tax offset.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Vec::new();
        if self.tiers.is_empty() {
            errors.push(FieldError::new("tiers", "at least one tier is required"));
        }
        let carry = self.tiers.iter().find_map(|t| match t {
            Tier::CarriedInterest { gp_percentage } => Some(*gp_percentage),
            _ => None,
        });
        let mut previous: Option<TierKind> = None;
        for (i, tier) in self.tiers.iter().enumerate() {
            let at = |f: &str| format!("tiers[{i}]{f}");
            if let Some(prev) = previous {
                if prev == tier.kind() {
                    errors.push(FieldError::new(
                        at(".kind"),
                        format!("{} appears twice", tier.kind().as_str()),
                    ));
                } else if prev > tier.kind() {
                    errors.push(FieldError::new(at(".kind"), format!(
                        "{} must come before {}: the order is RETURN_OF_CAPITAL, PREFERRED_RETURN, CATCH_UP, CARRIED_INTEREST",
                        tier.kind().as_str(), prev.as_str())));
                }
            }
            previous = Some(previous.map_or(tier.kind(), |p| p.max(tier.kind())));
            tier_errors(tier, carry, &at, &mut errors);
        }
        if !self.tiers.is_empty()
            && self.tiers.last().map(Tier::kind) != Some(TierKind::CarriedInterest)
        {
            errors.push(FieldError::new("tiers", "the last tier must be CARRIED_INTEREST (use a 0 % GP share to give everything left to the LPs)"));
        }
        if !in_unit_range(self.clawback_tax_offset) {
            errors.push(FieldError::new(
                "clawbackTaxOffset",
                "must be between 0 and 1",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(errors))
        }
    }
}

fn tier_errors(
    tier: &Tier,
    carry: Option<Decimal>,
    at: &dyn Fn(&str) -> String,
    errors: &mut Vec<FieldError>,
) {
    match tier {
        Tier::ReturnOfCapital => {}
        Tier::PreferredReturn { rate, .. } => {
            if rate.is_sign_negative() && !rate.is_zero() {
                errors.push(FieldError::new(at(".rate"), "must not be negative"));
            } else if *rate > Decimal::ONE {
                errors.push(FieldError::new(
                    at(".rate"),
                    "must not exceed 1 (100 % a year)",
                ));
            }
        }
        Tier::CatchUp {
            gp_percentage,
            target_gp_share,
        } => {
            let ok_gp = in_unit_range(*gp_percentage);
            let ok_target = in_unit_range(*target_gp_share);
            if !ok_gp {
                errors.push(FieldError::new(
                    at(".gpPercentage"),
                    "must be between 0 and 1",
                ));
            }
            if !ok_target {
                errors.push(FieldError::new(
                    at(".targetGpShare"),
                    "must be between 0 and 1",
                ));
            }
            match carry {
                None => errors.push(FieldError::new(
                    at(""),
                    "a CATCH_UP needs a CARRIED_INTEREST tier after it",
                )),
                Some(c) if ok_target && c != *target_gp_share => errors.push(FieldError::new(
                    at(".targetGpShare"),
                    format!("must equal the carried-interest GP percentage {c}"),
                )),
                _ => {}
            }
            if ok_gp && ok_target && gp_percentage <= target_gp_share {
                errors.push(FieldError::new(
                    at(".gpPercentage"),
                    "must be greater than the target GP share, or the GP never catches up",
                ));
            }
        }
        Tier::CarriedInterest { gp_percentage } => {
            if !in_unit_range(*gp_percentage) {
                errors.push(FieldError::new(
                    at(".gpPercentage"),
                    "must be between 0 and 1",
                ));
            }
        }
    }
}

/// Partners, contributions and prior distributions: known ids, amounts, tier splits.
fn common(
    partners: &[Partner],
    owners: &Owners,
    contributions: &[Contribution],
    prior: &[PriorDistribution],
    errors: &mut Vec<FieldError>,
) {
    let mut ids = HashSet::new();
    for (i, p) in partners.iter().enumerate() {
        if !ids.insert(p.investor_id.as_str()) {
            errors.push(FieldError::new(
                format!("partners[{i}].investorId"),
                "appears twice",
            ));
        }
    }
    for (i, c) in contributions.iter().enumerate() {
        if owners.contributions[i].is_none() {
            errors.push(FieldError::new(
                format!("contributions[{i}].investorId"),
                "is not a partner of the fund",
            ));
        }
        amount_error(format!("contributions[{i}].amount"), c.amount, errors);
    }
    for (i, p) in prior.iter().enumerate() {
        if owners.prior[i].is_none() {
            errors.push(FieldError::new(
                format!("prior[{i}].investorId"),
                "is not a partner of the fund",
            ));
        }
        amount_error(format!("prior[{i}].amount"), p.amount, errors);
        if let Some(t) = p.by_tier {
            let parts = [
                t.return_of_capital,
                t.preferred_return,
                t.catch_up,
                t.carried_interest,
            ];
            if parts.iter().any(|a| *a < 0) {
                errors.push(FieldError::new(
                    format!("prior[{i}].byTier"),
                    "tier amounts must not be negative",
                ));
            } else if parts.iter().sum::<i64>() != p.amount {
                errors.push(FieldError::new(
                    format!("prior[{i}].byTier"),
                    "tier amounts must sum to the amount",
                ));
            }
        }
    }
}

/// Everything [`super::run`] needs beyond valid terms.
pub(super) fn run_inputs(
    terms: &Terms,
    partners: &[Partner],
    owners: &Owners,
    contributions: &[Contribution],
    prior: &[PriorDistribution],
    proceeds: &Proceeds,
) -> Result<(), Invalid> {
    let mut errors = Vec::new();
    common(partners, owners, contributions, prior, &mut errors);
    let american = terms.style == Style::American;
    let after = |d: NaiveDate| d > proceeds.date;
    for (i, c) in contributions.iter().enumerate() {
        if after(c.date) {
            errors.push(FieldError::new(
                format!("contributions[{i}].date"),
                format!("is after the distribution date {}", proceeds.date),
            ));
        }
        if american && c.deal.is_none() {
            errors.push(FieldError::new(
                format!("contributions[{i}].deal"),
                "is required for an American (deal-by-deal) waterfall",
            ));
        }
    }
    for (i, p) in prior.iter().enumerate() {
        if after(p.date) {
            errors.push(FieldError::new(
                format!("prior[{i}].date"),
                format!("is after the distribution date {}", proceeds.date),
            ));
        }
        if american && p.deal.is_none() {
            errors.push(FieldError::new(
                format!("prior[{i}].deal"),
                "is required for an American (deal-by-deal) waterfall",
            ));
        }
    }
    amount_error("proceeds.amount".into(), proceeds.amount, &mut errors);
    if american && proceeds.deal.is_none() {
        errors.push(FieldError::new(
            "proceeds.deal",
            "is required for an American (deal-by-deal) waterfall",
        ));
    }
    let has_carry = terms
        .tiers
        .iter()
        .any(|t| matches!(t, Tier::CarriedInterest { .. } | Tier::CatchUp { .. }));
    if has_carry && !partners.iter().any(|p| p.kind == PartnerKind::Gp) {
        errors.push(FieldError::new(
            "partners",
            "a GP partner is required to receive the carried interest",
        ));
    }
    let in_scope = |d: &Option<String>| !american || *d == proceeds.deal;
    let capital: i64 = contributions
        .iter()
        .filter(|c| in_scope(&c.deal))
        .map(|c| c.amount.max(0))
        .sum();
    if errors.is_empty() && proceeds.amount > 0 && capital == 0 {
        errors.push(FieldError::new(
            "contributions",
            "no capital was contributed (to this deal), so nobody can receive the proceeds",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Invalid(errors))
    }
}

/// Everything [`super::clawback`] needs beyond valid terms.
pub(super) fn clawback_inputs(
    partners: &[Partner],
    owners: &Owners,
    contributions: &[Contribution],
    prior: &[PriorDistribution],
) -> Result<(), Invalid> {
    let mut errors = Vec::new();
    common(partners, owners, contributions, prior, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Invalid(errors))
    }
}
