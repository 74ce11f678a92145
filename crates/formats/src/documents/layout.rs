//! The neutral shape every document is laid out in before a writer renders it.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::labels::Lang;
use super::Money;

/// One value of a fact or a table cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// An exact amount.
    Money(Money),
    /// An exact decimal (units, shares, NAV).
    Number(Decimal),
    /// A date.
    Date(NaiveDate),
    /// Nothing (an empty cell).
    Empty,
}

impl Value {
    /// The value as printed in a PDF (money grouped with its code).
    pub fn display(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::Money(m) => m.to_string(),
            Value::Number(d) => d.normalize().to_string(),
            Value::Date(d) => d.to_string(),
            Value::Empty => String::new(),
        }
    }

    /// The value as written in CSV: exact and plain (money without grouping or code).
    pub fn plain(&self) -> String {
        match self {
            Value::Money(m) => format!("{:.*}", m.exponent as usize, m.decimal()),
            other => other.display(),
        }
    }

    /// Whether the value reads right-aligned (amounts and quantities).
    pub fn is_numeric(&self) -> bool {
        matches!(self, Value::Money(_) | Value::Number(_))
    }
}

impl From<&str> for Value {
    fn from(t: &str) -> Value {
        Value::Text(t.to_string())
    }
}
impl From<String> for Value {
    fn from(t: String) -> Value {
        Value::Text(t)
    }
}
impl From<Money> for Value {
    fn from(m: Money) -> Value {
        Value::Money(m)
    }
}
impl From<NaiveDate> for Value {
    fn from(d: NaiveDate) -> Value {
        Value::Date(d)
    }
}
impl From<Decimal> for Value {
    fn from(d: Decimal) -> Value {
        Value::Number(d)
    }
}

/// What a section holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Label–value pairs, one per line.
    Facts(Vec<(String, Value)>),
    /// A table: headers and rows as long as them.
    Table {
        /// Column headers.
        headers: Vec<String>,
        /// Rows.
        rows: Vec<Vec<Value>>,
    },
    /// A paragraph of text.
    Text(String),
}

/// A titled part of a document. `key` names it in CSV (stable, not translated).
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Machine name (`distribution`, `components`, `payments`, …).
    pub key: &'static str,
    /// Heading as printed.
    pub heading: String,
    /// Content.
    pub block: Block,
}

/// A document laid out: title, sections, then the required disclosures.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Language of the labels (the PDF's declared language too).
    pub lang: Lang,
    /// Title, e.g. "Distribution notice".
    pub title: String,
    /// One line under the title (investor and subject).
    pub subtitle: String,
    /// The date the document speaks as of (its PDF creation date, so the same figures give
    /// the same bytes): the payable date, the period's end, or the year's last day.
    pub date: NaiveDate,
    /// Sections in order.
    pub sections: Vec<Section>,
    /// Heading of the disclosures.
    pub disclosures_heading: String,
    /// Disclosure texts, word for word.
    pub disclosures: Vec<String>,
}

impl Layout {
    /// Adds a section of facts.
    pub fn facts(&mut self, key: &'static str, heading: String, facts: Vec<(String, Value)>) {
        self.sections.push(Section {
            key,
            heading,
            block: Block::Facts(facts),
        });
    }

    /// Adds a table section; an empty table becomes the paragraph `empty`.
    pub fn table(
        &mut self,
        key: &'static str,
        heading: String,
        headers: Vec<String>,
        rows: Vec<Vec<Value>>,
        empty: &str,
    ) {
        let block = if rows.is_empty() {
            Block::Text(empty.to_string())
        } else {
            Block::Table { headers, rows }
        };
        self.sections.push(Section {
            key,
            heading,
            block,
        });
    }
}
