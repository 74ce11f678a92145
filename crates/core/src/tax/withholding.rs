//! Withholding when a distribution is processed, per line and component, before reinvestment
//! and payment (the withheld amount is never reinvested or paid).
//!
//! - **Backup withholding** (IRC 3406) at 24 % of every component but return of capital, for a
//!   US person whose TIN is missing or under a B or C notice, unless an exempt payee.
//! - **Chapter 3 withholding** (IRC 1441) of a foreign person at 30 %, or the treaty rate of
//!   the certificate's country for the income type when a treaty is claimed. Not subject:
//!   return of capital; capital-gain dividends (long-term gain) and short-term capital gain
//!   dividends where the fund designates them exempt (IRC 871(k)(2)); interest-related
//!   dividends (the interest component) where the fund designates them (IRC 871(k)(1)).
//! - **State withholding** of a US person whose residence state has a configured rate, on the
//!   same subject amount as backup withholding (all but return of capital).
//!
//! Rounding: each component's federal amount is `component × rate / 100` rounded half away
//! from zero to the minor unit; the state amount likewise on the line's subject total. The
//! total withheld never exceeds the line total (the state amount is capped).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::profile::{Certificate, Residency, TaxProfile, TinStatus};
use super::round_half_up;
use crate::components::{ComponentKind, Components};
use crate::FieldError;

/// Backup withholding rate, percent (IRC 3406(a)(1)).
pub const BACKUP_RATE: Decimal = Decimal::from_parts(24, 0, 0, false, 0);
/// Statutory chapter 3 rate, percent (IRC 1441, 871(a)).
pub const STATUTORY_RATE: Decimal = Decimal::from_parts(30, 0, 0, false, 0);

string_enum! {
    /// The treaty table's income types.
    IncomeType {
        /// Dividends (ordinary, qualified, short-term gain dividends).
        Dividends => "DIVIDENDS",
        /// Interest (a fund's interest-related dividends).
        Interest => "INTEREST",
        /// Capital gain distributions.
        CapitalGains => "CAPITAL_GAINS",
    }
}

string_enum! {
    /// Which federal withholding applied to a line.
    Regime {
        /// None (certified US person, exempt payee, or nothing subject).
        None => "NONE",
        /// Backup withholding, 24 % (Form 945; 1099-DIV box 4).
        Backup => "BACKUP",
        /// Chapter 3 non-resident withholding (Form 1042; 1042-S box 7a).
        Chapter3 => "CHAPTER3",
    }
}

impl ComponentKind {
    /// The treaty income type of a component; `None` for return of capital (never subject).
    pub fn income_type(self) -> Option<IncomeType> {
        match self {
            ComponentKind::OrdinaryDividend
            | ComponentKind::QualifiedDividend
            | ComponentKind::ShortTermGain => Some(IncomeType::Dividends),
            ComponentKind::LongTermGain => Some(IncomeType::CapitalGains),
            ComponentKind::Interest => Some(IncomeType::Interest),
            ComponentKind::ReturnOfCapital => None,
        }
    }
}

/// A percentage between 0 and 100 inclusive, at most 4 decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rate(Decimal);

impl Rate {
    /// Zero.
    pub const ZERO: Rate = Rate(Decimal::ZERO);

    /// Parses `"15"`, `"15.5"`; refuses negatives, above 100 and more than 4 places.
    pub fn parse(field: &str, text: &str) -> Result<Rate, FieldError> {
        let d: Decimal = text
            .trim()
            .parse()
            .map_err(|_| FieldError::new(field, "must be a percentage such as 15 or 27.5"))?;
        Rate::new(field, d)
    }

    /// Checks a decimal percentage.
    pub fn new(field: &str, d: Decimal) -> Result<Rate, FieldError> {
        if d.is_sign_negative() && !d.is_zero() {
            return Err(FieldError::new(field, "must not be negative"));
        }
        if d > Decimal::ONE_HUNDRED {
            return Err(FieldError::new(field, "must not be above 100"));
        }
        if d.scale() > 4 && d.normalize().scale() > 4 {
            return Err(FieldError::new(field, "must have at most 4 decimal places"));
        }
        Ok(Rate(d.normalize()))
    }

    /// The percentage.
    pub fn percent(self) -> Decimal {
        self.0
    }

    /// `minor × rate / 100`, rounded half away from zero; zero for a non-positive amount.
    pub fn of(self, minor: i64) -> i64 {
        if minor <= 0 {
            return 0;
        }
        round_half_up(Decimal::from(minor) * self.0 / Decimal::ONE_HUNDRED)
    }
}

/// Treaty rates by (country, income type); a country or type not in it gets 30 %.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreatyTable {
    /// (ISO country, income type) → rate.
    pub rates: BTreeMap<(String, IncomeType), Rate>,
}

/// State withholding rates by USPS state code (only configured states withhold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateTable {
    /// State → rate.
    pub rates: BTreeMap<String, Rate>,
}

/// What a fund designates about its distributions, for chapter 3 purposes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Designations {
    /// Long-term gain is a capital gain dividend, exempt (IRC 871(k)(2) / 1441(c)(12)).
    pub capital_gain_exempt: bool,
    /// Short-term gain is a short-term capital gain dividend, exempt (IRC 871(k)(2)).
    pub short_term_gain_exempt: bool,
    /// Interest is an interest-related dividend, exempt (IRC 871(k)(1)).
    pub interest_related_exempt: bool,
}

/// The withholding decided for one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Withheld {
    /// Federal regime applied.
    pub regime: Regime,
    /// Federal amount withheld per component, in [`ComponentKind::ALL`] order.
    pub federal_by_component: [i64; 6],
    /// Federal rate per component (percent), in the same order; zero where not subject.
    pub rate_by_component: [Decimal; 6],
    /// Sum of `federal_by_component`.
    pub federal_minor: i64,
    /// State withheld for, when any.
    pub state: Option<String>,
    /// State amount withheld.
    pub state_minor: i64,
    /// Why this line needs a person's attention (no TIN, no W-8, no treaty rate), if it does.
    pub flag: Option<String>,
}

impl Withheld {
    /// Federal plus state: what the line's cash is reduced by.
    pub fn total_minor(&self) -> i64 {
        self.federal_minor + self.state_minor
    }

    /// Nothing withheld, nothing flagged.
    pub fn none() -> Withheld {
        Withheld {
            regime: Regime::None,
            federal_by_component: [0; 6],
            rate_by_component: [Decimal::ZERO; 6],
            federal_minor: 0,
            state: None,
            state_minor: 0,
            flag: None,
        }
    }
}

/// The tables withholding reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tables {
    /// Treaty rates.
    pub treaty: TreatyTable,
    /// State rates.
    pub states: StateTable,
}

/// Decides one line's withholding. `profile` is `None` when the investor has none: treated as
/// a US person with no TIN (withheld on and flagged).
pub fn withhold(
    c: &Components,
    profile: Option<&TaxProfile>,
    fund: &Designations,
    tables: &Tables,
) -> Withheld {
    let missing;
    let p = match profile {
        Some(p) => p,
        None => {
            missing = TaxProfile::missing("");
            &missing
        }
    };
    let mut out = Withheld::none();
    let (regime, flag) = match p.residency {
        Residency::Us => federal_us(p, profile.is_none()),
        Residency::Foreign => (Regime::Chapter3, foreign_flag(p)),
    };
    out.regime = regime;
    out.flag = flag;
    for (i, kind) in ComponentKind::ALL.iter().enumerate() {
        let Some(rate) = component_rate(*kind, p, regime, fund, tables, &mut out.flag) else {
            continue;
        };
        out.rate_by_component[i] = rate.percent();
        out.federal_by_component[i] = rate.of(c.get(*kind));
    }
    out.federal_minor = out.federal_by_component.iter().sum();
    if out.federal_minor == 0 && regime != Regime::Chapter3 {
        out.regime = if regime == Regime::Backup && subject(c) > 0 {
            Regime::Backup
        } else {
            Regime::None
        };
    }
    if p.residency == Residency::Us {
        if let Some(state) = &p.residence_state {
            if let Some(rate) = tables.states.rates.get(state) {
                let room = (c.income_sum() - out.federal_minor).max(0);
                out.state_minor = rate.of(subject(c)).min(room);
                out.state = Some(state.clone());
            }
        }
    }
    out
}

/// Every component but return of capital, positive parts only.
pub fn subject(c: &Components) -> i64 {
    ComponentKind::ALL
        .iter()
        .filter(|k| k.income_type().is_some())
        .map(|k| c.get(*k).max(0))
        .sum()
}

fn federal_us(p: &TaxProfile, no_profile: bool) -> (Regime, Option<String>) {
    if p.exempt_payee_code.is_some() {
        return (Regime::None, None);
    }
    match p.tin_status {
        TinStatus::Certified => (Regime::None, None),
        TinStatus::Missing if no_profile => (
            Regime::Backup,
            Some("no tax profile on file: backup withholding at 24%".into()),
        ),
        TinStatus::Missing => (
            Regime::Backup,
            Some("no TIN on file: backup withholding at 24%".into()),
        ),
        TinStatus::BNotice => (
            Regime::Backup,
            Some("B notice (name/TIN mismatch): backup withholding at 24%".into()),
        ),
        TinStatus::CNotice => (
            Regime::Backup,
            Some("C notice (IRS-notified underreporting): backup withholding at 24%".into()),
        ),
    }
}

fn foreign_flag(p: &TaxProfile) -> Option<String> {
    match p.certificate {
        Some(Certificate::W8Ben | Certificate::W8BenE) => None,
        _ => Some("no W-8 on file: chapter 3 withholding at 30%".into()),
    }
}

fn component_rate(
    kind: ComponentKind,
    p: &TaxProfile,
    regime: Regime,
    fund: &Designations,
    tables: &Tables,
    flag: &mut Option<String>,
) -> Option<Rate> {
    let income = kind.income_type()?;
    match regime {
        Regime::None => None,
        Regime::Backup => Some(Rate(BACKUP_RATE)),
        Regime::Chapter3 => {
            let exempt = match kind {
                ComponentKind::LongTermGain => fund.capital_gain_exempt,
                ComponentKind::ShortTermGain => fund.short_term_gain_exempt,
                ComponentKind::Interest => fund.interest_related_exempt,
                _ => false,
            };
            if exempt {
                return None;
            }
            let documented = matches!(
                p.certificate,
                Some(Certificate::W8Ben | Certificate::W8BenE)
            );
            if !(documented && p.treaty_claim) {
                return Some(Rate(STATUTORY_RATE));
            }
            let country = p.country.clone().unwrap_or_default();
            match tables.treaty.rates.get(&(country.clone(), income)) {
                Some(r) => Some(*r),
                None => {
                    if flag.is_none() {
                        *flag = Some(format!(
                            "treaty claimed but no {} rate for {country} in the treaty table: 30%",
                            income.as_str().to_ascii_lowercase().replace('_', " ")
                        ));
                    }
                    Some(Rate(STATUTORY_RATE))
                }
            }
        }
    }
}
