//! Wire shapes of the distributions API and their conversion to and from the core.
//! Amounts are decimal strings on the wire; JSON numbers are refused for money.

use std::collections::BTreeMap;

use clearway_app::classes::{ClassRequest, ClassTarget};
use clearway_app::distributions::{DistributionCommand, DistributionInput};
use clearway_core::allocation::ComponentRatios;
use clearway_core::distribution::{
    parse_date, Allocation, ComponentKind, Components, ExplicitLine, Schedule,
};
use clearway_core::money::parse_decimal;
use clearway_core::{Currency, FieldError, Invalid};
use clearway_store::distributions::{Distribution, Line};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Body of `POST /api/distributions` (and of `PUT`, where `fundId` must not change).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DistributionRequest {
    /// Fund id (or its code, e.g. `DEMO-OPEN`).
    pub fund_id: String,
    /// YYYY-MM-DD; before the record date.
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub declaration_date: String,
    /// YYYY-MM-DD; optional, on or before the record date.
    #[serde(default)]
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub ex_date: Option<String>,
    /// YYYY-MM-DD; holdings on this date decide pro-rata amounts.
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub record_date: String,
    /// YYYY-MM-DD; after the record date.
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub payable_date: String,
    /// ISO 4217; defaults to the fund's currency and must equal it.
    #[serde(default)]
    pub currency: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// How to compute lines from holdings (exclusive with `lines`).
    #[serde(default)]
    pub allocation: Option<AllocationRequest>,
    /// Explicit lines (exclusive with `allocation`).
    #[serde(default)]
    pub lines: Option<Vec<LineRequest>>,
    /// Open-end funds with share classes: the one class whose holders this pays (`DEFAULT`,
    /// every fund's implicit class, when absent). Set on creation; it cannot change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_class: Option<String>,
    /// Open-end funds with share classes: a rate per share for each class, e.g.
    /// `{"A": "0.05", "I": "0.06"}` (exclusive with `shareClass`, `lines` and an allocation
    /// rate or total; `allocation` may give `components`). Creates one distribution per class,
    /// from that class's record-date holdings, linked by a `classGroupId`. Creation only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_rates: Option<BTreeMap<String, String>>,
}

/// How amounts are computed from record-date holdings. A flat object (not a tagged enum) so
/// that type errors name the exact field, e.g. `allocation.total`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AllocationRequest {
    /// `pro_rata` (split `total` by holdings, largest remainder) or `per_share` (`rate` per
    /// unit held, each line rounded half-up to the minor unit).
    pub method: String,
    /// For `pro_rata`: decimal string, e.g. "1000000.01".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub total: Option<String>,
    /// For `per_share`: decimal string, e.g. "0.0725".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub rate: Option<String>,
    /// Component ratios summing to 1, e.g. {"ordinaryDividend": "0.6", "returnOfCapital": "0.4"};
    /// all ordinary dividend when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<BTreeMap<String, String>>,
}

/// One explicit line (also the body of `PUT …/lines/:investorId`, where `investorId` may be omitted).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LineRequest {
    /// Investor id.
    #[serde(default)]
    pub investor_id: Option<String>,
    /// Line total, decimal string.
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub total_amount: String,
    /// Ordinary (non-qualified) dividend.
    #[serde(default)]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub ordinary_dividend: Option<String>,
    /// Qualified dividend.
    #[serde(default)]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub qualified_dividend: Option<String>,
    /// Short-term capital gain.
    #[serde(default)]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub short_term_gain: Option<String>,
    /// Long-term capital gain.
    #[serde(default)]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub long_term_gain: Option<String>,
    /// Return of capital.
    #[serde(default)]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub return_of_capital: Option<String>,
    /// Interest.
    #[serde(default)]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub interest: Option<String>,
    /// Foreign tax paid (attribute, not part of the total).
    #[serde(default)]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub foreign_tax: Option<String>,
    /// Tax withheld (attribute, not part of the total).
    #[serde(default)]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub withholding: Option<String>,
}

/// Largest description accepted.
const DESCRIPTION_MAX: usize = 500;
/// Most explicit lines in one request.
pub const LINES_MAX: usize = 200_000;

impl DistributionRequest {
    /// Validates everything that needs no database (dates, amounts, components, currency)
    /// into the application's command.
    pub fn parse(&self, fund_currency: Currency) -> Result<DistributionCommand, Invalid> {
        let mut errors = Vec::new();
        let mut date = |field: &str, text: &str| match parse_date(field, text) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let declaration = date("declarationDate", &self.declaration_date);
        let record = date("recordDate", &self.record_date);
        let payable = date("payableDate", &self.payable_date);
        let ex = self.ex_date.as_deref().map(|t| date("exDate", t));
        if let Some(code) = &self.currency {
            match Currency::parse(code) {
                Ok(c) if c == fund_currency => {}
                Ok(c) => errors.push(FieldError::new(
                    "currency",
                    format!("{c} differs from the fund's currency {fund_currency}"),
                )),
                Err(why) => errors.push(FieldError::new("currency", why)),
            }
        }
        // The description is optional free text: absent is empty.
        let description = self.description.clone().unwrap_or_default();
        if description.len() > DESCRIPTION_MAX {
            errors.push(FieldError::new(
                "description",
                format!("longer than {DESCRIPTION_MAX} characters"),
            ));
        }
        // Each `.ok()` below keeps the errors (appended to `errors`), not just drops them.
        let allocation = match (&self.allocation, &self.lines) {
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    "lines",
                    "give either allocation or lines, not both",
                ));
                None
            }
            (None, None) => {
                errors.push(FieldError::new(
                    "allocation",
                    "give an allocation (pro_rata or per_share) or explicit lines",
                ));
                None
            }
            (Some(a), None) => parse_allocation(a, fund_currency)
                .map_err(|mut e| errors.append(&mut e))
                .ok(),
            (None, Some(lines)) => parse_lines(lines, fund_currency)
                .map_err(|mut e| errors.append(&mut e))
                .ok(),
        };
        let schedule = match (declaration, record, payable, ex) {
            (Some(d), Some(r), Some(p), None) => Schedule::new(d, None, r, p)
                .map_err(|mut e| errors.append(&mut e.0))
                .ok(),
            (Some(d), Some(r), Some(p), Some(Some(x))) => Schedule::new(d, Some(x), r, p)
                .map_err(|mut e| errors.append(&mut e.0))
                .ok(),
            _ => None,
        };
        match (schedule, allocation) {
            (Some(schedule), Some(allocation)) if errors.is_empty() => Ok(DistributionCommand {
                schedule,
                allocation,
                description,
                allocation_record: self.allocation_record(),
            }),
            _ => Err(Invalid(errors)),
        }
    }

    /// The allocation as stored on the distribution (explicit lines are not repeated there).
    pub fn allocation_record(&self) -> Value {
        match &self.allocation {
            // Strings and a map keyed by strings: serialising to a Value cannot fail.
            Some(a) => serde_json::to_value(a).unwrap_or(Value::Null),
            None => serde_json::json!({ "method": "explicit" }),
        }
    }
}

impl DistributionInput for DistributionRequest {
    fn fund_ref(&self) -> &str {
        &self.fund_id
    }

    fn command(&self, fund_currency: Currency) -> Result<DistributionCommand, Invalid> {
        self.parse(fund_currency)
    }

    fn share_class(&self) -> Option<&str> {
        self.share_class.as_deref()
    }
}

impl ClassRequest for DistributionRequest {
    fn at_rate(&self, rate: rust_decimal::Decimal) -> Self {
        let components = self.allocation.as_ref().and_then(|a| a.components.clone());
        DistributionRequest {
            allocation: Some(AllocationRequest {
                method: "per_share".into(),
                total: None,
                rate: Some(rate.normalize().to_string()),
                components,
            }),
            lines: None,
            share_class: None,
            class_rates: None,
            ..self.clone()
        }
    }
}

impl DistributionRequest {
    /// The classes this creation is for, when it names any: `shareClass` or `classRates`
    /// (never both; with `classRates` the rates are the allocation, so no explicit lines and
    /// no allocation rate or total). Refusals name each field.
    pub fn class_target(&self) -> Result<Option<ClassTarget>, Invalid> {
        let Some(rates) = &self.class_rates else {
            return Ok(self
                .share_class
                .as_ref()
                .map(|c| ClassTarget::One(c.trim().to_string())));
        };
        let mut errors = Vec::new();
        if self.share_class.is_some() {
            errors.push(FieldError::new(
                "shareClass",
                "give either shareClass or classRates, not both",
            ));
        }
        if self.lines.is_some() {
            errors.push(FieldError::new(
                "lines",
                "classRates pays each class its rate per share; explicit lines do not apply",
            ));
        }
        if let Some(a) = &self.allocation {
            if a.method != "per_share" {
                errors.push(FieldError::new(
                    "allocation.method",
                    "must be per_share (or absent) with classRates",
                ));
            }
            for (name, given) in [("rate", &a.rate), ("total", &a.total)] {
                if given.is_some() {
                    errors.push(FieldError::new(
                        format!("allocation.{name}"),
                        "the rates are in classRates",
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(Invalid(errors));
        }
        let rates = rates.iter().map(|(c, r)| (c.clone(), r.clone())).collect();
        Ok(Some(ClassTarget::Rates(rates)))
    }
}

fn parse_ratios(
    path: &str,
    components: &Option<BTreeMap<String, String>>,
) -> Result<ComponentRatios, Vec<FieldError>> {
    let Some(map) = components else {
        return Ok(ComponentRatios::all_ordinary());
    };
    let mut errors = Vec::new();
    let mut ratios = Vec::new();
    for (name, text) in map {
        let field = format!("{path}.components.{name}");
        match name.parse::<ComponentKind>() {
            Ok(kind) => match parse_decimal(&field, text) {
                Ok(r) => ratios.push((kind, r)),
                Err(e) => errors.push(e),
            },
            Err(_) => errors.push(FieldError::new(
                field,
                format!(
                    "unknown component; expected one of {}",
                    ComponentKind::ALL.map(|k| k.as_str()).join(", ")
                ),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    ComponentRatios::new(ratios)
        .map_err(|why| vec![FieldError::new(format!("{path}.components"), why)])
}

fn parse_allocation(
    a: &AllocationRequest,
    currency: Currency,
) -> Result<Allocation, Vec<FieldError>> {
    let ratios = parse_ratios("allocation", &a.components);
    let required = |name: &str, value: &Option<String>| -> Result<String, Vec<FieldError>> {
        value.clone().ok_or_else(|| {
            vec![FieldError::new(
                format!("allocation.{name}"),
                format!("is required for method '{}'", a.method),
            )]
        })
    };
    let misplaced = |name: &str, value: &Option<String>| -> Vec<FieldError> {
        value
            .iter()
            .map(|_| {
                FieldError::new(
                    format!("allocation.{name}"),
                    format!("is not used by method '{}'", a.method),
                )
            })
            .collect()
    };
    let amount = match a.method.as_str() {
        "pro_rata" => required("total", &a.total).and_then(|t| {
            let mut errors = misplaced("rate", &a.rate);
            match currency.parse_amount("allocation.total", &t) {
                Ok(v) if v > 0 && errors.is_empty() => Ok((Some(v), None)),
                Ok(v) if v <= 0 => {
                    errors.push(FieldError::new(
                        "allocation.total",
                        "must be greater than zero",
                    ));
                    Err(errors)
                }
                Ok(_) => Err(errors),
                Err(e) => {
                    errors.push(e);
                    Err(errors)
                }
            }
        }),
        "per_share" => required("rate", &a.rate).and_then(|r| {
            let mut errors = misplaced("total", &a.total);
            match parse_decimal("allocation.rate", &r) {
                Ok(v) if v > rust_decimal::Decimal::ZERO && errors.is_empty() => {
                    Ok((None, Some(v)))
                }
                Ok(v) if v <= rust_decimal::Decimal::ZERO => {
                    errors.push(FieldError::new(
                        "allocation.rate",
                        "must be greater than zero",
                    ));
                    Err(errors)
                }
                Ok(_) => Err(errors),
                Err(e) => {
                    errors.push(e);
                    Err(errors)
                }
            }
        }),
        other => Err(vec![FieldError::new(
            "allocation.method",
            format!(
                "'{other}' is not a method; use pro_rata or per_share (or give explicit lines)"
            ),
        )]),
    };
    match (amount, ratios) {
        (Ok((Some(total), _)), Ok(ratios)) => Ok(Allocation::ProRata { total, ratios }),
        (Ok((_, Some(rate))), Ok(ratios)) => Ok(Allocation::PerShare { rate, ratios }),
        (a, r) => Err(a
            .err()
            .into_iter()
            .flatten()
            .chain(r.err().into_iter().flatten())
            .collect()),
    }
}

fn parse_lines(lines: &[LineRequest], currency: Currency) -> Result<Allocation, Vec<FieldError>> {
    if lines.is_empty() {
        return Err(vec![FieldError::new("lines", "must not be empty")]);
    }
    if lines.len() > LINES_MAX {
        return Err(vec![FieldError::new(
            "lines",
            format!("at most {LINES_MAX} lines per request"),
        )]);
    }
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let path = format!("lines[{i}]");
        match line.investor_id.as_deref() {
            Some(id) if !id.is_empty() => match parse_line(&path, line, currency) {
                Ok((total, components)) => out.push(ExplicitLine {
                    investor_id: id.to_string(),
                    total,
                    components,
                }),
                Err(mut e) => errors.append(&mut e),
            },
            _ => errors.push(FieldError::new(format!("{path}.investorId"), "is required")),
        }
    }
    if errors.is_empty() {
        Ok(Allocation::Explicit(out))
    } else {
        Err(errors)
    }
}

/// Parses one line's amounts to minor units (no sum checks: the core does those).
pub fn parse_line(
    path: &str,
    line: &LineRequest,
    currency: Currency,
) -> Result<(i64, Components), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut amount = |name: &str, text: &Option<String>| -> i64 {
        match text {
            None => 0,
            Some(t) => currency
                .parse_amount(&format!("{path}.{name}"), t)
                .unwrap_or_else(|e| {
                    errors.push(e);
                    0
                }),
        }
    };
    let total = amount("totalAmount", &Some(line.total_amount.clone()));
    let components = Components {
        ordinary_dividend: amount("ordinaryDividend", &line.ordinary_dividend),
        qualified_dividend: amount("qualifiedDividend", &line.qualified_dividend),
        short_term_gain: amount("shortTermGain", &line.short_term_gain),
        long_term_gain: amount("longTermGain", &line.long_term_gain),
        return_of_capital: amount("returnOfCapital", &line.return_of_capital),
        interest: amount("interest", &line.interest),
        foreign_tax: amount("foreignTax", &line.foreign_tax),
        withholding: amount("withholding", &line.withholding),
    };
    if errors.is_empty() {
        Ok((total, components))
    } else {
        Err(errors)
    }
}

/// A distribution as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DistributionView {
    /// Id.
    pub id: String,
    /// Fund id.
    pub fund_id: String,
    /// REGULAR, REVERSAL or CORRECTION.
    pub kind: String,
    /// DRAFT, READY, APPROVED, PROCESSING, COMPLETED or CANCELLED.
    pub status: String,
    /// ISO 4217.
    pub currency: String,
    /// Dates (YYYY-MM-DD).
    pub declaration_date: String,
    /// Ex-date, if any.
    pub ex_date: Option<String>,
    /// Record date.
    pub record_date: String,
    /// Payable date.
    pub payable_date: String,
    /// Description.
    pub description: String,
    /// Allocation as requested (null for investors: it names organization-wide amounts).
    #[schema(value_type = Object, nullable)]
    pub allocation: Value,
    /// Sum of the lines (decimal string; negative for reversals). For investors: their own
    /// line's total only.
    pub total_amount: String,
    /// Number of lines (1 for investors: their own).
    pub line_count: i64,
    /// Reversed distribution.
    pub reverses_id: Option<String>,
    /// Corrected distribution.
    pub corrects_id: Option<String>,
    /// Reason for a reversal or correction.
    pub reason: Option<String>,
    /// Maker (null for investors: staff user ids are not theirs to see).
    pub created_by: Option<String>,
    /// Checker (null before approval, and for investors).
    pub approved_by: Option<String>,
    /// When approved.
    pub approved_at: Option<String>,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
    /// Version (increments on every change).
    pub version: i64,
    /// SHA-256 of the record-date holdings the lines were allocated from (null for explicit
    /// lines, reversals, and for investors).
    pub holdings_fingerprint: Option<String>,
    /// The record-date holdings changed since the lines were allocated (set by a processing
    /// or a holdings import, cleared by reallocation); approve and process refuse it.
    pub stale: bool,
    /// Why it is stale: what changed them, and how (staff; investors read a generic text).
    pub stale_reason: Option<String>,
    /// Share class whose holders it pays (`DEFAULT` unless the fund has classes).
    pub share_class: String,
    /// Shared by the distributions of one `classRates` request (null otherwise).
    pub class_group_id: Option<String>,
    /// On the `ready` and `approve` answers only: the lines whose cash is above the ACH
    /// limit and what processing will do with them (details: `GET …/preflight`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oversized: Option<crate::payments::dto::OversizedSummary>,
}

impl From<&Distribution> for DistributionView {
    fn from(d: &Distribution) -> Self {
        DistributionView {
            id: d.id.clone(),
            fund_id: d.fund_id.clone(),
            kind: d.kind.as_str().into(),
            status: d.status.as_str().into(),
            currency: d.currency.code().into(),
            declaration_date: d.schedule.declaration.to_string(),
            ex_date: d.schedule.ex.map(|x| x.to_string()),
            record_date: d.schedule.record.to_string(),
            payable_date: d.schedule.payable.to_string(),
            description: d.description.clone(),
            allocation: d.allocation.clone(),
            total_amount: d.currency.format_minor(d.total_minor),
            line_count: d.line_count,
            reverses_id: d.reverses_id.clone(),
            corrects_id: d.corrects_id.clone(),
            reason: d.reason.clone(),
            created_by: d.created_by.clone(),
            approved_by: d.approved_by.clone(),
            approved_at: d.approved_at.clone(),
            created_at: d.created_at.clone(),
            updated_at: d.updated_at.clone(),
            version: d.version,
            holdings_fingerprint: d.holdings_fingerprint.clone(),
            stale: d.stale_reason.is_some(),
            stale_reason: d.stale_reason.clone(),
            share_class: d.share_class.clone(),
            class_group_id: d.class_group_id.clone(),
            oversized: None,
        }
    }
}

/// Answer of `POST /api/distributions` with `classRates`: one distribution per class.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClassGroupView {
    /// Shared by the distributions (their `classGroupId`).
    pub class_group_id: Option<String>,
    /// The distributions, in the order of `classRates`' classes (by code).
    pub distributions: Vec<DistributionView>,
}

/// A line as returned by the API (amounts as decimal strings).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineView {
    /// Investor.
    pub investor_id: String,
    /// Units held on the record date (pro rata / per share).
    pub units: Option<String>,
    /// Line total.
    pub total_amount: String,
    /// Ordinary dividend.
    pub ordinary_dividend: String,
    /// Qualified dividend.
    pub qualified_dividend: String,
    /// Short-term gain.
    pub short_term_gain: String,
    /// Long-term gain.
    pub long_term_gain: String,
    /// Return of capital.
    pub return_of_capital: String,
    /// Interest.
    pub interest: String,
    /// Foreign tax paid.
    pub foreign_tax: String,
    /// Withholding.
    pub withholding: String,
    /// PENDING, PAYMENT_INITIATED, PAID, REINVESTED, FAILED; after a reversal RECEIVABLE or
    /// NOTHING_OWED (reversal lines); OFFSET (cash wholly offset against receivables).
    pub status: String,
    /// On reversal lines: the distribution reversed.
    pub reverses_distribution_id: Option<String>,
    /// Part reinvested (DRIP), once processed: total = reinvested + cash + withholding.
    pub reinvested_amount: Option<String>,
    /// Part paid in cash, once processed (its payment carries cash − offset).
    pub cash_amount: Option<String>,
    /// Part of the cash kept to settle the investor's receivables (offset against them).
    pub offset_amount: Option<String>,
    /// On a reversal line whose cash had left: the receivable it became; on an offset line:
    /// the (oldest) receivable the offset settled.
    pub receivable_id: Option<String>,
}

impl LineView {
    /// Formats a stored line in the distribution's currency.
    pub fn new(line: &Line, currency: Currency) -> LineView {
        let f = |m: i64| currency.format_minor(m);
        let c = &line.components;
        LineView {
            investor_id: line.investor_id.clone(),
            units: line.units.map(|u| u.to_string()),
            total_amount: f(line.total_minor),
            ordinary_dividend: f(c.ordinary_dividend),
            qualified_dividend: f(c.qualified_dividend),
            short_term_gain: f(c.short_term_gain),
            long_term_gain: f(c.long_term_gain),
            return_of_capital: f(c.return_of_capital),
            interest: f(c.interest),
            foreign_tax: f(c.foreign_tax),
            withholding: f(c.withholding),
            status: line.status.as_str().into(),
            reverses_distribution_id: line.reverses_distribution_id.clone(),
            reinvested_amount: line.reinvested_minor.map(f),
            cash_amount: line.cash_minor.map(f),
            offset_amount: line.offset_minor.map(f),
            receivable_id: line.receivable_id.clone(),
        }
    }
}

/// Body of `POST /api/distributions/:id/reversal`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReversalRequest {
    /// Why (required, kept in history).
    #[schema(
        max_length = 500,
        pattern = "^[^\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]*$"
    )]
    pub reason: String,
    /// Reverse only these investors' lines; all lines when absent.
    #[serde(default)]
    pub investor_ids: Option<Vec<String>>,
    /// A corrected distribution created in the same transaction (its fundId must be the original's).
    #[serde(default)]
    pub correction: Option<DistributionRequest>,
}

/// Response of a reversal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReversalView {
    /// The reversing distribution (negated lines), READY for approval.
    pub reversal: DistributionView,
    /// The correction, if one was requested, in DRAFT.
    pub correction: Option<DistributionView>,
}

/// Response of `POST /api/distributions/:id/reallocate`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReallocationView {
    /// The distribution with its recomputed lines (DRAFT stays DRAFT; READY and APPROVED are
    /// READY, to be approved again).
    pub distribution: DistributionView,
    /// Sum of the lines before (decimal string).
    pub previous_total_amount: String,
    /// Lines whose units or amounts changed.
    pub changed_lines: usize,
    /// Lines of investors who had none.
    pub added_lines: usize,
    /// Lines of investors who have none now.
    pub removed_lines: usize,
}

impl From<&clearway_app::distributions::Reallocation> for ReallocationView {
    fn from(r: &clearway_app::distributions::Reallocation) -> Self {
        let d = &r.distribution;
        ReallocationView {
            distribution: DistributionView::from(d),
            previous_total_amount: d.currency.format_minor(r.previous_total_minor),
            changed_lines: r.changed_lines,
            added_lines: r.added_lines,
            removed_lines: r.removed_lines,
        }
    }
}

/// The core allocation of a stored allocation request (as [`DistributionRequest::parse`]
/// reads it at creation).
pub fn stored_allocation(stored: &Value, currency: Currency) -> Result<Allocation, Invalid> {
    let req: AllocationRequest = serde_json::from_value(stored.clone())
        .map_err(|e| Invalid(vec![FieldError::new("allocation", e.to_string())]))?;
    parse_allocation(&req, currency).map_err(Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use clearway_core::distribution::{Kind, Status};

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// Audit entries and events carry the application's snapshot of a distribution; the API
    /// returns this view. They must stay the same JSON.
    #[test]
    fn the_view_is_the_snapshot_of_audit_and_events() {
        let mut d = Distribution {
            id: "d1".into(),
            fund_id: "f1".into(),
            kind: Kind::Correction,
            status: Status::Approved,
            currency: Currency::USD,
            schedule: Schedule::new(
                date("2026-03-01"),
                Some(date("2026-03-09")),
                date("2026-03-10"),
                date("2026-03-20"),
            )
            .unwrap(),
            description: "Q1".into(),
            allocation: serde_json::json!({ "method": "pro_rata", "total": "10.00" }),
            total_minor: -123_456,
            line_count: 3,
            reverses_id: Some("d0".into()),
            corrects_id: Some("d9".into()),
            reason: Some("typo".into()),
            created_by: Some("u1".into()),
            approved_by: Some("u2".into()),
            approved_at: Some("2026-03-02T00:00:00Z".into()),
            created_at: "2026-03-01T00:00:00Z".into(),
            updated_at: "2026-03-02T00:00:00Z".into(),
            version: 4,
            holdings_fingerprint: Some("ab".repeat(32)),
            stale_reason: Some("holdings changed".into()),
            share_class: "A".into(),
            class_group_id: Some("g1".into()),
        };
        let view = |d: &Distribution| serde_json::to_value(DistributionView::from(d)).unwrap();
        assert_eq!(view(&d), clearway_app::distributions::snapshot(&d));
        d.schedule.ex = None;
        d.reverses_id = None;
        d.corrects_id = None;
        d.reason = None;
        d.approved_by = None;
        d.approved_at = None;
        d.holdings_fingerprint = None;
        d.stale_reason = None;
        assert_eq!(view(&d), clearway_app::distributions::snapshot(&d));
    }
}
