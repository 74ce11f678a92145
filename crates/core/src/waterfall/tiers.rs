//! Fund-level tier totals: what each tier needs, gets and passes on, and the clawback.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::money::Currency;

use super::accrual::{Book, Owners};
use super::{Clawback, Compounding, Contribution, PriorDistribution, Terms, Tier, TierKind};

/// The fund's figures the tiers are measured against.
pub(super) struct Position {
    /// Currency of every amount (for the explanations).
    pub currency: Currency,
    pub date: NaiveDate,
    /// Unreturned contributed capital.
    pub capital: i64,
    /// Accrued unpaid pref, exact.
    pub pref: Decimal,
    /// Profit distributed before this run: pref + catch-up + carry + plain profit.
    pub profit_before: Decimal,
    /// The GP's promote in that profit.
    pub promote_before: Decimal,
}

/// One tier's fund-level result.
pub(super) struct TierTotal {
    pub kind: TierKind,
    pub hurdle: i64,
    pub available: i64,
    pub allocated: i64,
    /// The GP's promote within `allocated`.
    pub gp: i64,
    pub explanation: String,
}

impl Book {
    /// The position a run is measured against (net of prior distributions).
    pub fn fund_position(&self, terms: &Terms, currency: Currency) -> Position {
        let (cu, carry) = promote_rates(terms);
        let mut pos = Position {
            currency,
            date: self.date,
            capital: 0,
            pref: Decimal::ZERO,
            profit_before: Decimal::from(self.catch_up_paid + self.carry_paid),
            promote_before: cu * Decimal::from(self.catch_up_paid)
                + carry * Decimal::from(self.carry_paid),
        };
        for a in &self.accounts {
            pos.capital += a.unreturned;
            pos.pref = pos.pref.saturating_add(a.pref_unpaid);
            pos.profit_before += a.pref_paid + a.plain_profit;
        }
        pos
    }
}

/// The GP's share of the catch-up tier (1 when none is configured) and of the carry tier.
pub(super) fn promote_rates(terms: &Terms) -> (Decimal, Decimal) {
    let mut rates = (Decimal::ONE, Decimal::ZERO);
    for t in &terms.tiers {
        match t {
            Tier::CatchUp { gp_percentage, .. } => rates.0 = *gp_percentage,
            Tier::CarriedInterest { gp_percentage } => rates.1 = *gp_percentage,
            _ => {}
        }
    }
    rates
}

/// Rounds exact minor units to a whole minor unit, half away from zero.
pub(super) fn round_minor(value: Decimal) -> i64 {
    let rounded = value.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// Runs `amount` down the configured tiers.
pub(super) fn waterfall(terms: &Terms, amount: i64, pos: &Position) -> Vec<TierTotal> {
    let mut available = amount;
    let mut pref_allocated = 0i64;
    let mut out = Vec::with_capacity(terms.tiers.len());
    for tier in &terms.tiers {
        let (hurdle, why) = hurdle(tier, pos, available, pref_allocated);
        let allocated = available.min(hurdle);
        let gp = gp_part(tier, allocated);
        if tier.kind() == TierKind::PreferredReturn {
            pref_allocated = allocated;
        }
        out.push(TierTotal {
            kind: tier.kind(),
            hurdle,
            available,
            allocated,
            gp,
            explanation: format!(
                "{why} {}",
                cleared(hurdle, available, allocated, gp, pos.currency)
            ),
        });
        available -= allocated;
    }
    out
}

/// What a tier needs, and how that was computed, in words.
fn hurdle(tier: &Tier, pos: &Position, available: i64, pref_allocated: i64) -> (i64, String) {
    match tier {
        Tier::ReturnOfCapital => (
            pos.capital,
            format!("Return of capital: the LPs' unreturned contributed capital is {}.", money(pos.capital, pos.currency)),
        ),
        Tier::PreferredReturn { rate, compounding, .. } => {
            let h = round_minor(pos.pref);
            let how = match compounding {
                Compounding::Simple => "simple on unreturned capital",
                Compounding::Annual => "compounded annually on capital plus unpaid pref",
            };
            (h, format!(
                "Preferred return: {} % a year, {how}, actual/365, accrued unpaid to {} is {} exactly, rounded half away from zero to {}.",
                (*rate * Decimal::ONE_HUNDRED).normalize(), pos.date, exact(pos.pref, pos.currency), money(h, pos.currency)))
        }
        Tier::CatchUp { gp_percentage, target_gp_share } => {
            let profit = pos.profit_before + Decimal::from(pref_allocated);
            let need = ((*target_gp_share * profit - pos.promote_before)
                / (*gp_percentage - *target_gp_share))
                .max(Decimal::ZERO);
            let h = round_minor(need);
            (h, format!(
                "GP catch-up at {} % to the GP: cumulative profit so far is {} with a GP promote of {}; to bring the promote to {} % of profit the tier needs (target × profit − promote) / (catch-up % − target) = {}, rounded to {}.",
                pct(*gp_percentage), money_d(profit, pos.currency), money_d(pos.promote_before, pos.currency), pct(*target_gp_share), money_d(need, pos.currency), money(h, pos.currency)))
        }
        Tier::CarriedInterest { gp_percentage } => (available, format!(
            "Carried interest: everything that reaches this tier is split {} % to the GP and {} % to the LPs pro rata to contributed capital.",
            pct(*gp_percentage), pct(Decimal::ONE - *gp_percentage))),
    }
}

/// How much reached the tier, cleared it (to whom) and remained, in words.
fn cleared(hurdle: i64, available: i64, allocated: i64, gp: i64, cur: Currency) -> String {
    let to_whom = if gp > 0 {
        format!(
            "{} to the GP, {} to LPs",
            money(gp, cur),
            money(allocated - gp, cur)
        )
    } else {
        "all to LPs".into()
    };
    let unmet = if allocated < hurdle {
        format!(
            "; {} of the hurdle is still unmet",
            money(hurdle - allocated, cur)
        )
    } else {
        String::new()
    };
    format!(
        "{} reached the tier, {} cleared it ({to_whom}), {} remained for the next tier{unmet}.",
        money(available, cur),
        money(allocated, cur),
        money(available - allocated, cur),
    )
}

/// The GP's promote in a catch-up or carry tier: largest remainder over [gp %, 1 − gp %].
fn gp_part(tier: &Tier, allocated: i64) -> i64 {
    let share = match tier {
        Tier::CatchUp { gp_percentage, .. } | Tier::CarriedInterest { gp_percentage } => {
            *gp_percentage
        }
        _ => return 0,
    };
    let weights = crate::allocation::integer_weights(&[share, Decimal::ONE - share])
        .expect("validated percentages are in 0..=1");
    match crate::allocation::largest_remainder(allocated as u64, &weights) {
        Ok(parts) => parts[0] as i64,
        Err(_) => 0,
    }
}

/// The clawback at `as_of` on cumulative figures (inputs already validated and cut at `as_of`).
pub(super) fn clawback(
    terms: &Terms,
    owners: &Owners,
    contributions: &[Contribution],
    prior: &[PriorDistribution],
    as_of: NaiveDate,
    currency: Currency,
) -> Clawback {
    let (cu, carry) = promote_rates(terms);
    let book = |all_plain| {
        let (keep_c, keep_p) = (
            |c: &Contribution| c.date <= as_of,
            |p: &PriorDistribution| p.date <= as_of,
        );
        Book::new(
            terms,
            owners,
            contributions,
            prior,
            keep_c,
            keep_p,
            as_of,
            all_plain,
        )
    };
    let actual = book(false);
    let received_exact =
        cu * Decimal::from(actual.catch_up_paid) + carry * Decimal::from(actual.carry_paid);
    let received = round_minor(received_exact);
    let gross = book(true);
    let (pos, entitled) = entitlement(terms, &gross, currency);
    let excess = (received - entitled).max(0);
    // Rounded down: the GP never keeps more than the stated share of the excess.
    let tax_offset = i64::try_from(
        (Decimal::from(excess) * terms.clawback_tax_offset)
            .round_dp_with_strategy(0, RoundingStrategy::ToZero),
    )
    .unwrap_or(0);
    let explanation = format!(
        "At {as_of} the fund has distributed {} against contributed capital {} and gross preferred return {}. \
         The GP's promote in those distributions is {} (catch-up total {} × {} % + carry total {} × {} %). \
         Run as one European waterfall at {as_of}, the same {} would give the GP {}. \
         Excess {}; tax offset {} % of it, rounded down, is {}; the GP returns {}.",
        money(gross.distributed, currency), money(pos.capital, currency), money(round_minor(pos.pref), currency),
        money(received, currency), money(actual.catch_up_paid, currency), pct(cu), money(actual.carry_paid, currency), pct(carry),
        money(gross.distributed, currency), money(entitled, currency),
        money(excess, currency), pct(terms.clawback_tax_offset), money(tax_offset, currency), money(excess - tax_offset, currency),
    );
    Clawback {
        as_of,
        carry_received: received,
        carry_entitled: entitled,
        excess,
        tax_offset,
        clawback: excess - tax_offset,
        explanation,
    }
}

/// The GP's promote if everything distributed had gone through one European waterfall at the
/// book's date (every distribution applied capital first, `gross` is built so), with the
/// position it was measured against.
fn entitlement(terms: &Terms, gross: &Book, currency: Currency) -> (Position, i64) {
    let (cu, carry) = promote_rates(terms);
    let pos = Position {
        currency,
        date: gross.date,
        capital: gross.accounts.iter().map(|a| a.contributed).sum(),
        pref: gross
            .accounts
            .iter()
            .map(|a| a.pref_unpaid + a.pref_paid)
            .sum(),
        profit_before: Decimal::ZERO,
        promote_before: Decimal::ZERO,
    };
    let totals = waterfall(terms, gross.distributed, &pos);
    let tier = |k: TierKind| {
        totals
            .iter()
            .find(|t| t.kind == k)
            .map_or(0, |t| t.allocated)
    };
    let entitled = round_minor(
        cu * Decimal::from(tier(TierKind::CatchUp))
            + carry * Decimal::from(tier(TierKind::CarriedInterest)),
    );
    (pos, entitled)
}

/// An amount of minor units in the currency's major units with thousands separators
/// ("1,234,567.89" for USD).
pub(super) fn money(minor: i64, currency: Currency) -> String {
    group(&currency.format_minor(minor))
}

/// Groups the integer part of a plain decimal ("-1234567.891" → "-1,234,567.891").
fn group(plain: &str) -> String {
    let (sign, digits) = plain.strip_prefix('-').map_or(("", plain), |d| ("-", d));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::from(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Exact minor units as currency, to the nearest cent (or the currency's minor unit).
fn money_d(value: Decimal, currency: Currency) -> String {
    money(round_minor(value), currency)
}

/// Exact minor units as currency with six more decimals, to show what was rounded.
fn exact(value: Decimal, currency: Currency) -> String {
    let major = value / Decimal::from(10i64.pow(currency.minor_units()));
    group(
        &major
            .round_dp(currency.minor_units() + 6)
            .normalize()
            .to_string(),
    )
}

fn pct(share: Decimal) -> String {
    (share * Decimal::ONE_HUNDRED).normalize().to_string()
}
