//! Schedule K-1 (Form 1065) of one partner's year in one partnership fund.
//!
//! Part III income lines come from the fund's entered tax items of the year (amounts by K-1
//! line and code at fund level), allocated to partners by their share of profit at year end
//! (largest remainder, so the partners' amounts sum exactly to the fund's). Distributions are
//! the year's lines: cash on 19A, property (in kind, at fair market value) on 19C. Item L is the
//! capital account roll-forward; item J the shares of profit, loss and capital.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

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
pub fn allocate(
    items: &[FundItem],
    shares: &BTreeMap<String, Decimal>,
) -> BTreeMap<String, Vec<K1Amount>> {
    let _ = (items, shares);
    todo!("issue 19: k1::allocate")
}

/// Item J from each partner's shares at the beginning and end (the fund's weights: profit and
/// loss by ownership share, capital by capital account), in percent rounded to 6 places.
pub fn item_j(
    investor: &str,
    ownership_beginning: &BTreeMap<String, Decimal>,
    ownership_ending: &BTreeMap<String, Decimal>,
    capital_beginning: &BTreeMap<String, i64>,
    capital_ending: &BTreeMap<String, i64>,
) -> ItemJ {
    let _ = (
        investor,
        ownership_beginning,
        ownership_ending,
        capital_beginning,
        capital_ending,
    );
    todo!("issue 19: k1::item_j")
}
