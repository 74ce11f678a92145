//! Wire shapes of the reconciliation API. Responses are the store's views with every
//! `…Minor` integer accompanied by its decimal string (`amountMinor: -12345` →
//! `amount: "-123.45"`), so clients get exact money in both forms.

use clearway_core::Currency;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

/// Adds a decimal-string twin to every `…Minor` integer field, in the currency of the object
/// (its own `currency` field, else the parent's).
pub fn with_amounts(mut value: Value) -> Value {
    add_amounts(&mut value, None);
    value
}

fn add_amounts(value: &mut Value, inherited: Option<Currency>) {
    match value {
        Value::Object(map) => {
            let currency = map
                .get("currency")
                .and_then(Value::as_str)
                .and_then(|c| Currency::parse(c).ok())
                .or(inherited);
            let mut extra = Map::new();
            for (k, v) in map.iter_mut() {
                if let (Some(base), Some(minor), Some(c)) =
                    (k.strip_suffix("Minor"), v.as_i64(), currency)
                {
                    extra.insert(base.to_string(), Value::String(c.format_minor(minor)));
                } else {
                    add_amounts(v, currency);
                }
            }
            map.extend(extra);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| add_amounts(v, inherited)),
        _ => {}
    }
}

/// Serializes a store view with its decimal amounts.
pub fn view<T: Serialize>(v: &T) -> Value {
    with_amounts(serde_json::to_value(v).unwrap_or(Value::Null))
}

/// A page of views.
pub fn page(items: Vec<Value>, next_cursor: Option<String>) -> Value {
    serde_json::json!({ "items": items, "nextCursor": next_cursor })
}

/// Query of `POST /api/bank-statements`: the format (detected when absent), the CSV/XLSX
/// preset or column mapping, and the account/currency when the file names none.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportQuery {
    /// `bai2`, `camt053` (also camt052/camt054), `mt940` (also mt942), `csv` or `xlsx`.
    pub format: Option<String>,
    /// CSV/XLSX preset: paypal-en, paypal-es, debit-credit-eu, debit-credit-en, simple-en, simple-en-inverse, simple-en-no-header.
    pub preset: Option<String>,
    /// Account id when the file names none.
    pub account: Option<String>,
    /// Currency when the file names none.
    pub currency: Option<String>,
    /// CSV delimiter (one character).
    pub delimiter: Option<String>,
    /// Metadata rows before the header.
    pub skip_rows: Option<usize>,
    /// Whether the file has a header row.
    pub header: Option<bool>,
    /// Trailer rows to ignore.
    pub footer_rows: Option<usize>,
    /// chrono date format, e.g. `%d/%m/%Y`.
    pub date_format: Option<String>,
    /// `.` or `,`.
    pub decimal_separator: Option<String>,
    /// Flip every sign.
    pub inverse_sign: Option<bool>,
    /// Date column (header name or 0-based index).
    pub date_column: Option<String>,
    /// Value-date column.
    pub value_date_column: Option<String>,
    /// Signed amount column.
    pub amount_column: Option<String>,
    /// Debit column (with creditColumn).
    pub debit_column: Option<String>,
    /// Credit column (with debitColumn).
    pub credit_column: Option<String>,
    /// Currency column.
    pub currency_column: Option<String>,
    /// Running-balance column.
    pub balance_column: Option<String>,
    /// Bank reference column.
    pub reference_column: Option<String>,
    /// Customer / end-to-end reference column.
    pub customer_reference_column: Option<String>,
    /// Counterparty name column.
    pub counterparty_column: Option<String>,
    /// Description column.
    pub description_column: Option<String>,
}

/// Body of `POST /api/reconciliation/matches`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManualMatchRequest {
    /// Statement lines (1–100).
    pub line_ids: Vec<String>,
    /// Payments (1–1000); the amounts must add up exactly to the lines'.
    pub payment_ids: Vec<String>,
    /// `CLEARED` (default: the lines paid the payments) or `RETURNED` (money came back).
    #[serde(default)]
    pub outcome: Option<String>,
    /// Why (kept with the match).
    #[serde(default)]
    pub note: Option<String>,
}
