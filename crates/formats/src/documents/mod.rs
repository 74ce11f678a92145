//! Investor documents: the distribution notice, the investor statement of a period and the tax
//! summary of a year, each as PDF (PDF/A-2b, DejaVu Sans embedded), XLSX or CSV. Pure: typed
//! inputs in, bytes out.
//!
//! Each document is first laid out as a [`Layout`] (titled sections of facts and tables, then
//! the disclosures), and the three writers render any layout, so a figure reads the same in
//! every format. The caller supplies the disclosure texts word for word (the core owns them).

mod csv;
mod labels;
mod layout;
mod notice;
mod pdf;
mod statement;
mod tax;
pub mod xlsx;

use std::fmt;

use rust_decimal::Decimal;

pub use labels::Lang;
pub use layout::{Block, Layout, Section, Value};
pub use notice::{NoticeDoc, NoticePayment, NoticeReinvestment};
pub use statement::{
    StatementDistribution, StatementDoc, StatementLot, StatementPayment, StatementPosition,
    StatementReinvestment,
};
pub use tax::{TaxFundRow, TaxSummaryDoc};

/// An exact amount: minor units of a currency with its exponent (2 for USD, 0 for JPY).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// Minor units.
    pub minor: i64,
    /// Decimal places of the currency.
    pub exponent: u32,
    /// ISO 4217 code.
    pub currency: String,
}

impl Money {
    /// `minor` units of `currency` with `exponent` decimal places.
    pub fn new(minor: i64, exponent: u32, currency: &str) -> Money {
        Money {
            minor,
            exponent,
            currency: currency.to_string(),
        }
    }

    /// Another amount in the same currency.
    pub fn with(&self, minor: i64) -> Money {
        Money::new(minor, self.exponent, &self.currency)
    }

    /// The amount as an exact decimal.
    pub fn decimal(&self) -> Decimal {
        Decimal::new(self.minor, self.exponent)
    }

    /// `1,234.56` (grouped thousands, the currency's decimal places, no code).
    pub fn grouped(&self) -> String {
        let text = format!("{:.*}", self.exponent as usize, self.decimal().abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        let sign = if self.minor < 0 { "-" } else { "" };
        if frac.is_empty() {
            format!("{sign}{out}")
        } else {
            format!("{sign}{out}.{frac}")
        }
    }
}

impl fmt::Display for Money {
    /// `1,234.56 USD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.grouped(), self.currency)
    }
}

/// A file format of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// PDF/A-2b.
    Pdf,
    /// Office Open XML workbook.
    Xlsx,
    /// RFC 4180 CSV, UTF-8.
    Csv,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Pdf, Format::Xlsx, Format::Csv];

    /// The wire and file-extension name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }

    /// The MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    /// Parses `pdf`, `xlsx` or `csv`.
    pub fn parse(text: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == text)
    }
}

/// A writer failed (a bug or a limit of the library, never bad input: inputs are typed).
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The PDF writer refused the document.
    #[error("PDF: {0}")]
    Pdf(String),
    /// The XLSX writer failed.
    #[error("XLSX: {0}")]
    Xlsx(String),
    /// The CSV writer failed.
    #[error("CSV: {0}")]
    Csv(String),
}

/// Renders a laid-out document in `format`.
pub fn render(layout: &Layout, format: Format) -> Result<Vec<u8>, DocumentError> {
    match format {
        Format::Pdf => pdf::write(layout),
        Format::Xlsx => xlsx::write(layout),
        Format::Csv => csv::write(layout),
    }
}

#[cfg(test)]
mod tests;
