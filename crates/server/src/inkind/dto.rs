//! Wire shapes of the in-kind API. Money is a decimal string in the fund's currency (with the
//! minor-unit integer beside it where tax reads it); units of a security are whole numbers.

use clearway_app::inkind::{InKindPlan, InKindRequest};
use clearway_core::distribution::{parse_date, Schedule};
use clearway_core::money::parse_decimal;
use clearway_core::{Currency, FieldError};
use clearway_store::inkind::{InKind, InKindLine, Lot, Position, Security};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::distributions::dto::DistributionView;

/// Body of `POST /api/securities`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityRequest {
    /// Name, e.g. "Acme Corp. common stock".
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// `CUSIP`, `ISIN` or `TICKER`.
    #[schema(pattern = "^(CUSIP|ISIN|TICKER)$")]
    pub identifier_type: String,
    /// The identifier; CUSIP and ISIN check digits are verified.
    pub identifier: String,
}

/// A security.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `CUSIP`, `ISIN` or `TICKER`.
    pub identifier_type: String,
    /// Identifier (upper case).
    pub identifier: String,
    /// Created (UTC).
    pub created_at: String,
}

impl From<&Security> for SecurityView {
    fn from(s: &Security) -> Self {
        SecurityView {
            id: s.id.clone(),
            name: s.name.clone(),
            identifier_type: s.identifier_type.clone(),
            identifier: s.identifier.clone(),
            created_at: s.created_at.clone(),
        }
    }
}

/// A page of securities.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityPage {
    /// Securities, by id.
    pub items: Vec<SecurityView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Body of `PUT /api/funds/{fundId}/positions/{securityId}`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PositionRequest {
    /// Whole units the fund holds (0 or more; not below what open in-kind distributions reserve).
    #[serde(deserialize_with = "whole_number")]
    pub quantity: i64,
}

/// A fund's position in a security.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PositionView {
    /// Fund id.
    pub fund_id: String,
    /// The security.
    pub security: SecurityView,
    /// Units held.
    pub quantity: i64,
    /// Units reserved by open in-kind distributions.
    pub reserved: i64,
    /// Units free to distribute.
    pub available: i64,
    /// Last changed (UTC).
    pub updated_at: String,
}

impl From<&Position> for PositionView {
    fn from(p: &Position) -> Self {
        PositionView {
            fund_id: p.fund_id.clone(),
            security: SecurityView::from(&p.security),
            quantity: p.quantity,
            reserved: p.reserved,
            available: p.available(),
            updated_at: p.updated_at.clone(),
        }
    }
}

/// Body of `POST /api/funds/{fundId}/in-kind-distributions` (and of its preview).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InKindDistributionRequest {
    /// Security to distribute (the fund must hold a position in it).
    pub security_id: String,
    /// Whole units to distribute (at most the position's available units).
    #[serde(deserialize_with = "whole_number")]
    pub quantity: i64,
    /// Value per unit on the distribution date, decimal string in the fund's currency.
    pub value_per_unit: String,
    /// YYYY-MM-DD; before the record date.
    #[schema(format = Date)]
    pub declaration_date: String,
    /// YYYY-MM-DD; optional, on or before the record date.
    #[serde(default)]
    #[schema(format = Date)]
    pub ex_date: Option<String>,
    /// YYYY-MM-DD; holdings on this date decide the split.
    #[schema(format = Date)]
    pub record_date: String,
    /// YYYY-MM-DD; the units are delivered (and lots acquired) on this date.
    #[schema(format = Date)]
    pub payable_date: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// Largest description accepted (as for cash distributions).
const DESCRIPTION_MAX: usize = 500;

impl InKindDistributionRequest {
    /// The request as the service reads it, with the errors of every field that did not parse.
    pub fn read(&self) -> InKindRequest {
        let mut errors = Vec::new();
        if self.quantity <= 0 {
            errors.push(FieldError::new(
                "quantity",
                "must be a positive whole number of units",
            ));
        }
        let value = match parse_decimal("valuePerUnit", &self.value_per_unit) {
            Ok(v) if v > rust_decimal::Decimal::ZERO => Some(v),
            Ok(_) => {
                errors.push(FieldError::new("valuePerUnit", "must be greater than 0"));
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let mut date = |field: &str, t: &str| parse_date(field, t).map_err(|e| errors.push(e)).ok();
        let declaration = date("declarationDate", &self.declaration_date);
        let record = date("recordDate", &self.record_date);
        let payable = date("payableDate", &self.payable_date);
        let ex = self.ex_date.as_deref().map(|t| date("exDate", t));
        let schedule = match (declaration, record, payable, ex) {
            (Some(d), Some(r), Some(p), None) => Some(Schedule::new(d, None, r, p)),
            (Some(d), Some(r), Some(p), Some(Some(x))) => Some(Schedule::new(d, Some(x), r, p)),
            _ => None,
        }
        .and_then(|s| s.map_err(|e| errors.extend(e.0)).ok());
        let description = self.description.clone().unwrap_or_default();
        if description.chars().count() > DESCRIPTION_MAX {
            errors.push(FieldError::new(
                "description",
                format!("longer than {DESCRIPTION_MAX} characters"),
            ));
        }
        InKindRequest {
            security_id: self.security_id.clone(),
            quantity: (self.quantity > 0).then_some(self.quantity),
            value_per_unit: value,
            schedule,
            description,
            errors,
        }
    }
}

/// One investor's in-kind line: property and cash apart.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InKindLineView {
    /// Investor.
    pub investor_id: String,
    /// Whole units received (negative on a reversal).
    pub units: i64,
    /// Value per unit.
    pub value_per_unit: String,
    /// Property value (`units × value per unit`, half-up), decimal string; K-1 line 19C.
    pub property_amount: String,
    /// The same, minor units.
    pub property_minor: i64,
    /// Cash in lieu of the fraction (the line's cash total), decimal string.
    pub cash_in_lieu_amount: String,
    /// The same, minor units.
    pub cash_in_lieu_minor: i64,
}

impl InKindLineView {
    fn new(l: &InKindLine, currency: Currency) -> Self {
        InKindLineView {
            investor_id: l.investor_id.clone(),
            units: l.units,
            value_per_unit: l.value_per_unit.normalize().to_string(),
            property_amount: currency.format_minor(l.property_minor),
            property_minor: l.property_minor,
            cash_in_lieu_amount: currency.format_minor(l.cash_in_lieu_minor),
            cash_in_lieu_minor: l.cash_in_lieu_minor,
        }
    }
}

/// An in-kind distribution (or the preview of one: no `distribution`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InKindView {
    /// The distribution (absent in a preview).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<DistributionView>,
    /// Security distributed.
    pub security_id: String,
    /// Units declared.
    pub quantity: i64,
    /// Value per unit.
    pub value_per_unit: String,
    /// Whole units delivered to investors.
    pub distributed_units: i64,
    /// Units the fund keeps (their value is paid as cash in lieu).
    pub retained_units: i64,
    /// Units still reserved on the position by this declaration.
    pub reserved_units: i64,
    /// Σ property values.
    pub property_amount: String,
    /// Σ cash in lieu.
    pub cash_in_lieu_amount: String,
    /// Lines, by investor id.
    pub lines: Vec<InKindLineView>,
}

impl InKindView {
    /// View of a stored in-kind distribution.
    pub fn stored(
        d: &DistributionView,
        h: &InKind,
        lines: &[InKindLine],
        currency: Currency,
    ) -> Self {
        let lines: Vec<InKindLineView> = lines
            .iter()
            .map(|l| InKindLineView::new(l, currency))
            .collect();
        InKindView {
            distribution: Some(d.clone()),
            security_id: h.security_id.clone(),
            quantity: h.quantity,
            value_per_unit: h.value_per_unit.normalize().to_string(),
            distributed_units: h.distributed_units,
            retained_units: h.retained_units,
            reserved_units: h.reserved_units,
            property_amount: currency.format_minor(lines.iter().map(|l| l.property_minor).sum()),
            cash_in_lieu_amount: currency
                .format_minor(lines.iter().map(|l| l.cash_in_lieu_minor).sum()),
            lines,
        }
    }

    /// View of a plan (a preview, or a creation with its distribution).
    pub fn planned(p: &InKindPlan, d: Option<DistributionView>) -> Self {
        let c = p.fund.currency;
        let lines: Vec<InKindLineView> = p
            .split
            .shares
            .iter()
            .map(|s| {
                InKindLineView::new(
                    &InKindLine {
                        investor_id: s.investor_id.clone(),
                        units: s.units as i64,
                        value_per_unit: p.value_per_unit,
                        property_minor: s.property_minor,
                        cash_in_lieu_minor: s.cash_in_lieu_minor,
                    },
                    c,
                )
            })
            .collect();
        InKindView {
            reserved_units: if d.is_some() { p.quantity } else { 0 },
            distribution: d,
            security_id: p.security.id.clone(),
            quantity: p.quantity,
            value_per_unit: p.value_per_unit.normalize().to_string(),
            distributed_units: p.split.distributed_units as i64,
            retained_units: p.split.retained_units as i64,
            property_amount: c.format_minor(lines.iter().map(|l| l.property_minor).sum()),
            cash_in_lieu_amount: c.format_minor(p.split.cash_in_lieu_minor),
            lines,
        }
    }
}

/// A lot of a security an investor received in kind.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityLotView {
    /// Id.
    pub id: String,
    /// Investor.
    pub investor_id: String,
    /// Security id.
    pub security_id: String,
    /// Security name.
    pub security_name: String,
    /// `CUSIP`, `ISIN` or `TICKER`.
    pub identifier_type: String,
    /// Identifier.
    pub identifier: String,
    /// The distribution that delivered it.
    pub distribution_id: String,
    /// Whole units.
    pub units: i64,
    /// The distribution's payable date.
    pub acquired_on: String,
    /// Basis: the value on that date, decimal string.
    pub basis_amount: String,
    /// Currency of the basis.
    pub currency: String,
    /// When a reversal returned it (absent while held).
    pub closed_on: Option<String>,
}

impl From<&Lot> for SecurityLotView {
    fn from(l: &Lot) -> Self {
        let basis = Currency::parse(&l.currency)
            .map(|c| c.format_minor(l.basis_minor))
            .unwrap_or_else(|_| l.basis_minor.to_string());
        SecurityLotView {
            id: l.id.clone(),
            investor_id: l.investor_id.clone(),
            security_id: l.security_id.clone(),
            security_name: l.security_name.clone(),
            identifier_type: l.identifier.0.clone(),
            identifier: l.identifier.1.clone(),
            distribution_id: l.distribution_id.clone(),
            units: l.units,
            acquired_on: l.acquired_on.to_string(),
            basis_amount: basis,
            currency: l.currency.clone(),
            closed_on: l.closed_on.map(|d| d.to_string()),
        }
    }
}

/// A page of lots.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityLotPage {
    /// Lots, newest first.
    pub items: Vec<SecurityLotView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// A JSON number that is a whole number of units: `419` and `419.0` alike (JSON Schema's
/// `integer` admits both), refused when fractional or out of range.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(serde::de::Error::custom(format!(
            "{n} is not a whole number of units"
        ))),
    }
}
