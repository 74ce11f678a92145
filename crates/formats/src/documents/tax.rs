//! The tax summary of a year: each fund's components summed, foreign tax and withholding.

use chrono::NaiveDate;

use super::labels::Lang;
use super::layout::{Layout, Value};
use super::notice::label_of;
use super::Money;

/// One fund's sums for the year.
#[derive(Debug, Clone, PartialEq)]
pub struct TaxFundRow {
    /// Fund code and name.
    pub fund: String,
    /// Gross total (its currency and exponent serve every amount of the row).
    pub total: Money,
    /// Each component by wire name, all six (zeros included).
    pub components: Vec<(String, i64)>,
    /// Foreign tax paid.
    pub foreign_tax_minor: i64,
    /// Tax withheld.
    pub withholding_minor: i64,
}

/// Everything the tax summary says.
#[derive(Debug, Clone, PartialEq)]
pub struct TaxSummaryDoc {
    /// Language of the labels.
    pub lang: Lang,
    /// Investor's name.
    pub investor_name: String,
    /// Tax year.
    pub year: i32,
    /// One row per fund (and currency).
    pub funds: Vec<TaxFundRow>,
    /// Disclosure texts, word for word.
    pub disclosures: Vec<String>,
}

impl TaxSummaryDoc {
    /// The summary laid out: one section of facts per fund.
    pub fn layout(&self) -> Layout {
        let l = self.lang;
        let mut out = Layout {
            lang: l,
            title: format!("{} {}", l.t("taxSummary"), self.year),
            subtitle: format!(
                "{} {} · {} {}",
                l.t("for"),
                self.investor_name,
                l.t("year"),
                self.year
            ),
            date: NaiveDate::from_ymd_opt(self.year, 12, 31).unwrap_or_default(),
            sections: Vec::new(),
            disclosures_heading: l.t("disclosures").to_string(),
            disclosures: self.disclosures.clone(),
        };
        if self.funds.is_empty() {
            out.table(
                "funds",
                l.t("byFund").into(),
                Vec::new(),
                Vec::new(),
                l.t("noTax"),
            );
        }
        for f in &self.funds {
            let money = |m: i64| Value::Money(f.total.with(m));
            let mut facts: Vec<(String, Value)> = f
                .components
                .iter()
                .map(|(k, m)| (label_of(l, k), money(*m)))
                .collect();
            facts.push((l.t("foreignTax").into(), money(f.foreign_tax_minor)));
            facts.push((l.t("withholding").into(), money(f.withholding_minor)));
            facts.push((l.t("total").into(), f.total.clone().into()));
            out.facts("fund", format!("{} — {}", l.t("fund"), f.fund), facts);
        }
        out
    }
}
