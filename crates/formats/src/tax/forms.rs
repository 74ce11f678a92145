//! The year's tax forms as documents: Form 1099-DIV copy B (for recipient), Schedule K-1
//! (Form 1065) and Form 1042-S (recipient copy), laid out through [`crate::documents`] so the
//! PDF (PDF/A-2b), XLSX and CSV read the same figures; plus flat CSV files of many forms for
//! a fund's year. Labels are the forms' own (English: the IRS prints no other), amounts USD.

use chrono::NaiveDate;
use clearway_core::tax::form1042::Form1042S;
use clearway_core::tax::form1099::Div1099;
use clearway_core::tax::k1::{K1Amount, K1Line, K1};
use rust_decimal::Decimal;

use crate::documents::{render, DocumentError, Format, Lang, Layout, Money, Value};

/// The legend the IRS prints on copy B of Form 1099-DIV.
pub const DIV_LEGEND: &str = "This is important tax information and is being furnished to the IRS. If you are required to file a return, a negligence penalty or other sanction may be imposed on you if this income is taxable and the IRS determines that it has not been reported.";

fn usd(minor: i64) -> Value {
    Value::Money(Money::new(minor, 2, "USD"))
}

/// Exact plain decimal of cents (`1234.56`, `-0.05`): what the CSV files carry.
fn plain(minor: i64) -> String {
    format!("{:.2}", Decimal::new(minor, 2))
}

/// `***-**-6789` from the TIN's last four; `(not provided)` without one.
pub fn mask_tin(last4: Option<&str>) -> String {
    match last4 {
        Some(l) => format!("***-**-{l}"),
        None => "(not provided)".to_string(),
    }
}

fn blank_layout(title: String, subtitle: String, year: i32) -> Layout {
    Layout {
        lang: Lang::En,
        title,
        subtitle,
        date: NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
        sections: Vec::new(),
        disclosures_heading: "Notice".to_string(),
        disclosures: Vec::new(),
    }
}

/// Form 1099-DIV copy B of one investor's year in one fund.
#[derive(Debug, Clone, PartialEq)]
pub struct Div1099Doc {
    /// Tax year.
    pub year: i32,
    /// A corrected form (prints CORRECTED).
    pub corrected: bool,
    /// Payer (the fund's legal name).
    pub payer_name: String,
    /// Payer's TIN as printed (EIN `12-3456789`).
    pub payer_tin: String,
    /// Payer's address lines.
    pub payer_address: Vec<String>,
    /// Recipient's name.
    pub recipient_name: String,
    /// Recipient's TIN, masked (see [`mask_tin`]).
    pub recipient_tin_masked: String,
    /// Recipient's address lines.
    pub recipient_address: Vec<String>,
    /// Account number.
    pub account: String,
    /// Fund code and name.
    pub fund: String,
    /// The boxes.
    pub figures: Div1099,
}

/// Box number and label of each amount box of Form 1099-DIV, with its figure.
pub fn div_boxes(d: &Div1099) -> [(&'static str, &'static str, i64); 18] {
    [
        ("1a", "Total ordinary dividends", d.box1a),
        ("1b", "Qualified dividends", d.box1b),
        ("2a", "Total capital gain distr.", d.box2a),
        ("2b", "Unrecap. Sec. 1250 gain", d.box2b),
        ("2c", "Section 1202 gain", d.box2c),
        ("2d", "Collectibles (28%) gain", d.box2d),
        ("2e", "Section 897 ordinary dividends", d.box2e),
        ("2f", "Section 897 capital gain", d.box2f),
        ("3", "Nondividend distributions", d.box3),
        ("4", "Federal income tax withheld", d.box4),
        ("5", "Section 199A dividends", d.box5),
        ("6", "Investment expenses", d.box6),
        ("7", "Foreign tax paid", d.box7),
        ("9", "Cash liquidation distributions", d.box9),
        ("10", "Noncash liquidation distributions", d.box10),
        ("12", "Exempt-interest dividends", d.box12),
        ("13", "Spec. private activity bond int. div.", d.box13),
        ("16", "State tax withheld (all states)", state_total(d)),
    ]
}

fn state_total(d: &Div1099) -> i64 {
    d.states.iter().map(|s| s.withheld_minor).sum()
}

impl Div1099Doc {
    /// Copy B laid out: the parties, every box (zeros included, as the form prints them),
    /// boxes 14–16 per state, and the IRS legend.
    pub fn layout(&self) -> Layout {
        let corrected = if self.corrected { "CORRECTED · " } else { "" };
        let mut out = blank_layout(
            format!("Form 1099-DIV {} — Dividends and Distributions", self.year),
            format!(
                "{corrected}Copy B (For Recipient) · {} · {}",
                self.recipient_name, self.fund
            ),
            self.year,
        );
        let mut parties = vec![(
            "PAYER'S name".to_string(),
            Value::from(self.payer_name.clone()),
        )];
        parties.extend(lines("PAYER'S address", &self.payer_address));
        parties.push(("PAYER'S TIN".into(), self.payer_tin.clone().into()));
        parties.push((
            "RECIPIENT'S TIN".into(),
            self.recipient_tin_masked.clone().into(),
        ));
        parties.push((
            "RECIPIENT'S name".into(),
            self.recipient_name.clone().into(),
        ));
        parties.extend(lines("RECIPIENT'S address", &self.recipient_address));
        parties.push(("Account number".into(), self.account.clone().into()));
        parties.push(("Fund".into(), self.fund.clone().into()));
        if self.corrected {
            parties.push(("CORRECTED".into(), "X (corrected form)".into()));
        }
        out.facts("parties", "Payer and recipient".into(), parties);
        out.facts("boxes", format!("Boxes, {}", self.year), self.box_facts());
        let rows = self
            .figures
            .states
            .iter()
            .map(|s| {
                vec![
                    Value::from(s.state.clone()),
                    Value::from(s.payer_state_id.clone().unwrap_or_default()),
                    usd(s.withheld_minor),
                ]
            })
            .collect();
        out.table(
            "states",
            "Boxes 14–16, state".into(),
            vec![
                "14 State".into(),
                "15 State identification no.".into(),
                "16 State tax withheld".into(),
            ],
            rows,
            "No state tax withheld.",
        );
        out.disclosures = vec![
            format!("Copy B (For Recipient). {DIV_LEGEND}"),
            "Form 1099-DIV (keep for your records). Department of the Treasury - Internal Revenue Service.".into(),
        ];
        out
    }

    fn box_facts(&self) -> Vec<(String, Value)> {
        let d = &self.figures;
        let mut facts: Vec<(String, Value)> = div_boxes(d)
            .iter()
            .take(17)
            .map(|(n, label, v)| (format!("{n} {label}"), usd(*v)))
            .collect();
        let country = d.box8.clone().unwrap_or_default();
        facts.insert(
            13,
            (
                "8 Foreign country or U.S. possession".into(),
                country.into(),
            ),
        );
        let fatca = if d.box11 { "X" } else { "" };
        facts.insert(16, ("11 FATCA filing requirement".into(), fatca.into()));
        facts
    }
}

fn lines(label: &str, address: &[String]) -> Vec<(String, Value)> {
    address
        .iter()
        .map(|l| (label.to_string(), Value::from(l.clone())))
        .collect()
}

/// Schedule K-1 (Form 1065) of one partner's year.
#[derive(Debug, Clone, PartialEq)]
pub struct K1Doc {
    /// Tax year.
    pub year: i32,
    /// Part I B: partnership's name.
    pub partnership_name: String,
    /// Part I A: partnership's EIN.
    pub partnership_ein: String,
    /// Part II F: partner's name.
    pub partner_name: String,
    /// Part II E: partner's TIN, masked.
    pub partner_tin_masked: String,
    /// Part II G: general partner or LLC member-manager (else limited partner).
    pub general_partner: bool,
    /// Figures.
    pub k1: K1,
    /// Statement of items: (line, code, description).
    pub descriptions: Vec<(String, String, String)>,
}

/// Printed number, code and label of a Part III amount (line 19 carries its code letter).
pub fn k1_line(a: &K1Amount) -> (&'static str, String, &'static str) {
    let (line, label) = match a.line {
        K1Line::Interest => ("5", "Interest income"),
        K1Line::OrdinaryDividends => ("6a", "Ordinary dividends"),
        K1Line::QualifiedDividends => ("6b", "Qualified dividends"),
        K1Line::NetShortTermGain => ("8", "Net short-term capital gain (loss)"),
        K1Line::NetLongTermGain => ("9a", "Net long-term capital gain (loss)"),
        K1Line::Collectibles => ("9b", "Collectibles (28%) gain (loss)"),
        K1Line::Unrecaptured1250 => ("9c", "Unrecaptured section 1250 gain"),
        K1Line::Section1231 => ("10", "Net section 1231 gain (loss)"),
        K1Line::OtherIncome => ("11", "Other income (loss)"),
        K1Line::Deductions => ("13", "Other deductions"),
        K1Line::DistributionsCash => ("19", "Distributions: cash and marketable securities"),
        K1Line::DistributionsProperty => ("19", "Distributions: other property"),
        K1Line::OtherInformation => ("20", "Other information"),
        K1Line::ForeignTaxes => ("21", "Foreign taxes paid or accrued"),
    };
    let code = match a.line {
        K1Line::DistributionsCash => "A".to_string(),
        K1Line::DistributionsProperty => "C".to_string(),
        _ => a.code.clone(),
    };
    (line, code, label)
}

impl K1Doc {
    /// The K-1 laid out: Part I, Part II with items J and L, Part III, the statement.
    pub fn layout(&self) -> Layout {
        let mut out = blank_layout(
            format!("Schedule K-1 (Form 1065) {}", self.year),
            format!(
                "Partner's Share of Income, Deductions, Credits, etc. · {}",
                self.partner_name
            ),
            self.year,
        );
        out.facts(
            "part1",
            "Part I — Information About the Partnership".into(),
            vec![
                (
                    "A Partnership's EIN".into(),
                    self.partnership_ein.clone().into(),
                ),
                (
                    "B Partnership's name".into(),
                    self.partnership_name.clone().into(),
                ),
            ],
        );
        let kind = if self.general_partner {
            "General partner or LLC member-manager"
        } else {
            "Limited partner or other LLC member"
        };
        out.facts(
            "part2",
            "Part II — Information About the Partner".into(),
            vec![
                (
                    "E Partner's TIN".into(),
                    self.partner_tin_masked.clone().into(),
                ),
                ("F Partner's name".into(), self.partner_name.clone().into()),
                ("G Partner".into(), kind.into()),
            ],
        );
        self.item_j(&mut out);
        self.item_l(&mut out);
        let rows = self
            .k1
            .lines
            .iter()
            .map(|a| {
                let (line, code, label) = k1_line(a);
                vec![line.into(), code.into(), label.into(), usd(a.amount_minor)]
            })
            .collect();
        out.table(
            "part3",
            "Part III — Partner's share of current year income, deductions, credits, etc.".into(),
            vec!["Line".into(), "Code".into(), "Item".into(), "Amount".into()],
            rows,
            "No items for the year.",
        );
        let rows = self
            .descriptions
            .iter()
            .map(|(l, c, t)| vec![l.clone().into(), c.clone().into(), t.clone().into()])
            .collect();
        out.table(
            "statement",
            "Statement — description of items".into(),
            vec!["Line".into(), "Code".into(), "Description".into()],
            rows,
            "No item needs a statement.",
        );
        out.disclosures = vec![
            "For calendar year or tax year; see the Partner's Instructions for Schedule K-1 (Form 1065). Department of the Treasury - Internal Revenue Service.".into(),
        ];
        out
    }

    fn item_j(&self, out: &mut Layout) {
        let j = &self.k1.item_j;
        let pct = |d: Decimal| Value::Number(d);
        out.table(
            "itemJ",
            "J Partner's share of profit, loss, and capital (%)".into(),
            vec!["Share".into(), "Beginning".into(), "Ending".into()],
            vec![
                vec![
                    "Profit".into(),
                    pct(j.profit_beginning),
                    pct(j.profit_ending),
                ],
                vec!["Loss".into(), pct(j.loss_beginning), pct(j.loss_ending)],
                vec![
                    "Capital".into(),
                    pct(j.capital_beginning),
                    pct(j.capital_ending),
                ],
            ],
            "",
        );
    }

    fn item_l(&self, out: &mut Layout) {
        let l = &self.k1.item_l;
        out.facts(
            "itemL",
            "L Partner's Capital Account Analysis".into(),
            vec![
                ("Beginning capital account".into(), usd(l.beginning)),
                (
                    "Capital contributed during the year".into(),
                    usd(l.contributed),
                ),
                ("Current year net income (loss)".into(), usd(l.net_income)),
                ("Other increase (decrease)".into(), usd(l.other)),
                (
                    "Withdrawals and distributions".into(),
                    usd(-l.withdrawals_distributions),
                ),
                ("Ending capital account".into(), usd(l.ending)),
            ],
        );
    }
}

/// The K-1 as a workbook. Amounts are spreadsheet numbers with two decimals: a double holds
/// every cent exactly up to 2^53 cents (about 90 trillion dollars), far above any account.
pub fn k1_xlsx(doc: &K1Doc) -> Result<Vec<u8>, DocumentError> {
    render(&doc.layout(), Format::Xlsx)
}

/// Form 1042-S (recipient copy) of one foreign recipient's year in one fund.
#[derive(Debug, Clone, PartialEq)]
pub struct Form1042SDoc {
    /// Tax year.
    pub year: i32,
    /// Withholding agent's name.
    pub agent_name: String,
    /// Withholding agent's EIN.
    pub agent_ein: String,
    /// Box 13a: recipient's name.
    pub recipient_name: String,
    /// Box 13b: recipient's country code.
    pub recipient_country: String,
    /// Box 13i: recipient's foreign tax identification number.
    pub recipient_foreign_tin: Option<String>,
    /// One form per income code and rate.
    pub forms: Vec<Form1042S>,
}

/// The boxes of one Form 1042-S with their labels.
fn form1042s_facts(f: &Form1042S) -> Vec<(String, Value)> {
    let text = |s: &Option<String>| Value::from(s.clone().unwrap_or_default());
    vec![
        ("1 Income code".into(), f.income_code.clone().into()),
        ("2 Gross income".into(), usd(f.gross_income_minor)),
        ("3 Chapter indicator".into(), f.chapter.to_string().into()),
        (
            "3a Chapter 3 exemption code".into(),
            f.ch3_exemption_code.clone().into(),
        ),
        (
            "3b Chapter 3 tax rate (%)".into(),
            Value::Number(f.ch3_rate),
        ),
        (
            "4a Chapter 4 exemption code".into(),
            f.ch4_exemption_code.clone().into(),
        ),
        (
            "4b Chapter 4 tax rate (%)".into(),
            Value::Number(f.ch4_rate),
        ),
        ("7a Federal tax withheld".into(), usd(f.withheld_minor)),
        (
            "13b Recipient's country code".into(),
            text(&f.recipient_country),
        ),
        ("13f Ch. 3 status code".into(), text(&f.ch3_status)),
        ("13g Ch. 4 status code".into(), text(&f.ch4_status)),
    ]
}

impl Form1042SDoc {
    /// The recipient copy laid out: agent and recipient, then one section per form.
    pub fn layout(&self) -> Layout {
        let mut out = blank_layout(
            format!("Form 1042-S {}", self.year),
            format!(
                "Foreign Person's U.S. Source Income Subject to Withholding · {}",
                self.recipient_name
            ),
            self.year,
        );
        out.facts(
            "parties",
            "Withholding agent and recipient".into(),
            vec![
                (
                    "12a Withholding agent's EIN".into(),
                    self.agent_ein.clone().into(),
                ),
                (
                    "12d Withholding agent's name".into(),
                    self.agent_name.clone().into(),
                ),
                (
                    "13a Recipient's name".into(),
                    self.recipient_name.clone().into(),
                ),
                (
                    "13b Recipient's country code".into(),
                    self.recipient_country.clone().into(),
                ),
                (
                    "13i Recipient's foreign tax id".into(),
                    self.recipient_foreign_tin
                        .clone()
                        .unwrap_or_default()
                        .into(),
                ),
            ],
        );
        if self.forms.is_empty() {
            out.table(
                "forms",
                "Forms".into(),
                vec![],
                vec![],
                "No income subject to reporting.",
            );
        }
        for (i, f) in self.forms.iter().enumerate() {
            out.facts(
                "form",
                format!(
                    "Form {} of {} — income code {}",
                    i + 1,
                    self.forms.len(),
                    f.income_code
                ),
                form1042s_facts(f),
            );
        }
        out.disclosures = vec![
            "Copy B for Recipient: keep for your records. Department of the Treasury - Internal Revenue Service.".into(),
        ];
        out
    }
}

fn csv_text(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to memory cannot fail; a failure would be a bug of the csv crate.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Form 1099-DIV figures of many investors, one row each: every box as an exact decimal,
/// box 8, box 11 (`true`/`false`) and up to two states.
pub fn div1099_csv(rows: &[(String, String, Div1099)]) -> String {
    let mut header = vec!["investorId", "name"];
    let names = [
        "box1a", "box1b", "box2a", "box2b", "box2c", "box2d", "box2e", "box2f", "box3", "box4",
        "box5", "box6", "box7", "box9", "box10", "box12", "box13",
    ];
    header.extend(names);
    header.extend([
        "box8",
        "box11",
        "state1",
        "stateId1",
        "stateWithheld1",
        "state2",
        "stateId2",
        "stateWithheld2",
    ]);
    let body = rows
        .iter()
        .map(|(id, name, d)| {
            let mut r = vec![id.clone(), name.clone()];
            r.extend(div_boxes(d).iter().take(17).map(|(_, _, v)| plain(*v)));
            r.push(d.box8.clone().unwrap_or_default());
            r.push(d.box11.to_string());
            for i in 0..2 {
                match d.states.get(i) {
                    Some(s) => r.extend([
                        s.state.clone(),
                        s.payer_state_id.clone().unwrap_or_default(),
                        plain(s.withheld_minor),
                    ]),
                    None => r.extend([String::new(), String::new(), String::new()]),
                }
            }
            r
        })
        .collect();
    csv_text(&header, body)
}

/// Form 1042-S rows of many recipients: one line per form.
pub fn form1042s_csv(rows: &[(String, String, Form1042S)]) -> String {
    let header = [
        "investorId",
        "name",
        "incomeCode",
        "grossIncome",
        "chapter",
        "ch3ExemptionCode",
        "ch3Rate",
        "ch4ExemptionCode",
        "ch4Rate",
        "federalWithheld",
        "recipientCountry",
        "ch3Status",
        "ch4Status",
    ];
    let body = rows
        .iter()
        .map(|(id, name, f)| {
            vec![
                id.clone(),
                name.clone(),
                f.income_code.clone(),
                plain(f.gross_income_minor),
                f.chapter.to_string(),
                f.ch3_exemption_code.clone(),
                f.ch3_rate.normalize().to_string(),
                f.ch4_exemption_code.clone(),
                f.ch4_rate.normalize().to_string(),
                plain(f.withheld_minor),
                f.recipient_country.clone().unwrap_or_default(),
                f.ch3_status.clone().unwrap_or_default(),
                f.ch4_status.clone().unwrap_or_default(),
            ]
        })
        .collect();
    csv_text(&header, body)
}

/// Schedule K-1 Part III amounts of many partners: one line per partner, line and code.
pub fn k1_csv(rows: &[(String, String, K1)]) -> String {
    let header = ["investorId", "name", "line", "code", "item", "amount"];
    let body = rows
        .iter()
        .flat_map(|(id, name, k1)| {
            k1.lines.iter().map(move |a| {
                let (line, code, label) = k1_line(a);
                vec![
                    id.clone(),
                    name.clone(),
                    line.to_string(),
                    code,
                    label.to_string(),
                    plain(a.amount_minor),
                ]
            })
        })
        .collect();
    csv_text(&header, body)
}

#[cfg(test)]
mod tests;
