//! Outbound files for a fund administrator: our distributions, their lines and their
//! payments, one CSV file per kind (layouts in `docs/sync.md`). Money is a decimal string with
//! the currency's minor units (`1234.50` USD, `1234` JPY); dates `YYYY-MM-DD`. Every column has
//! a length limit: free text is cut to it (and a leading `=`, `+`, `-` or `@` is quoted with
//! `'` so that no spreadsheet runs it), anything else over its limit refuses the row.

use clearway_core::money::Currency;

/// The three files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// One row per distribution.
    Distributions,
    /// One row per distribution line (investor).
    Lines,
    /// One row per payment attempt.
    Payments,
}

impl ExportKind {
    /// Every kind, in the order a scheduled export writes them.
    pub const ALL: [ExportKind; 3] = [
        ExportKind::Distributions,
        ExportKind::Lines,
        ExportKind::Payments,
    ];

    /// As stored and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Distributions => "DISTRIBUTIONS",
            ExportKind::Lines => "LINES",
            ExportKind::Payments => "PAYMENTS",
        }
    }

    /// From [`ExportKind::as_str`].
    pub fn parse(s: &str) -> Option<ExportKind> {
        ExportKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The header row with each column's length limit.
    pub fn columns(self) -> &'static [(&'static str, usize)] {
        match self {
            ExportKind::Distributions => &DISTRIBUTION_COLUMNS,
            ExportKind::Lines => &LINE_COLUMNS,
            ExportKind::Payments => &PAYMENT_COLUMNS,
        }
    }
}

const ID: usize = 64;
const MONEY: usize = 24;

/// Distributions: columns and limits.
pub const DISTRIBUTION_COLUMNS: [(&str, usize); 12] = [
    ("distribution_id", ID),
    ("fund_id", ID),
    ("kind", 10),
    ("status", 10),
    ("currency", 3),
    ("declaration_date", 10),
    ("record_date", 10),
    ("payable_date", 10),
    ("total", MONEY),
    ("line_count", 10),
    ("description", 140),
    ("reverses_id", ID),
];

/// Lines: columns and limits.
pub const LINE_COLUMNS: [(&str, usize); 17] = [
    ("distribution_id", ID),
    ("investor_id", ID),
    ("fund_id", ID),
    ("currency", 3),
    ("units", 32),
    ("total", MONEY),
    ("ordinary", MONEY),
    ("qualified", MONEY),
    ("st_gain", MONEY),
    ("lt_gain", MONEY),
    ("return_of_capital", MONEY),
    ("interest", MONEY),
    ("foreign_tax", MONEY),
    ("withholding", MONEY),
    ("reinvested", MONEY),
    ("cash", MONEY),
    ("status", 20),
];

/// Payments: columns and limits.
pub const PAYMENT_COLUMNS: [(&str, usize); 14] = [
    ("payment_id", ID),
    ("distribution_id", ID),
    ("investor_id", ID),
    ("method", 5),
    ("status", 12),
    ("currency", 3),
    ("amount", MONEY),
    ("fund_currency", 3),
    ("fund_amount", MONEY),
    ("expected_date", 10),
    ("cleared_date", 10),
    ("attempt", 4),
    ("reference", 35),
    ("failure_code", 10),
];

/// Free-text columns: cut to their limit rather than refused.
const TEXT_COLUMNS: [&str; 1] = ["description"];

/// A value that does not fit its column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{record}: {column}: {reason}")]
pub struct FieldError {
    /// The record's id.
    pub record: String,
    /// The column.
    pub column: &'static str,
    /// Why.
    pub reason: String,
}

/// A distribution to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionRecord {
    pub id: String,
    pub fund_id: String,
    pub kind: String,
    pub status: String,
    pub currency: String,
    pub declaration_date: String,
    pub record_date: String,
    pub payable_date: String,
    pub total_minor: i64,
    pub line_count: i64,
    pub description: String,
    pub reverses_id: Option<String>,
}

/// A line to write (amounts in the distribution's currency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRecord {
    pub distribution_id: String,
    pub investor_id: String,
    pub fund_id: String,
    pub currency: String,
    pub units: Option<String>,
    pub total_minor: i64,
    /// Ordinary, qualified, short-term gain, long-term gain, return of capital, interest.
    pub components: [i64; 6],
    pub foreign_tax_minor: i64,
    pub withholding_minor: i64,
    pub reinvested_minor: Option<i64>,
    pub cash_minor: Option<i64>,
    pub status: String,
}

/// A payment to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: String,
    pub distribution_id: String,
    pub investor_id: String,
    pub method: String,
    pub status: String,
    pub currency: String,
    pub amount_minor: i64,
    pub fund_currency: String,
    pub fund_amount_minor: i64,
    pub expected_date: String,
    pub cleared_date: Option<String>,
    pub attempt: i64,
    pub reference: Option<String>,
    pub failure_code: Option<String>,
}

fn money(
    record: &str,
    column: &'static str,
    currency: &str,
    minor: i64,
) -> Result<String, FieldError> {
    let c = Currency::parse(currency).map_err(|reason| FieldError {
        record: record.to_string(),
        column,
        reason,
    })?;
    Ok(c.format_minor(minor))
}

/// A distribution's row (before the limits: see [`fit`]).
pub fn distribution_row(d: &DistributionRecord) -> Result<Vec<String>, FieldError> {
    Ok(vec![
        d.id.clone(),
        d.fund_id.clone(),
        d.kind.clone(),
        d.status.clone(),
        d.currency.clone(),
        d.declaration_date.clone(),
        d.record_date.clone(),
        d.payable_date.clone(),
        money(&d.id, "total", &d.currency, d.total_minor)?,
        d.line_count.to_string(),
        d.description.clone(),
        d.reverses_id.clone().unwrap_or_default(),
    ])
}

/// A line's row.
pub fn line_row(l: &LineRecord) -> Result<Vec<String>, FieldError> {
    let id = format!("{}:{}", l.distribution_id, l.investor_id);
    let m = |column, minor| money(&id, column, &l.currency, minor);
    let opt = |column, minor: Option<i64>| minor.map(|v| m(column, v)).transpose();
    let [ord, qual, st, lt, roc, int] = l.components;
    Ok(vec![
        l.distribution_id.clone(),
        l.investor_id.clone(),
        l.fund_id.clone(),
        l.currency.clone(),
        l.units.clone().unwrap_or_default(),
        m("total", l.total_minor)?,
        m("ordinary", ord)?,
        m("qualified", qual)?,
        m("st_gain", st)?,
        m("lt_gain", lt)?,
        m("return_of_capital", roc)?,
        m("interest", int)?,
        m("foreign_tax", l.foreign_tax_minor)?,
        m("withholding", l.withholding_minor)?,
        opt("reinvested", l.reinvested_minor)?.unwrap_or_default(),
        opt("cash", l.cash_minor)?.unwrap_or_default(),
        l.status.clone(),
    ])
}

/// A payment's row.
pub fn payment_row(p: &PaymentRecord) -> Result<Vec<String>, FieldError> {
    Ok(vec![
        p.id.clone(),
        p.distribution_id.clone(),
        p.investor_id.clone(),
        p.method.clone(),
        p.status.clone(),
        p.currency.clone(),
        money(&p.id, "amount", &p.currency, p.amount_minor)?,
        p.fund_currency.clone(),
        money(&p.id, "fund_amount", &p.fund_currency, p.fund_amount_minor)?,
        p.expected_date.clone(),
        p.cleared_date.clone().unwrap_or_default(),
        p.attempt.to_string(),
        p.reference.clone().unwrap_or_default(),
        p.failure_code.clone().unwrap_or_default(),
    ])
}

/// The row of `record` made to fit `kind`'s limits: free text cut (and kept from running as a
/// formula), anything else over its limit refused.
pub fn fit(kind: ExportKind, record: &str, row: Vec<String>) -> Result<Vec<String>, FieldError> {
    row.into_iter()
        .zip(kind.columns())
        .map(|(value, &(column, max))| {
            if TEXT_COLUMNS.contains(&column) {
                return Ok(text(&value, max));
            }
            if value.chars().count() > max {
                return Err(FieldError {
                    record: record.to_string(),
                    column,
                    reason: format!("longer than {max} characters"),
                });
            }
            Ok(value)
        })
        .collect()
}

/// Free text: control characters as spaces, a formula lead quoted, cut to `max` characters.
fn text(value: &str, max: usize) -> String {
    let clean: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = if clean.starts_with(['=', '+', '-', '@']) {
        format!("'{clean}")
    } else {
        clean
    };
    clean.chars().take(max).collect()
}

/// The file: the header row of `kind`, then `rows` (each already [`fit`]).
pub fn write(kind: ExportKind, rows: &[Vec<String>]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header: Vec<&str> = kind.columns().iter().map(|(name, _)| *name).collect();
    // Writing to a Vec cannot fail.
    let _ = w.write_record(&header);
    for row in rows {
        let _ = w.write_record(row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(description: &str) -> DistributionRecord {
        DistributionRecord {
            id: "D1".into(),
            fund_id: "F1".into(),
            kind: "REGULAR".into(),
            status: "COMPLETED".into(),
            currency: "JPY".into(),
            declaration_date: "2026-01-02".into(),
            record_date: "2026-01-10".into(),
            payable_date: "2026-01-20".into(),
            total_minor: 150_000,
            line_count: 2,
            description: description.into(),
            reverses_id: None,
        }
    }

    #[test]
    fn money_has_the_currencys_minor_units_and_text_is_cut_and_defused() {
        let d = dist(&format!("=HYPERLINK(\"x\")\n{}", "a".repeat(200)));
        let row = fit(
            ExportKind::Distributions,
            "D1",
            distribution_row(&d).unwrap(),
        )
        .unwrap();
        assert_eq!(row[8], "150000");
        assert_eq!(row[10].chars().count(), 140);
        assert!(row[10].starts_with("'=HYPERLINK(\"x\") aaa"), "{}", row[10]);
        let file = write(ExportKind::Distributions, &[row]);
        let mut lines = file.split("\r\n");
        assert_eq!(
            lines.next().unwrap(),
            "distribution_id,fund_id,kind,status,currency,declaration_date,record_date,payable_date,total,line_count,description,reverses_id"
        );
        assert!(lines.next().unwrap().starts_with("D1,F1,REGULAR,COMPLETED,JPY,2026-01-02,2026-01-10,2026-01-20,150000,2,\"'=HYPERLINK(\"\"x\"\") aaa"));
        let mut usd = dist("x");
        usd.currency = "USD".into();
        assert_eq!(distribution_row(&usd).unwrap()[8], "1500.00");
    }

    #[test]
    fn an_id_over_its_limit_refuses_the_row() {
        let mut d = dist("x");
        d.fund_id = "F".repeat(65);
        let err = fit(
            ExportKind::Distributions,
            "D1",
            distribution_row(&d).unwrap(),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "D1: fund_id: longer than 64 characters");
    }
}
