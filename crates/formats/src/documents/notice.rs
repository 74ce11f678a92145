//! The distribution notice: one investor's line of one distribution.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::labels::Lang;
use super::layout::{Layout, Value};
use super::Money;

/// The reinvested part of the line.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeReinvestment {
    /// Fund whose shares were bought (code).
    pub fund_code: String,
    /// Amount reinvested (the cost of the shares).
    pub reinvested: Money,
    /// Shares bought.
    pub shares: Decimal,
    /// NAV per share used.
    pub nav: Decimal,
    /// NAV date.
    pub nav_date: NaiveDate,
    /// Cash paid instead of a fractional share.
    pub residual: Money,
}

/// A payment of the line.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticePayment {
    /// ACH, WIRE or CHECK.
    pub method: String,
    /// Masked account (`••••6789`) or `—`.
    pub destination: String,
    /// Amount.
    pub amount: Money,
    /// Status (PENDING, SENT, SETTLED, …).
    pub status: String,
    /// Expected arrival.
    pub expected: Option<NaiveDate>,
}

/// Everything the notice says.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeDoc {
    /// Language of the labels.
    pub lang: Lang,
    /// Investor's name (any Unicode).
    pub investor_name: String,
    /// Fund code and name.
    pub fund: String,
    /// Distribution id.
    pub distribution_id: String,
    /// Description ("Q1 2026"), may be empty.
    pub description: String,
    /// Record date.
    pub record_date: NaiveDate,
    /// Payable date.
    pub payable_date: NaiveDate,
    /// Units held on the record date (None for explicit lines).
    pub units: Option<Decimal>,
    /// Gross amount of the line.
    pub gross: Money,
    /// Components by wire name (`ordinaryDividend`, …); zero ones are left out when laid out.
    pub components: Vec<(String, i64)>,
    /// Foreign tax paid.
    pub foreign_tax_minor: i64,
    /// Tax withheld.
    pub withholding_minor: i64,
    /// The reinvestment, once processed with one.
    pub reinvestment: Option<NoticeReinvestment>,
    /// Net cash (None before processing).
    pub net_cash_minor: Option<i64>,
    /// Payments of the line.
    pub payments: Vec<NoticePayment>,
    /// Disclosure texts, word for word.
    pub disclosures: Vec<String>,
}

impl NoticeDoc {
    /// The notice laid out.
    pub fn layout(&self) -> Layout {
        let l = self.lang;
        let mut out = Layout {
            lang: l,
            title: l.t("notice").to_string(),
            subtitle: format!("{} {}", l.t("for"), self.investor_name),
            date: self.payable_date,
            sections: Vec::new(),
            disclosures_heading: l.t("disclosures").to_string(),
            disclosures: self.disclosures.clone(),
        };
        out.facts("distribution", l.t("distribution").into(), self.header());
        out.facts("components", l.t("components").into(), self.amounts());
        if let Some(r) = &self.reinvestment {
            out.facts(
                "reinvestment",
                l.t("reinvestment").into(),
                vec![
                    (l.t("fund").into(), r.fund_code.as_str().into()),
                    (l.t("reinvested").into(), r.reinvested.clone().into()),
                    (l.t("shares").into(), r.shares.into()),
                    (l.t("nav").into(), r.nav.into()),
                    (l.t("navDate").into(), r.nav_date.into()),
                    (l.t("residual").into(), r.residual.clone().into()),
                ],
            );
        }
        let rows = self
            .payments
            .iter()
            .map(|p| {
                vec![
                    p.method.as_str().into(),
                    p.destination.as_str().into(),
                    p.status.as_str().into(),
                    p.expected.map_or(Value::Empty, Value::Date),
                    p.amount.clone().into(),
                ]
            })
            .collect();
        let headers = ["method", "destination", "status", "expected", "amount"];
        out.table(
            "payments",
            l.t("payments").into(),
            headers.iter().map(|h| l.t(h).to_string()).collect(),
            rows,
            l.t("noPayments"),
        );
        out
    }

    fn header(&self) -> Vec<(String, Value)> {
        let l = self.lang;
        let mut facts = vec![
            (l.t("fund").into(), self.fund.as_str().into()),
            (
                l.t("distributionId").into(),
                self.distribution_id.as_str().into(),
            ),
        ];
        if !self.description.is_empty() {
            facts.push((l.t("description").into(), self.description.as_str().into()));
        }
        facts.push((l.t("recordDate").into(), self.record_date.into()));
        facts.push((l.t("payableDate").into(), self.payable_date.into()));
        if let Some(u) = self.units {
            facts.push((l.t("units").into(), u.into()));
        }
        facts
    }

    fn amounts(&self) -> Vec<(String, Value)> {
        let l = self.lang;
        let money = |m: i64| Value::Money(self.gross.with(m));
        let mut facts = vec![(l.t("gross").into(), self.gross.clone().into())];
        for (key, minor) in self.components.iter().filter(|(_, m)| *m != 0) {
            facts.push((label_of(l, key), money(*minor)));
        }
        if self.foreign_tax_minor != 0 {
            facts.push((l.t("foreignTax").into(), money(self.foreign_tax_minor)));
        }
        facts.push((l.t("withholding").into(), money(self.withholding_minor)));
        let reinvested = self.reinvestment.as_ref().map_or(0, |r| r.reinvested.minor);
        facts.push((l.t("reinvested").into(), money(reinvested)));
        let net = self
            .net_cash_minor
            .map_or_else(|| l.t("notProcessed").into(), money);
        facts.push((l.t("netCash").into(), net));
        facts
    }
}

/// A component's printed label from its wire name.
pub(super) fn label_of(lang: Lang, key: &str) -> String {
    const KEYS: [&str; 6] = [
        "ordinaryDividend",
        "qualifiedDividend",
        "shortTermGain",
        "longTermGain",
        "returnOfCapital",
        "interest",
    ];
    KEYS.iter()
        .find(|k| **k == key)
        .map_or_else(|| key.to_string(), |k| lang.t(k).to_string())
}
