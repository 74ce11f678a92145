//! The declaration form shared by the wizard and the edit page: its fields as posted, the
//! API's [`DistributionRequest`] built from them, API field names mapped back to the inputs,
//! weekend warnings, and the preview table's rows.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use clearway_app::distributions::Preview;
use clearway_core::components::ComponentKind;
use clearway_core::reconciliation::calendar::add_business_days;
use clearway_core::Currency;
use clearway_store::distributions::{Distribution, Line};
use serde::Deserialize;
use serde_json::Value;

use crate::distributions::dto::{AllocationRequest, DistributionRequest, LineRequest};
use crate::web::fmt::money_code;

/// Lines the preview lists (the rest are counted).
pub const PREVIEW_LINES: usize = 20;
/// Explicit lines the edit form holds; larger distributions are edited through the API.
pub const FORM_LINES: i64 = 1000;

/// The declaration form as posted (every field text, as typed; empty means not given).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WizardForm {
    /// Idempotency key generated when the form was drawn (a double submit creates one).
    pub idem: String,
    /// The distribution edited (empty in the wizard).
    pub editing: String,
    pub fund: String,
    pub declaration_date: String,
    pub ex_date: String,
    pub record_date: String,
    pub payable_date: String,
    /// `pro_rata`, `per_share` or `explicit`.
    pub method: String,
    pub total: String,
    pub rate: String,
    /// Explicit lines, one per row: investor id, total, then components.
    pub lines: String,
    pub description: String,
    #[serde(rename = "c_ordinaryDividend")]
    pub c_ordinary: String,
    #[serde(rename = "c_qualifiedDividend")]
    pub c_qualified: String,
    #[serde(rename = "c_shortTermGain")]
    pub c_short: String,
    #[serde(rename = "c_longTermGain")]
    pub c_long: String,
    #[serde(rename = "c_returnOfCapital")]
    pub c_roc: String,
    #[serde(rename = "c_interest")]
    pub c_interest: String,
}

/// The columns of an explicit line after the investor id, in order (the API's names).
const LINE_COLUMNS: [&str; 9] = [
    "totalAmount",
    "ordinaryDividend",
    "qualifiedDividend",
    "shortTermGain",
    "longTermGain",
    "returnOfCapital",
    "interest",
    "foreignTax",
    "withholding",
];

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// A date that falls on a weekend: the warning shown next to it.
fn weekend(text: &str) -> Option<String> {
    let d = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    match d.weekday() {
        Weekday::Sat => Some("a Saturday"),
        Weekday::Sun => Some("a Sunday"),
        _ => None,
    }
    .map(|day| format!("{d} is {day}: not a business day."))
}

impl WizardForm {
    /// A blank form with a fresh idempotency key, declared today.
    pub fn blank(today: NaiveDate) -> WizardForm {
        WizardForm {
            idem: uuid::Uuid::new_v4().to_string(),
            declaration_date: today.to_string(),
            method: "pro_rata".into(),
            ..WizardForm::default()
        }
    }

    /// The form of an existing distribution (its explicit lines from `lines`).
    pub fn of(d: &Distribution, lines: &[Line]) -> WizardForm {
        let a = &d.allocation;
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let ratio = |k: &str| text(&a["components"][k]);
        let method = text(&a["method"]);
        WizardForm {
            idem: uuid::Uuid::new_v4().to_string(),
            editing: d.id.clone(),
            fund: d.fund_id.clone(),
            declaration_date: d.schedule.declaration.to_string(),
            ex_date: d.schedule.ex.map(|x| x.to_string()).unwrap_or_default(),
            record_date: d.schedule.record.to_string(),
            payable_date: d.schedule.payable.to_string(),
            total: text(&a["total"]),
            rate: text(&a["rate"]),
            lines: if matches!(method.as_str(), "pro_rata" | "per_share") {
                String::new()
            } else {
                lines_text(lines, d.currency)
            },
            method: match method.as_str() {
                "pro_rata" | "per_share" => method.clone(),
                _ => "explicit".into(),
            },
            description: d.description.clone(),
            c_ordinary: ratio("ordinaryDividend"),
            c_qualified: ratio("qualifiedDividend"),
            c_short: ratio("shortTermGain"),
            c_long: ratio("longTermGain"),
            c_roc: ratio("returnOfCapital"),
            c_interest: ratio("interest"),
        }
    }

    /// The component ratio inputs: (API name, label, value).
    pub fn components(&self) -> Vec<(&'static str, &'static str, &str)> {
        let values = [
            &self.c_ordinary,
            &self.c_qualified,
            &self.c_short,
            &self.c_long,
            &self.c_roc,
            &self.c_interest,
        ];
        ComponentKind::ALL
            .into_iter()
            .zip(values)
            .map(|(k, v)| (k.as_str(), component_label(k), v.as_str()))
            .collect()
    }

    /// A blank payable date becomes the next business day after the record date.
    pub fn fill_defaults(&mut self) {
        if !self.payable_date.trim().is_empty() {
            return;
        }
        if let Ok(record) = NaiveDate::parse_from_str(self.record_date.trim(), "%Y-%m-%d") {
            let weekday = !matches!(record.weekday(), Weekday::Sat | Weekday::Sun);
            // A weekend counts as the Monday after it: Monday itself is then the next day.
            self.payable_date = add_business_days(record, i64::from(weekday)).to_string();
        }
    }

    /// Weekend warnings by input name.
    pub fn warnings(&self) -> BTreeMap<&'static str, String> {
        [
            ("declaration_date", &self.declaration_date),
            ("ex_date", &self.ex_date),
            ("record_date", &self.record_date),
            ("payable_date", &self.payable_date),
        ]
        .into_iter()
        .filter_map(|(name, v)| weekend(v).map(|w| (name, w)))
        .collect()
    }

    /// The API's request of this form; rows of explicit lines with too many columns are
    /// `Err` with the `lines` field's message.
    pub fn request(&self) -> Result<DistributionRequest, String> {
        let explicit = self.method == "explicit";
        let allocation = (!explicit).then(|| AllocationRequest {
            method: self.method.trim().to_string(),
            // Only the amount of the chosen method is sent: the other input may hold a stale value.
            total: given(&self.total).filter(|_| self.method == "pro_rata"),
            rate: given(&self.rate).filter(|_| self.method == "per_share"),
            components: {
                let ratios: BTreeMap<String, String> = self
                    .components()
                    .into_iter()
                    .filter_map(|(k, _, v)| given(v).map(|v| (k.to_string(), v)))
                    .collect();
                (!ratios.is_empty()).then_some(ratios)
            },
        });
        let lines = if explicit {
            Some(self.explicit_lines()?)
        } else {
            None
        };
        Ok(DistributionRequest {
            fund_id: self.fund.trim().to_string(),
            declaration_date: self.declaration_date.trim().to_string(),
            ex_date: given(&self.ex_date),
            record_date: self.record_date.trim().to_string(),
            payable_date: self.payable_date.trim().to_string(),
            currency: None,
            description: given(&self.description),
            allocation,
            lines,
            // The wizard declares for the DEFAULT class; classes are declared through the API.
            share_class: None,
            class_rates: None,
        })
    }

    fn explicit_lines(&self) -> Result<Vec<LineRequest>, String> {
        let rows = self.lines.lines().filter(|r| !r.trim().is_empty());
        rows.enumerate()
            .map(|(i, row)| {
                let cells: Vec<String> = row.split(',').map(|c| c.trim().to_string()).collect();
                if cells.len() > 1 + LINE_COLUMNS.len() {
                    return Err(format!(
                        "line {}: at most {} columns (investor id, {})",
                        i + 1,
                        1 + LINE_COLUMNS.len(),
                        LINE_COLUMNS.join(", ")
                    ));
                }
                let cell = |n: usize| cells.get(n).and_then(|c| given(c));
                Ok(LineRequest {
                    investor_id: cell(0),
                    total_amount: cell(1).unwrap_or_default(),
                    ordinary_dividend: cell(2),
                    qualified_dividend: cell(3),
                    short_term_gain: cell(4),
                    long_term_gain: cell(5),
                    return_of_capital: cell(6),
                    interest: cell(7),
                    foreign_tax: cell(8),
                    withholding: cell(9),
                })
            })
            .collect()
    }
}

/// Explicit lines as the form's rows: investor id, total, components, foreign tax, withholding.
fn lines_text(lines: &[Line], currency: Currency) -> String {
    let f = |m: i64| currency.format_minor(m);
    lines
        .iter()
        .map(|l| {
            let c = &l.components;
            let amounts = [
                l.total_minor,
                c.ordinary_dividend,
                c.qualified_dividend,
                c.short_term_gain,
                c.long_term_gain,
                c.return_of_capital,
                c.interest,
                c.foreign_tax,
                c.withholding,
            ];
            let amounts: Vec<String> = amounts.into_iter().map(f).collect();
            format!("{},{}", l.investor_id, amounts.join(","))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The input an API field's refusal is shown next to, and its message.
pub fn input_of(field: &str, message: &str) -> (String, String) {
    let plain = |name: &str| (name.to_string(), message.to_string());
    match field {
        "fundId" | "currency" => plain("fund"),
        "declarationDate" => plain("declaration_date"),
        "exDate" => plain("ex_date"),
        "recordDate" => plain("record_date"),
        "payableDate" => plain("payable_date"),
        "description" => plain("description"),
        "allocation.total" => plain("total"),
        "allocation.rate" => plain("rate"),
        "allocation.method" | "allocation" => plain("method"),
        f if f.starts_with("allocation.components") => plain("components"),
        f if f.starts_with("lines") => {
            // `lines[3].totalAmount` → "line 4, totalAmount: …", shown at the lines box.
            let at = f
                .strip_prefix("lines[")
                .and_then(|r| r.split_once(']'))
                .and_then(|(n, rest)| Some((n.parse::<usize>().ok()? + 1, rest)));
            match at {
                Some((n, rest)) => (
                    "lines".into(),
                    format!("line {n}{}: {message}", rest.replacen('.', ", ", 1)),
                ),
                None => plain("lines"),
            }
        }
        _ => plain("form"),
    }
}

/// One previewed line, formatted.
pub struct PreviewRow {
    pub investor: String,
    pub units: String,
    pub amount: String,
}

/// The preview table: the first lines, their count, the total and the tie-out.
pub struct PreviewView {
    pub rows: Vec<PreviewRow>,
    pub count: usize,
    pub lines_total: String,
    /// The declared total (pro rata only).
    pub declared: Option<String>,
    /// Whether the lines sum to the declared total exactly (pro rata only).
    pub ties_out: Option<bool>,
}

impl From<&Preview> for PreviewView {
    fn from(p: &Preview) -> Self {
        let rows = p
            .lines
            .iter()
            .take(PREVIEW_LINES)
            .map(|l| PreviewRow {
                investor: l.investor_id.clone(),
                units: l.units.map(|u| u.to_string()).unwrap_or_default(),
                amount: money_code(l.total, p.currency),
            })
            .collect();
        PreviewView {
            rows,
            count: p.lines.len(),
            lines_total: money_code(p.lines_minor(), p.currency),
            declared: p.declared_minor.map(|m| money_code(m, p.currency)),
            ties_out: p.declared_minor.map(|m| m == p.lines_minor()),
        }
    }
}

/// How a tax component is named on the pages.
pub fn component_label(kind: ComponentKind) -> &'static str {
    match kind {
        ComponentKind::OrdinaryDividend => "Ordinary dividend",
        ComponentKind::QualifiedDividend => "Qualified dividend",
        ComponentKind::ShortTermGain => "Short-term gain",
        ComponentKind::LongTermGain => "Long-term gain",
        ComponentKind::ReturnOfCapital => "Return of capital",
        ComponentKind::Interest => "Interest",
    }
}
