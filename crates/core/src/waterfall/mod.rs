//! The distribution waterfall of a private fund: return of capital, preferred return, GP
//! catch-up and carried interest, European (whole fund) or American (deal by deal), with the
//! GP clawback. Pure: a hypothetical waterfall ("what if we distribute X on date D") is just
//! [`run`] with that proceeds, nothing is written anywhere.
//!
//! The rules, stated precisely (and worked by hand), are in `docs/private-funds.md`:
//! - Every amount is in minor units (`i64`); accruals are exact [`Decimal`] in minor units and
//!   are rounded to a whole minor unit **once per tier hurdle**, half away from zero.
//! - Each tier total is split across investors by largest remainder
//!   ([`crate::allocation::largest_remainder`]), so every tier and every investor ties out to
//!   the proceeds exactly.
//! - The GP's promote in a past distribution is derived from its tier totals (catch-up total ×
//!   the catch-up GP percentage + carry total × the carry GP percentage), so a GP that also holds
//!   an LP interest is counted exactly even though its row mixes promote and LP share.

mod accrual;
mod split;
pub mod synthetic;
mod tiers;
mod validate;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

pub use crate::error::{FieldError, Invalid};
pub use validate::MAX_AMOUNT;

/// The waterfall terms of one fund, stored as JSON and posted by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Terms {
    /// European (whole fund) or American (deal by deal).
    pub style: Style,
    /// The tiers in order; validated by [`Terms::validate`].
    pub tiers: Vec<Tier>,
    /// Share (0..=1) of the clawback excess the GP keeps to cover tax it paid on that carry.
    pub clawback_tax_offset: Decimal,
}

/// Whole-fund or deal-by-deal waterfall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Style {
    /// One waterfall over the whole fund's cumulative figures.
    European,
    /// One waterfall per deal: the contributions, distributions and proceeds of that deal only.
    American,
}

/// How preferred return accrues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compounding {
    /// On unreturned capital only: `capital × rate × days / 365`.
    Simple,
    /// On capital plus unpaid pref: the balance grows by `(1 + rate)^(days / 365)`.
    Annual,
}

/// Day count of the preferred return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DayCount {
    /// Actual days elapsed over a 365-day year (leap days count as days, the year stays 365).
    #[serde(rename = "ACT_365")]
    Act365,
}

/// One tier of the waterfall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "SCREAMING_SNAKE_CASE",
    rename_all_fields = "camelCase"
)]
pub enum Tier {
    /// LPs get their unreturned contributed capital back.
    ReturnOfCapital,
    /// LPs get their accrued unpaid preferred return.
    PreferredReturn {
        /// Annual rate, e.g. 0.08.
        rate: Decimal,
        /// Simple or compounded annually.
        compounding: Compounding,
        /// Day count (actual/365).
        day_count: DayCount,
    },
    /// The GP takes `gp_percentage` of this tier until its promote is `target_gp_share` of
    /// cumulative profit.
    CatchUp {
        /// Share of this tier that goes to the GP, e.g. 1.00.
        gp_percentage: Decimal,
        /// The GP's target share of cumulative profit; equals the carry percentage.
        target_gp_share: Decimal,
    },
    /// Everything left: `gp_percentage` to the GP partner(s), the rest to LPs.
    CarriedInterest {
        /// The GP's share, e.g. 0.20.
        gp_percentage: Decimal,
    },
}

impl Tier {
    /// The kind of this tier.
    pub fn kind(&self) -> TierKind {
        match self {
            Tier::ReturnOfCapital => TierKind::ReturnOfCapital,
            Tier::PreferredReturn { .. } => TierKind::PreferredReturn,
            Tier::CatchUp { .. } => TierKind::CatchUp,
            Tier::CarriedInterest { .. } => TierKind::CarriedInterest,
        }
    }
}

/// The four tier kinds, in their only legal order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TierKind {
    /// Return of contributed capital.
    ReturnOfCapital,
    /// Preferred return.
    PreferredReturn,
    /// GP catch-up.
    CatchUp,
    /// Carried interest split.
    CarriedInterest,
}

impl TierKind {
    /// The wire spelling, e.g. `CATCH_UP`.
    pub fn as_str(&self) -> &'static str {
        match self {
            TierKind::ReturnOfCapital => "RETURN_OF_CAPITAL",
            TierKind::PreferredReturn => "PREFERRED_RETURN",
            TierKind::CatchUp => "CATCH_UP",
            TierKind::CarriedInterest => "CARRIED_INTEREST",
        }
    }
}

/// LP or GP. The GP partner receives the promote; its own commitment is an LP interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartnerKind {
    /// A limited partner.
    Lp,
    /// The general partner (carry recipient).
    Gp,
}

/// A partner of the fund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Partner {
    /// The investor id.
    pub investor_id: String,
    /// LP or GP.
    pub kind: PartnerKind,
}

/// Capital contributed by one investor on one date (to one deal under American style).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contribution {
    /// The investor id (must be a partner).
    pub investor_id: String,
    /// The date the capital was contributed; pref accrues from it.
    pub date: NaiveDate,
    /// Minor units, ≥ 0.
    pub amount: i64,
    /// The deal (required under American style).
    pub deal: Option<String>,
}

/// A distribution already made to one investor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriorDistribution {
    /// The investor id (must be a partner).
    pub investor_id: String,
    /// The date paid; from it the distribution reduces capital and pref.
    pub date: NaiveDate,
    /// The deal (required under American style).
    pub deal: Option<String>,
    /// Minor units, ≥ 0.
    pub amount: i64,
    /// The tier split it was paid under; `None` for a plain cash distribution, which is applied
    /// to unreturned capital first, then to accrued pref, and the rest counts as LP profit.
    pub by_tier: Option<TierAmounts>,
}

/// Amounts per tier, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TierAmounts {
    /// Return of capital.
    pub return_of_capital: i64,
    /// Preferred return.
    pub preferred_return: i64,
    /// Catch-up (GP promote, or LP share when the catch-up percentage is below 100 %).
    pub catch_up: i64,
    /// Carried interest (GP promote, or the LP share of the carry tier).
    pub carried_interest: i64,
}

impl TierAmounts {
    /// Sum of the four tiers.
    pub fn total(&self) -> i64 {
        self.return_of_capital + self.preferred_return + self.catch_up + self.carried_interest
    }

    fn add(&mut self, kind: TierKind, amount: i64) {
        match kind {
            TierKind::ReturnOfCapital => self.return_of_capital += amount,
            TierKind::PreferredReturn => self.preferred_return += amount,
            TierKind::CatchUp => self.catch_up += amount,
            TierKind::CarriedInterest => self.carried_interest += amount,
        }
    }
}

/// The cash to run through the waterfall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proceeds {
    /// Minor units, ≥ 0.
    pub amount: i64,
    /// The distribution date: pref accrues up to it.
    pub date: NaiveDate,
    /// The deal (required under American style).
    pub deal: Option<String>,
    /// The fund's currency (amounts are its minor units; the explanations show it).
    pub currency: Currency,
}

/// The result of a waterfall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// One entry per configured tier, in order.
    pub tiers: Vec<TierOutcome>,
    /// Every partner, sorted by investor id (zero rows included).
    pub investors: Vec<InvestorOutcome>,
}

/// What one tier needed, got and passed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TierOutcome {
    /// The tier.
    pub kind: TierKind,
    /// What the tier needed to be satisfied (the carry tier needs all that reaches it).
    pub hurdle: i64,
    /// What reached the tier.
    pub available: i64,
    /// What it took: `min(available, hurdle)`.
    pub allocated: i64,
    /// Passed to the next tier: `available − allocated`.
    pub remaining: i64,
    /// In words, for a fund accountant.
    pub explanation: String,
    /// The deal under American style.
    pub deal: Option<String>,
    /// Of `allocated`, the GP's promote (catch-up and carry tiers; 0 otherwise).
    pub gp_amount: i64,
}

/// One investor's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvestorOutcome {
    /// The investor id.
    pub investor_id: String,
    /// Per tier.
    pub amounts: TierAmounts,
    /// Sum of the tiers.
    pub total: i64,
}

/// The GP clawback at a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Clawback {
    /// The date of the computation.
    pub as_of: NaiveDate,
    /// The GP's promote in the distributions made up to `as_of`.
    pub carry_received: i64,
    /// The promote if all those distributions had gone through one European waterfall.
    pub carry_entitled: i64,
    /// `max(0, received − entitled)`.
    pub excess: i64,
    /// `⌊excess × clawback_tax_offset⌋`: the part the GP keeps for tax it paid.
    pub tax_offset: i64,
    /// `excess − tax_offset`, ≥ 0: what the GP returns.
    pub clawback: i64,
    /// In words, for a fund accountant.
    pub explanation: String,
}

/// Runs `proceeds` through the waterfall; see the module docs and `docs/private-funds.md`.
pub fn run(
    terms: &Terms,
    partners: &[Partner],
    contributions: &[Contribution],
    prior: &[PriorDistribution],
    proceeds: &Proceeds,
) -> Result<Outcome, Invalid> {
    terms.validate()?;
    let owners = accrual::Owners::new(partners, contributions, prior);
    validate::run_inputs(terms, partners, &owners, contributions, prior, proceeds)?;
    let deal = match terms.style {
        Style::European => None,
        Style::American => proceeds.deal.clone(),
    };
    let in_scope = |d: &Option<String>| deal.is_none() || *d == deal;
    let book = accrual::Book::new(
        terms,
        &owners,
        contributions,
        prior,
        |c| in_scope(&c.deal),
        |p| in_scope(&p.deal),
        proceeds.date,
        false,
    );
    let totals = tiers::waterfall(
        terms,
        proceeds.amount,
        &book.fund_position(terms, proceeds.currency),
    );
    split::outcome(&book, totals, deal)
}

/// The GP clawback at `as_of` on cumulative figures; see `docs/private-funds.md`.
pub fn clawback(
    terms: &Terms,
    partners: &[Partner],
    contributions: &[Contribution],
    prior: &[PriorDistribution],
    as_of: NaiveDate,
    currency: Currency,
) -> Result<Clawback, Invalid> {
    terms.validate()?;
    let owners = accrual::Owners::new(partners, contributions, prior);
    validate::clawback_inputs(partners, &owners, contributions, prior)?;
    Ok(tiers::clawback(
        terms,
        &owners,
        contributions,
        prior,
        as_of,
        currency,
    ))
}
