//! Schedule K-1 (Form 1065) of one partner's year in one partnership fund.
//!
//! Part III income lines come from the fund's entered tax items of the year (amounts by K-1
//! line and code at fund level), allocated to partners by their share of profit at year end
//! (largest remainder, so the partners' amounts sum exactly to the fund's). Distributions are
//! the year's lines: cash on 19A, property (in kind, at fair market value) on 19C. Item L is the
//! capital account roll-forward; item J the shares of profit, loss and capital.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::allocation::{integer_weights, largest_remainder};

string_enum! {
    /// The Part III lines this product reports.
    K1Line {
        /// 5 interest income.
        Interest => "5",
        /// 6a ordinary dividends.
        OrdinaryDividends => "6a",
        /// 6b qualified dividends.
        QualifiedDividends => "6b",
        /// 8 net short-term capital gain (loss).
        NetShortTermGain => "8",
        /// 9a net long-term capital gain (loss).
        NetLongTermGain => "9a",
        /// 9b collectibles (28 %) gain (loss).
        Collectibles => "9b",
        /// 9c unrecaptured section 1250 gain.
        Unrecaptured1250 => "9c",
        /// 10 net section 1231 gain (loss).
        Section1231 => "10",
        /// 11 other income (loss), with a code.
        OtherIncome => "11",
        /// 13 other deductions, with a code.
        Deductions => "13",
        /// 19 distributions, code A (cash and marketable securities).
        DistributionsCash => "19A",
        /// 19 distributions, code C (other property).
        DistributionsProperty => "19C",
        /// 20 other information, with a code.
        OtherInformation => "20",
        /// 21 foreign taxes paid or accrued.
        ForeignTaxes => "21",
    }
}

/// A fund-level tax item of the year (entered by the fund's preparer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FundItem {
    /// K-1 line (not 19A/19C: those come from distributions).
    pub line: K1Line,
    /// Code letter(s) for lines 11, 13, 20 (e.g. `A`, `ZZ`); empty otherwise.
    pub code: String,
    /// Fund-level amount, signed.
    pub amount_minor: i64,
    /// Description (shown in the statement attached to the K-1).
    pub description: String,
}

/// One partner's amount on one line and code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct K1Amount {
    /// Line.
    pub line: K1Line,
    /// Code ('' where the line has none).
    pub code: String,
    /// Amount, signed.
    pub amount_minor: i64,
}

/// Item J: shares in percent (up to 6 decimals), beginning and end of the year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemJ {
    /// Profit, beginning.
    pub profit_beginning: Decimal,
    /// Profit, ending.
    pub profit_ending: Decimal,
    /// Loss, beginning.
    pub loss_beginning: Decimal,
    /// Loss, ending.
    pub loss_ending: Decimal,
    /// Capital, beginning.
    pub capital_beginning: Decimal,
    /// Capital, ending.
    pub capital_ending: Decimal,
}

/// Item L: the partner's capital account analysis, minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemL {
    /// Beginning capital account.
    pub beginning: i64,
    /// Capital contributed during the year.
    pub contributed: i64,
    /// Current year net income (loss).
    pub net_income: i64,
    /// Other increase (decrease).
    pub other: i64,
    /// Withdrawals and distributions (positive; subtracted).
    pub withdrawals_distributions: i64,
    /// Ending capital account = beginning + contributed + net income + other − withdrawals.
    pub ending: i64,
}

impl ItemL {
    /// The roll-forward from its parts: ending = beginning + contributed + net income + other
    /// − withdrawals and distributions (withdrawals given positive).
    pub fn roll_forward(
        beginning: i64,
        contributed: i64,
        net_income: i64,
        other: i64,
        withdrawals_distributions: i64,
    ) -> ItemL {
        ItemL {
            beginning,
            contributed,
            net_income,
            other,
            withdrawals_distributions,
            ending: beginning + contributed + net_income + other - withdrawals_distributions,
        }
    }

    /// Whether the ending balance is the roll-forward of the parts (a stored or imported
    /// item L that does not tie out is a defect to show, not to print).
    pub fn ties_out(&self) -> bool {
        self.ending
            == self.beginning + self.contributed + self.net_income + self.other
                - self.withdrawals_distributions
    }
}

/// One partner's Schedule K-1.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct K1 {
    /// Part III amounts, in line order then code.
    pub lines: Vec<K1Amount>,
    /// Item J.
    pub item_j: ItemJ,
    /// Item L.
    pub item_l: ItemL,
}

/// Allocates each fund item to partners by share (weights need not sum to anything: each
/// item is split pro rata to the weights, largest remainder, ties to the smaller investor id),
/// so partners' amounts of an item sum exactly to it. Returns investor → amounts.
///
/// Details: a signed amount is split on its absolute value and the sign put back on every
/// part. Weights that are zero or negative get nothing and have no entry; every partner with
/// a positive weight has an entry (possibly empty). Items with the same line and code are
/// summed per partner (each item is still split exactly, so the sums stay exact). Zero parts
/// are left out, and each partner's amounts are in line order, then code. When no weight is
/// positive nothing can be allocated: the result is an empty map, and the caller, who still
/// has the fund's items, must report them unallocated rather than drop them.
pub fn allocate(
    items: &[FundItem],
    shares: &BTreeMap<String, Decimal>,
) -> BTreeMap<String, Vec<K1Amount>> {
    let partners: Vec<(&String, Decimal)> = shares
        .iter()
        .filter(|(_, w)| **w > Decimal::ZERO)
        .map(|(id, w)| (id, *w))
        .collect();
    let weights = match partner_weights(&partners) {
        Some(w) => w,
        None => return BTreeMap::new(),
    };
    let mut sums: BTreeMap<&String, BTreeMap<(K1Line, &str), i64>> = partners
        .iter()
        .map(|(id, _)| (*id, BTreeMap::new()))
        .collect();
    for item in items {
        let parts = largest_remainder(item.amount_minor.unsigned_abs(), &weights)
            .expect("weights are positive and fit");
        let sign = if item.amount_minor < 0 { -1 } else { 1 };
        for ((id, _), part) in partners.iter().zip(parts) {
            let slot = sums
                .get_mut(id)
                .expect("every partner has an entry")
                .entry((item.line, item.code.as_str()))
                .or_default();
            *slot += sign * part as i64;
        }
    }
    sums.into_iter()
        .map(|(id, lines)| {
            let amounts = lines
                .into_iter()
                .filter(|(_, m)| *m != 0)
                .map(|((line, code), amount_minor)| K1Amount {
                    line,
                    code: code.to_string(),
                    amount_minor,
                })
                .collect();
            (id.clone(), amounts)
        })
        .collect()
}

/// Integer weights of the positive shares, exact when they fit 128-bit arithmetic and
/// otherwise rounded to 12 decimal places (ample for ownership fractions); `None` when there
/// is no partner.
fn partner_weights(partners: &[(&String, Decimal)]) -> Option<Vec<u128>> {
    if partners.is_empty() {
        return None;
    }
    let fits = |ws: &[u128]| {
        let sum = ws.iter().try_fold(0u128, |a, w| a.checked_add(*w))?;
        sum.checked_mul(u128::from(u64::MAX))
    };
    let exact: Vec<Decimal> = partners.iter().map(|(_, w)| *w).collect();
    if let Ok(ws) = integer_weights(&exact) {
        if fits(&ws).is_some() {
            return Some(ws);
        }
    }
    let rounded: Vec<Decimal> = exact.iter().map(|w| w.round_dp(12)).collect();
    integer_weights(&rounded).ok()
}

/// Item J from each partner's shares at the beginning and end (the fund's weights: profit and
/// loss by ownership share, capital by capital account), in percent rounded to 6 places.
///
/// Profit and loss share = the partner's ownership weight / the sum of the positive weights;
/// capital share = the partner's capital account / the sum of the positive capital accounts
/// (a negative account gives a negative share). Each is × 100 and rounded half away from zero
/// to 6 decimal places; a partner absent from a map has 0; a zero denominator gives 0.
pub fn item_j(
    investor: &str,
    ownership_beginning: &BTreeMap<String, Decimal>,
    ownership_ending: &BTreeMap<String, Decimal>,
    capital_beginning: &BTreeMap<String, i64>,
    capital_ending: &BTreeMap<String, i64>,
) -> ItemJ {
    let profit_beginning = ownership_share(investor, ownership_beginning);
    let profit_ending = ownership_share(investor, ownership_ending);
    ItemJ {
        profit_beginning,
        profit_ending,
        loss_beginning: profit_beginning,
        loss_ending: profit_ending,
        capital_beginning: capital_share(investor, capital_beginning),
        capital_ending: capital_share(investor, capital_ending),
    }
}

/// Decimal places of an item J percentage.
pub const ITEM_J_PLACES: u32 = 6;

fn percent_of(part: Decimal, whole: Decimal) -> Decimal {
    if whole.is_zero() {
        return Decimal::ZERO;
    }
    // ×100 first keeps the quotient's 28 digits on the percentage; the fallback only for
    // weights too large to multiply.
    let pct = match part.checked_mul(Decimal::ONE_HUNDRED) {
        Some(p) => p / whole,
        None => part / whole * Decimal::ONE_HUNDRED,
    };
    pct.round_dp_with_strategy(ITEM_J_PLACES, RoundingStrategy::MidpointAwayFromZero)
}

fn ownership_share(investor: &str, weights: &BTreeMap<String, Decimal>) -> Decimal {
    let whole: Decimal = weights.values().filter(|w| **w > Decimal::ZERO).sum();
    let part = weights.get(investor).copied().unwrap_or_default();
    percent_of(part, whole)
}

fn capital_share(investor: &str, accounts: &BTreeMap<String, i64>) -> Decimal {
    let whole: i128 = accounts.values().map(|a| i128::from((*a).max(0))).sum();
    let part = accounts.get(investor).copied().unwrap_or_default();
    percent_of(Decimal::from(part), Decimal::from(whole))
}
