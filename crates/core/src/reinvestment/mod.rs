//! Dividend reinvestment (DRIP): elections, the NAV used as the reinvestment price, and the
//! split of one distribution line into reinvested shares and cash.
//!
//! # Rounding rules
//! For one line with total `T` and withholding `W` (minor units of the currency, which has
//! `m` decimal places), an election percentage `p` (exact decimal, 0 ≤ p ≤ 100), a NAV per
//! share `N` (exact decimal > 0) and a fund share precision of `s` decimal places:
//!
//! 1. **Withholding first**: `net = T − W`. Withheld tax is never reinvested.
//! 2. **Reinvestable** `R = ⌊net × p / 100⌋` minor units — rounded *down* to the minor unit,
//!    so no more than the elected share of the money is ever reinvested; the fraction of a
//!    minor unit stays cash.
//! 3. **Shares** `S = ⌊R / N⌋` to `s` decimals — rounded *down*, so no share is issued that
//!    the money does not fully pay for.
//! 4. **Cost** `C = ⌈S × N⌉` to the minor unit — rounded *up*, so shares are never issued below
//!    NAV (other holders are not diluted by a fraction of a cent). Because `R` is a whole
//!    number of minor units and `S × N ≤ R`, `C ≤ R` always holds.
//! 5. **Cash** `= net − C = (net − R) + (R − C)`: the part not elected plus the unspent residual.
//!
//! Invariants (asserted in [`split_line`], property-tested below): `cash + C + W = T` exactly;
//! `0 ≤ C ≤ R`; the residual `R − C` is less than the price of one smallest share increment
//! (`N × 10^−s`), i.e. it could not have bought another increment. Everything is computed in
//! exact integer arithmetic (`i128`), never floating point.

pub mod nav;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{FieldError, Invalid};
use crate::money::parse_decimal;

/// Most decimal places accepted in an election percentage ("37.123456").
pub const PERCENTAGE_DECIMALS_MAX: u32 = 6;

/// An election percentage: an exact decimal between 0 and 100 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percentage(Decimal);

impl Percentage {
    /// 0 %: everything in cash.
    pub const ZERO: Percentage = Percentage(Decimal::ZERO);
    /// 100 %: everything reinvested.
    pub const HUNDRED: Percentage = Percentage(Decimal::ONE_HUNDRED);

    /// Validates a percentage (0–100, at most [`PERCENTAGE_DECIMALS_MAX`] decimals).
    pub fn new(value: Decimal) -> Result<Percentage, String> {
        let value = value.normalize();
        if value.is_sign_negative() && !value.is_zero() {
            return Err("must not be negative".into());
        }
        if value > Decimal::ONE_HUNDRED {
            return Err("must not exceed 100".into());
        }
        if value.scale() > PERCENTAGE_DECIMALS_MAX {
            return Err(format!(
                "has more than {PERCENTAGE_DECIMALS_MAX} decimal places"
            ));
        }
        // -0 normalizes to 0 with a negative sign bit; store a plain zero.
        Ok(Percentage(if value.is_zero() {
            Decimal::ZERO
        } else {
            value
        }))
    }

    /// Parses a decimal string field ("37.5"), naming the field on error.
    pub fn parse(field: &str, text: &str) -> Result<Percentage, FieldError> {
        let value = parse_decimal(field, text)?;
        Percentage::new(value).map_err(|why| FieldError::new(field, format!("'{text}' {why}")))
    }

    /// The exact value (e.g. 37.5 for 37.5 %).
    pub fn value(&self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Percentage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The four kinds of election.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ElectionKind {
    /// Everything paid in cash.
    #[serde(rename = "CASH")]
    Cash,
    /// Everything reinvested in the same fund.
    #[serde(rename = "AUTOMATIC")]
    Automatic,
    /// A percentage reinvested in the same fund, the rest in cash.
    #[serde(rename = "PARTIAL")]
    Partial,
    /// Reinvested (all, or a percentage) in another fund of the organization, at its NAV.
    #[serde(rename = "ALTERNATIVE")]
    Alternative,
}

impl ElectionKind {
    /// Every kind.
    pub const ALL: [ElectionKind; 4] = [
        ElectionKind::Cash,
        ElectionKind::Automatic,
        ElectionKind::Partial,
        ElectionKind::Alternative,
    ];

    /// The stored and wire spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            ElectionKind::Cash => "CASH",
            ElectionKind::Automatic => "AUTOMATIC",
            ElectionKind::Partial => "PARTIAL",
            ElectionKind::Alternative => "ALTERNATIVE",
        }
    }
}

impl FromStr for ElectionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ElectionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("'{s}' is not an election; use CASH, AUTOMATIC, PARTIAL or ALTERNATIVE")
            })
    }
}

impl fmt::Display for ElectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an investor wants done with distributions of one fund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Election {
    /// All cash.
    Cash,
    /// 100 % reinvested in the same fund.
    Automatic,
    /// This percentage (strictly between 0 and 100) reinvested in the same fund.
    Partial(Percentage),
    /// This percentage (above 0, up to 100) reinvested in another fund at that fund's NAV.
    Alternative {
        /// The fund bought.
        target_fund_id: String,
        /// Share of the net amount reinvested.
        percentage: Percentage,
    },
}

impl Election {
    /// Its kind.
    pub fn kind(&self) -> ElectionKind {
        match self {
            Election::Cash => ElectionKind::Cash,
            Election::Automatic => ElectionKind::Automatic,
            Election::Partial(_) => ElectionKind::Partial,
            Election::Alternative { .. } => ElectionKind::Alternative,
        }
    }

    /// Share of the net amount reinvested.
    pub fn percentage(&self) -> Percentage {
        match self {
            Election::Cash => Percentage::ZERO,
            Election::Automatic => Percentage::HUNDRED,
            Election::Partial(p) => *p,
            Election::Alternative { percentage, .. } => *percentage,
        }
    }

    /// The fund bought by an ALTERNATIVE election.
    pub fn target_fund_id(&self) -> Option<&str> {
        match self {
            Election::Alternative { target_fund_id, .. } => Some(target_fund_id),
            _ => None,
        }
    }

    /// Builds an election from its parts, checking they fit together; errors name the
    /// request fields `election`, `percentage` and `targetFundId`.
    pub fn parse(
        election: &str,
        percentage: Option<&str>,
        target_fund_id: Option<&str>,
    ) -> Result<Election, Invalid> {
        let kind = election
            .parse::<ElectionKind>()
            .map_err(|why| FieldError::new("election", why))?;
        let percentage = percentage
            .map(|p| Percentage::parse("percentage", p))
            .transpose()?;
        let target = target_fund_id.map(str::trim).filter(|t| !t.is_empty());
        Election::from_parts(kind, percentage, target.map(str::to_string))
            .map_err(|e| Invalid(vec![e]))
    }

    /// Builds an election from a kind, an optional percentage and an optional target fund.
    pub fn from_parts(
        kind: ElectionKind,
        percentage: Option<Percentage>,
        target_fund_id: Option<String>,
    ) -> Result<Election, FieldError> {
        if kind != ElectionKind::Alternative && target_fund_id.is_some() {
            return Err(FieldError::new(
                "targetFundId",
                format!("is only used by ALTERNATIVE elections, not {kind}"),
            ));
        }
        match kind {
            ElectionKind::Cash | ElectionKind::Automatic => {
                let implied = if kind == ElectionKind::Cash {
                    Percentage::ZERO
                } else {
                    Percentage::HUNDRED
                };
                match percentage {
                    Some(p) if p != implied => Err(FieldError::new(
                        "percentage",
                        format!("{kind} means {implied} %; omit the percentage or use PARTIAL"),
                    )),
                    _ if kind == ElectionKind::Cash => Ok(Election::Cash),
                    _ => Ok(Election::Automatic),
                }
            }
            ElectionKind::Partial => match percentage {
                None => Err(FieldError::new("percentage", "is required for PARTIAL")),
                Some(p) if p == Percentage::ZERO || p == Percentage::HUNDRED => {
                    Err(FieldError::new(
                        "percentage",
                        "must be strictly between 0 and 100 for PARTIAL (use CASH or AUTOMATIC)",
                    ))
                }
                Some(p) => Ok(Election::Partial(p)),
            },
            ElectionKind::Alternative => {
                let Some(target_fund_id) = target_fund_id else {
                    return Err(FieldError::new(
                        "targetFundId",
                        "is required for ALTERNATIVE (the fund to reinvest in)",
                    ));
                };
                let percentage = percentage.unwrap_or(Percentage::HUNDRED);
                if percentage == Percentage::ZERO {
                    return Err(FieldError::new(
                        "percentage",
                        "must be above 0 for ALTERNATIVE (use CASH)",
                    ));
                }
                Ok(Election::Alternative {
                    target_fund_id,
                    percentage,
                })
            }
        }
    }
}

/// The price terms of one purchase: NAV, the bought fund's share precision, the currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// NAV per share (> 0).
    pub nav: Decimal,
    /// Decimal places of shares of the fund bought (0–12).
    pub share_precision: u32,
    /// Decimal places of the currency's minor unit (0–4).
    pub minor_units: u32,
}

/// How one line splits; see the module docs for the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// `⌊(T − W) × p / 100⌋`: the money elected for reinvestment.
    pub reinvestable_minor: i64,
    /// Shares bought, with exactly the fund's share precision as scale.
    pub shares: Decimal,
    /// `⌈shares × NAV⌉`: what the shares cost (the reinvested amount and the lot's basis).
    pub cost_minor: i64,
    /// `T − W − cost`: paid out in cash (the part not elected plus the residual).
    pub cash_minor: i64,
}

impl Split {
    /// The unspent residual of the reinvestable money (`R − C`), paid as cash.
    pub fn residual_minor(&self) -> i64 {
        self.reinvestable_minor - self.cost_minor
    }
}

/// Why a split cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// Withholding exceeds the total, or the total is negative.
    #[error("the line's net amount (total {total} − withholding {withholding}) is negative")]
    NegativeNet {
        /// Line total.
        total: i64,
        /// Withholding.
        withholding: i64,
    },
    /// NAV zero or negative.
    #[error("NAV must be greater than zero")]
    NavNotPositive,
    /// Share precision or currency scale out of range.
    #[error("share precision must be 0–12 and currency minor units 0–4")]
    Precision,
    /// The numbers do not fit exact arithmetic.
    #[error("amounts are too large to reinvest exactly")]
    Overflow,
}

fn pow10(exp: u32) -> Result<i128, SplitError> {
    10i128.checked_pow(exp).ok_or(SplitError::Overflow)
}

/// Splits one line into reinvested cost, shares and cash; see the module docs for the rules.
pub fn split_line(
    total_minor: i64,
    withholding_minor: i64,
    percentage: Percentage,
    terms: &Terms,
) -> Result<Split, SplitError> {
    let net = total_minor
        .checked_sub(withholding_minor)
        .ok_or(SplitError::Overflow)?;
    if total_minor < 0 || withholding_minor < 0 || net < 0 {
        return Err(SplitError::NegativeNet {
            total: total_minor,
            withholding: withholding_minor,
        });
    }
    if terms.share_precision > 12 || terms.minor_units > 4 {
        return Err(SplitError::Precision);
    }
    let nav = terms.nav.normalize();
    if nav <= Decimal::ZERO {
        return Err(SplitError::NavNotPositive);
    }
    let net = i128::from(net);
    // R = ⌊net × p / 100⌋, with p = pm / 10^ps.
    let p = percentage.value();
    let reinvestable =
        net.checked_mul(p.mantissa()).ok_or(SplitError::Overflow)? / (100 * pow10(p.scale())?);
    // S (in units of 10^−s shares) = ⌊R × 10^−m / N × 10^s⌋, with N = nm / 10^ns:
    //   = ⌊R × 10^(s + ns) / (nm × 10^m)⌋.
    let (nm, ns) = (nav.mantissa(), nav.scale());
    let s = terms.share_precision;
    let m = terms.minor_units;
    let scale_up = pow10(s + ns)?;
    let price_den = nm.checked_mul(pow10(m)?).ok_or(SplitError::Overflow)?;
    let share_units = reinvestable
        .checked_mul(scale_up)
        .ok_or(SplitError::Overflow)?
        / price_den;
    // C = ⌈S_units × 10^−s × N × 10^m⌉ = ⌈S_units × nm × 10^m / 10^(s + ns)⌉.
    let cost_num = share_units
        .checked_mul(price_den)
        .ok_or(SplitError::Overflow)?;
    let cost = (cost_num + scale_up - 1) / scale_up;
    let shares =
        Decimal::try_from_i128_with_scale(share_units, s).map_err(|_| SplitError::Overflow)?;
    let cash = net - cost;
    // The invariants of the module docs; they hold by construction and are kept on.
    assert!(
        (0..=reinvestable).contains(&cost),
        "cost {cost} outside 0..={reinvestable}"
    );
    assert!(
        (reinvestable - cost) * scale_up < price_den,
        "residual could buy another share increment"
    );
    let to_i64 = |v: i128| i64::try_from(v).map_err(|_| SplitError::Overflow);
    let split = Split {
        reinvestable_minor: to_i64(reinvestable)?,
        shares,
        cost_minor: to_i64(cost)?,
        cash_minor: to_i64(cash)?,
    };
    assert_eq!(
        split.cash_minor + split.cost_minor + withholding_minor,
        total_minor
    );
    Ok(split)
}

/// Market value of `shares` at `nav` in minor units, rounded half-up (away from zero at .5).
/// Used for reporting only (value now, gain since), never for money that moves.
pub fn market_value_minor(shares: Decimal, nav: Decimal, minor_units: u32) -> Option<i64> {
    crate::allocation::per_share_amount(shares, nav, minor_units)
}

/// Rounds a decimal to `minor_units` places half-up and returns minor units (for reports).
pub fn round_minor(value: Decimal, minor_units: u32) -> Option<i64> {
    let rounded = value.round_dp_with_strategy(minor_units, RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(rounded.checked_mul(Decimal::from(10i64.checked_pow(minor_units)?))?).ok()
}
