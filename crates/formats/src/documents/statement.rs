//! The investor statement of a period: positions, distributions with their components,
//! reinvestments, payments and the cost basis of the open tax lots.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::labels::Lang;
use super::layout::{Layout, Value};
use super::notice::label_of;
use super::Money;

/// A fund's position at the start and end of the period.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementPosition {
    /// Fund code and name.
    pub fund: String,
    /// Units held the day before the period.
    pub opening_units: Decimal,
    /// Units held on its last day.
    pub closing_units: Decimal,
    /// Cost basis of the open lots at the end (None without lots).
    pub cost_basis: Option<Money>,
}

/// A distribution paid in the period (by payable date).
#[derive(Debug, Clone, PartialEq)]
pub struct StatementDistribution {
    /// Payable date.
    pub payable_date: NaiveDate,
    /// Fund code.
    pub fund_code: String,
    /// Description, or the id when none.
    pub description: String,
    /// Gross amount of the line.
    pub gross: Money,
    /// Non-zero components by wire name.
    pub components: Vec<(String, i64)>,
    /// Tax withheld.
    pub withholding_minor: i64,
    /// Reinvested (None before processing).
    pub reinvested_minor: Option<i64>,
    /// Cash (None before processing).
    pub cash_minor: Option<i64>,
}

/// A reinvestment in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementReinvestment {
    /// Trade date.
    pub trade_date: NaiveDate,
    /// Fund bought.
    pub fund_code: String,
    /// Shares bought.
    pub shares: Decimal,
    /// NAV per share.
    pub nav: Decimal,
    /// Cost of the shares.
    pub cost: Money,
    /// Residual cash.
    pub residual: Money,
}

/// A payment in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementPayment {
    /// Expected (or cleared) date.
    pub date: NaiveDate,
    /// ACH, WIRE or CHECK.
    pub method: String,
    /// Status.
    pub status: String,
    /// Amount.
    pub amount: Money,
}

/// An open tax lot at the end of the period.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementLot {
    /// Fund code.
    pub fund_code: String,
    /// Acquired on.
    pub acquired_on: NaiveDate,
    /// PURCHASE, REINVESTMENT, …
    pub source: String,
    /// Shares remaining.
    pub shares: Decimal,
    /// Basis remaining.
    pub basis: Money,
}

/// Everything the statement says.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementDoc {
    /// Language of the labels.
    pub lang: Lang,
    /// Investor's name.
    pub investor_name: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Positions per fund.
    pub positions: Vec<StatementPosition>,
    /// Distributions.
    pub distributions: Vec<StatementDistribution>,
    /// Reinvestments.
    pub reinvestments: Vec<StatementReinvestment>,
    /// Payments.
    pub payments: Vec<StatementPayment>,
    /// Open lots at the end.
    pub lots: Vec<StatementLot>,
    /// Disclosure texts, word for word.
    pub disclosures: Vec<String>,
}

impl StatementDoc {
    /// The statement laid out.
    pub fn layout(&self) -> Layout {
        let l = self.lang;
        let h = |keys: &[&'static str]| keys.iter().map(|k| l.t(k).to_string()).collect();
        let mut out = Layout {
            lang: l,
            title: l.t("statement").to_string(),
            subtitle: format!(
                "{} {} · {} {} – {}",
                l.t("for"),
                self.investor_name,
                l.t("period"),
                self.from,
                self.to
            ),
            date: self.to,
            sections: Vec::new(),
            disclosures_heading: l.t("disclosures").to_string(),
            disclosures: self.disclosures.clone(),
        };
        let positions = self.positions.iter().map(|p| {
            let basis = p.cost_basis.clone().map_or(Value::Empty, Value::Money);
            vec![
                p.fund.as_str().into(),
                p.opening_units.into(),
                p.closing_units.into(),
                basis,
            ]
        });
        out.table(
            "positions",
            l.t("positions").into(),
            h(&["fund", "opening", "closing", "costBasis"]),
            positions.collect(),
            l.t("noPositions"),
        );
        out.table(
            "distributions",
            l.t("distributions").into(),
            h(&[
                "payableDate",
                "fund",
                "description",
                "components",
                "gross",
                "withholding",
                "reinvested",
                "netCash",
            ]),
            self.distributions
                .iter()
                .map(|d| distribution_row(l, d))
                .collect(),
            l.t("noDistributions"),
        );
        let reinvestments = self.reinvestments.iter().map(|r| {
            vec![
                r.trade_date.into(),
                r.fund_code.as_str().into(),
                r.shares.into(),
                r.nav.into(),
                r.cost.clone().into(),
                r.residual.clone().into(),
            ]
        });
        out.table(
            "reinvestments",
            l.t("reinvestments").into(),
            h(&["tradeDate", "fund", "shares", "nav", "cost", "residual"]),
            reinvestments.collect(),
            l.t("noReinvestments"),
        );
        let payments = self.payments.iter().map(|p| {
            vec![
                p.date.into(),
                p.method.as_str().into(),
                p.status.as_str().into(),
                p.amount.clone().into(),
            ]
        });
        out.table(
            "payments",
            l.t("payments").into(),
            h(&["date", "method", "status", "amount"]),
            payments.collect(),
            l.t("noPayments"),
        );
        let lots = self.lots.iter().map(|t| {
            vec![
                t.fund_code.as_str().into(),
                t.acquired_on.into(),
                t.source.as_str().into(),
                t.shares.into(),
                t.basis.clone().into(),
            ]
        });
        out.table(
            "lots",
            l.t("lots").into(),
            h(&["fund", "acquired", "source", "shares", "basis"]),
            lots.collect(),
            l.t("noLots"),
        );
        out
    }
}

fn distribution_row(l: Lang, d: &StatementDistribution) -> Vec<Value> {
    let parts: Vec<String> = d
        .components
        .iter()
        .filter(|(_, m)| *m != 0)
        .map(|(k, m)| format!("{} {}", label_of(l, k), d.gross.with(*m).grouped()))
        .collect();
    let opt = |m: Option<i64>| m.map_or(Value::Empty, |m| Value::Money(d.gross.with(m)));
    vec![
        d.payable_date.into(),
        d.fund_code.as_str().into(),
        d.description.as_str().into(),
        parts.join("; ").into(),
        d.gross.clone().into(),
        Value::Money(d.gross.with(d.withholding_minor)),
        opt(d.reinvested_minor),
        opt(d.cash_minor),
    ]
}
