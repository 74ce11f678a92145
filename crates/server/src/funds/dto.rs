//! Wire shapes of the share-class and holdings API.

use clearway_core::distribution::parse_date;
use clearway_core::money::parse_decimal;
use clearway_core::{FieldError, Invalid};
use clearway_store::classes::{ClassSummary, ShareClass};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `POST /api/funds/{fundId}/classes`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClassRequest {
    /// Code, unique in the fund: 1–32 of `A–Z a–z 0–9 - _ .`, not `DEFAULT` (e.g. `I`).
    pub code: String,
    /// Display name, 1–100 characters (e.g. "Institutional").
    pub name: String,
}

/// A share class with its latest NAV and holders (as of today).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClassView {
    /// Id (null for `DEFAULT`, every fund's implicit class).
    pub id: Option<String>,
    /// Fund.
    pub fund_id: String,
    /// Code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// The fund's currency (ISO 4217).
    pub currency: String,
    /// Latest NAV per share on or before today (null when none).
    pub latest_nav: Option<String>,
    /// Its date.
    pub latest_nav_date: Option<String>,
    /// Investors holding more than zero units today.
    pub holders: usize,
    /// Units held in total today.
    pub units: String,
    /// When it was added (null for `DEFAULT`).
    pub created_at: Option<String>,
}

impl ClassView {
    /// A class without figures (just created: nothing held, no NAV).
    pub fn bare(c: &ShareClass) -> Self {
        ClassView {
            id: c.id.clone(),
            fund_id: c.fund_id.clone(),
            code: c.code.clone(),
            name: c.name.clone(),
            currency: c.currency.code().to_string(),
            latest_nav: None,
            latest_nav_date: None,
            holders: 0,
            units: "0".into(),
            created_at: c.created_at.clone(),
        }
    }
}

impl From<&ClassSummary> for ClassView {
    fn from(s: &ClassSummary) -> Self {
        ClassView {
            latest_nav: s.latest_nav.map(|(_, n)| n.normalize().to_string()),
            latest_nav_date: s.latest_nav.map(|(d, _)| d.to_string()),
            holders: s.holders,
            units: s.units.normalize().to_string(),
            ..ClassView::bare(&s.class)
        }
    }
}

/// Body of `POST /api/funds/{fundId}/holdings`: units per investor from a date, in a class.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldingsRequest {
    /// YYYY-MM-DD: the units hold from this date.
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub as_of: String,
    /// Share class (`DEFAULT` when absent).
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9._-]{1,32}$")]
    pub share_class: Option<String>,
    /// One row per investor (at most 100,000).
    pub holdings: Vec<HoldingItem>,
}

/// One investor's units.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldingItem {
    /// Investor id.
    #[schema(min_length = 1)]
    pub investor_id: String,
    /// Units held, a decimal string ≥ 0.
    #[schema(max_length = 40, pattern = "^(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub units: String,
}

/// Answer of `POST /api/funds/{fundId}/holdings`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HoldingsView {
    /// Fund id.
    pub fund_id: String,
    /// Share class.
    pub share_class: String,
    /// Date.
    pub as_of: String,
    /// Rows recorded.
    pub recorded: usize,
}

/// Most holdings rows in one request.
pub const HOLDINGS_MAX: usize = 100_000;

impl HoldingsRequest {
    /// The date and (investor, units) rows, or every bad field.
    pub fn parse(&self) -> Result<(chrono::NaiveDate, Vec<(String, Decimal)>), Invalid> {
        let mut errors = Vec::new();
        let date = parse_date("asOf", &self.as_of)
            .map_err(|e| errors.push(e))
            .ok();
        if self.holdings.is_empty() || self.holdings.len() > HOLDINGS_MAX {
            errors.push(FieldError::new(
                "holdings",
                format!("give 1 to {HOLDINGS_MAX} rows"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let mut rows = Vec::new();
        for (i, h) in self.holdings.iter().enumerate() {
            let investor = h.investor_id.trim();
            if investor.is_empty() {
                errors.push(FieldError::new(
                    format!("holdings[{i}].investorId"),
                    "is required",
                ));
            } else if !seen.insert(investor) {
                errors.push(FieldError::new(
                    format!("holdings[{i}].investorId"),
                    "appears more than once",
                ));
            }
            let field = format!("holdings[{i}].units");
            match parse_decimal(&field, &h.units) {
                Ok(u) if u >= Decimal::ZERO => rows.push((investor.to_string(), u)),
                Ok(_) => errors.push(FieldError::new(field, "must not be negative")),
                Err(e) => errors.push(e),
            }
        }
        match date {
            Some(d) if errors.is_empty() => Ok((d, rows)),
            _ => Err(Invalid(errors)),
        }
    }
}
