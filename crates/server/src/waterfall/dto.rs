//! Wire shapes of the waterfall API. Terms mirror `clearway_core::waterfall::Terms` with
//! unknown fields refused; amounts are decimal strings in the fund's currency.

use clearway_core::distribution::{parse_date, ComponentKind, Schedule};
use clearway_core::waterfall::{self as core, Outcome, Terms};
use clearway_core::{Currency, FieldError, Invalid};
use clearway_store::funds::Fund;
use clearway_store::waterfall::{TermsRow, Tiers};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Waterfall terms of a fund.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TermsRequest {
    /// `EUROPEAN` (whole fund) or `AMERICAN` (deal by deal).
    #[schema(example = "EUROPEAN", pattern = "^(EUROPEAN|AMERICAN)$")]
    pub style: String,
    /// The tiers, in order: return of capital, preferred return, catch-up, carried interest.
    #[schema(min_items = 1, max_items = 4)]
    pub tiers: Vec<TierRequest>,
    /// Share (0 to 1) of a clawback excess the GP keeps for tax it paid on that carry.
    #[schema(value_type = String, example = "0.40")]
    pub clawback_tax_offset: Decimal,
}

/// One tier.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TierRequest {
    /// `RETURN_OF_CAPITAL`, `PREFERRED_RETURN`, `CATCH_UP` or `CARRIED_INTEREST`.
    #[schema(pattern = "^(RETURN_OF_CAPITAL|PREFERRED_RETURN|CATCH_UP|CARRIED_INTEREST)$")]
    pub kind: String,
    /// Preferred return: annual rate, e.g. "0.08".
    #[schema(value_type = Option<String>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Decimal>,
    /// Preferred return: `SIMPLE` or `ANNUAL` (compounded annually).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compounding: Option<String>,
    /// Preferred return: `ACT_365` (the only day count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_count: Option<String>,
    /// Catch-up and carry: the GP's share of the tier, e.g. "1.00" or "0.20".
    #[schema(value_type = Option<String>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gp_percentage: Option<Decimal>,
    /// Catch-up: the GP's target share of cumulative profit (equals the carry percentage).
    #[schema(value_type = Option<String>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_gp_share: Option<Decimal>,
}

impl TermsRequest {
    /// The core terms; every missing or unknown value is named (`tiers[i].field`). The
    /// rules between tiers are the core's ([`Terms::validate`]).
    pub fn to_core(&self) -> Result<Terms, Invalid> {
        let mut errors = Vec::new();
        let style = match self.style.as_str() {
            "EUROPEAN" => Some(core::Style::European),
            "AMERICAN" => Some(core::Style::American),
            other => {
                errors.push(FieldError::new(
                    "style",
                    format!("'{other}' is not EUROPEAN or AMERICAN"),
                ));
                None
            }
        };
        let tiers: Vec<Option<core::Tier>> = self
            .tiers
            .iter()
            .enumerate()
            .map(|(i, t)| t.to_core(&format!("tiers[{i}]"), &mut errors))
            .collect();
        if !errors.is_empty() {
            return Err(Invalid(errors));
        }
        let terms = Terms {
            style: style.expect("checked"),
            tiers: tiers.into_iter().map(|t| t.expect("checked")).collect(),
            clawback_tax_offset: self.clawback_tax_offset,
        };
        terms.validate()?;
        Ok(terms)
    }

    /// The wire form of core terms.
    pub fn from_core(t: &Terms) -> TermsRequest {
        TermsRequest {
            style: match t.style {
                core::Style::European => "EUROPEAN",
                core::Style::American => "AMERICAN",
            }
            .into(),
            tiers: t.tiers.iter().map(TierRequest::from_core).collect(),
            clawback_tax_offset: t.clawback_tax_offset,
        }
    }
}

impl TierRequest {
    fn to_core(&self, path: &str, errors: &mut Vec<FieldError>) -> Option<core::Tier> {
        let before = errors.len();
        let mut need = |name: &str, v: Option<Decimal>| -> Decimal {
            v.unwrap_or_else(|| {
                errors.push(FieldError::new(format!("{path}.{name}"), "is required"));
                Decimal::ZERO
            })
        };
        let tier = match self.kind.as_str() {
            "RETURN_OF_CAPITAL" => core::Tier::ReturnOfCapital,
            "PREFERRED_RETURN" => {
                let rate = need("rate", self.rate);
                let compounding = match self.compounding.as_deref().unwrap_or("SIMPLE") {
                    "SIMPLE" => core::Compounding::Simple,
                    "ANNUAL" => core::Compounding::Annual,
                    other => {
                        errors.push(FieldError::new(
                            format!("{path}.compounding"),
                            format!("'{other}' is not SIMPLE or ANNUAL"),
                        ));
                        core::Compounding::Simple
                    }
                };
                if let Some(dc) = self.day_count.as_deref().filter(|d| *d != "ACT_365") {
                    errors.push(FieldError::new(
                        format!("{path}.dayCount"),
                        format!("'{dc}' is not a supported day count (ACT_365)"),
                    ));
                }
                core::Tier::PreferredReturn {
                    rate,
                    compounding,
                    day_count: core::DayCount::Act365,
                }
            }
            "CATCH_UP" => core::Tier::CatchUp {
                gp_percentage: need("gpPercentage", self.gp_percentage),
                target_gp_share: need("targetGpShare", self.target_gp_share),
            },
            "CARRIED_INTEREST" => core::Tier::CarriedInterest {
                gp_percentage: need("gpPercentage", self.gp_percentage),
            },
            other => {
                errors.push(FieldError::new(
                    format!("{path}.kind"),
                    format!("'{other}' is not RETURN_OF_CAPITAL, PREFERRED_RETURN, CATCH_UP or CARRIED_INTEREST"),
                ));
                return None;
            }
        };
        (errors.len() == before).then_some(tier)
    }

    fn from_core(t: &core::Tier) -> TierRequest {
        let mut out = TierRequest {
            kind: t.kind().as_str().into(),
            rate: None,
            compounding: None,
            day_count: None,
            gp_percentage: None,
            target_gp_share: None,
        };
        match t {
            core::Tier::ReturnOfCapital => {}
            core::Tier::PreferredReturn {
                rate, compounding, ..
            } => {
                out.rate = Some(*rate);
                out.compounding = Some(
                    match compounding {
                        core::Compounding::Simple => "SIMPLE",
                        core::Compounding::Annual => "ANNUAL",
                    }
                    .into(),
                );
                out.day_count = Some("ACT_365".into());
            }
            core::Tier::CatchUp {
                gp_percentage,
                target_gp_share,
            } => {
                out.gp_percentage = Some(*gp_percentage);
                out.target_gp_share = Some(*target_gp_share);
            }
            core::Tier::CarriedInterest { gp_percentage } => {
                out.gp_percentage = Some(*gp_percentage)
            }
        }
        out
    }
}

/// The terms in force.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TermsView {
    /// Fund id.
    pub fund_id: String,
    /// 1, 2, … (each change is a new version).
    pub version: i64,
    /// The terms.
    pub terms: TermsRequest,
    /// Who set them.
    pub created_by: String,
    /// When.
    pub created_at: String,
}

impl TermsView {
    /// From the stored row and its parsed terms.
    pub fn new(fund_id: &str, row: &TermsRow, terms: &Terms) -> TermsView {
        TermsView {
            fund_id: fund_id.into(),
            version: row.version,
            terms: TermsRequest::from_core(terms),
            created_by: row.created_by.clone(),
            created_at: row.created_at.clone(),
        }
    }
}

/// "What if we distribute `amount` on `date`".
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HypotheticalRequest {
    /// Proceeds, in the fund's currency, e.g. "2500000.00".
    pub amount: String,
    /// Distribution date (YYYY-MM-DD): preferred return accrues up to it.
    pub date: String,
    /// Deal (American waterfalls).
    #[serde(default)]
    pub deal: Option<String>,
}

/// Reads an amount field (> 0) in `currency`.
pub fn positive_amount(field: &str, text: &str, currency: Currency) -> Result<i64, FieldError> {
    let minor = currency.parse_amount(field, text)?;
    if minor <= 0 {
        return Err(FieldError::new(field, "must be greater than zero"));
    }
    Ok(minor)
}

/// Reads an optional deal name: trimmed, 1 to 64 printable characters.
pub fn deal(text: Option<&str>) -> Result<Option<String>, FieldError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(d) if d.chars().count() > 64 || d.chars().any(char::is_control) => Err(
            FieldError::new("deal", "must be 1 to 64 printable characters"),
        ),
        Some(d) => Ok(Some(d.to_string())),
    }
}

impl HypotheticalRequest {
    /// The core proceeds, naming every bad field.
    pub fn proceeds(&self, currency: Currency) -> Result<core::Proceeds, Invalid> {
        let amount = positive_amount("amount", &self.amount, currency);
        let date = parse_date("date", &self.date);
        let deal = deal(self.deal.as_deref());
        match (amount, date, deal) {
            (Ok(amount), Ok(date), Ok(deal)) => Ok(core::Proceeds {
                amount,
                date,
                deal,
                currency,
            }),
            (a, d, l) => Err(Invalid(
                [a.err(), d.err(), l.err()].into_iter().flatten().collect(),
            )),
        }
    }
}

/// One tier's result.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TierView {
    /// The tier.
    pub kind: String,
    /// Deal (American).
    pub deal: Option<String>,
    /// What the tier needed.
    pub hurdle: String,
    /// What reached it.
    pub available: String,
    /// What it took.
    pub allocated: String,
    /// Of that, the GP's promote.
    pub gp_amount: String,
    /// Passed on to the next tier.
    pub remaining: String,
    /// In words.
    pub explanation: String,
}

/// One investor's result, per tier.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvestorTiersView {
    /// Investor.
    pub investor_id: String,
    /// Return of capital.
    pub return_of_capital: String,
    /// Preferred return.
    pub preferred_return: String,
    /// Catch-up.
    pub catch_up: String,
    /// Carried interest split.
    pub carried_interest: String,
    /// Sum.
    pub total: String,
}

impl InvestorTiersView {
    /// From stored tiers.
    pub fn of(investor_id: &str, t: &Tiers, c: Currency) -> InvestorTiersView {
        InvestorTiersView {
            investor_id: investor_id.into(),
            return_of_capital: c.format_minor(t.roc),
            preferred_return: c.format_minor(t.pref),
            catch_up: c.format_minor(t.catch_up),
            carried_interest: c.format_minor(t.carry),
            total: c.format_minor(t.total()),
        }
    }
}

/// Tier results as stored with a run (the core's JSON), in the API's money format.
pub fn tier_views(tiers: &[core::TierOutcome], c: Currency) -> Vec<TierView> {
    tiers
        .iter()
        .map(|t| TierView {
            kind: t.kind.as_str().into(),
            deal: t.deal.clone(),
            hurdle: c.format_minor(t.hurdle),
            available: c.format_minor(t.available),
            allocated: c.format_minor(t.allocated),
            gp_amount: c.format_minor(t.gp_amount),
            remaining: c.format_minor(t.remaining),
            explanation: t.explanation.clone(),
        })
        .collect()
}

/// A waterfall computed (hypothetical, or the one behind a distribution).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaterfallView {
    /// Fund id.
    pub fund_id: String,
    /// Currency of every amount.
    pub currency: String,
    /// Terms version applied.
    pub terms_version: i64,
    /// Proceeds.
    pub proceeds: String,
    /// Date computed at.
    pub date: String,
    /// Deal (American).
    pub deal: Option<String>,
    /// Per tier, with the explanation.
    pub tiers: Vec<TierView>,
    /// Per investor (every partner, zero rows included), by investor id.
    pub investors: Vec<InvestorTiersView>,
    /// Set when this waterfall made a distribution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution_id: Option<String>,
}

impl WaterfallView {
    /// From a computed outcome.
    pub fn of(
        fund: &Fund,
        terms_version: i64,
        proceeds: &core::Proceeds,
        outcome: &Outcome,
    ) -> WaterfallView {
        let c = fund.currency;
        WaterfallView {
            fund_id: fund.id.clone(),
            currency: c.code().into(),
            terms_version,
            proceeds: c.format_minor(proceeds.amount),
            date: proceeds.date.to_string(),
            deal: proceeds.deal.clone(),
            tiers: tier_views(&outcome.tiers, c),
            investors: outcome
                .investors
                .iter()
                .map(|i| {
                    let t = Tiers {
                        roc: i.amounts.return_of_capital,
                        pref: i.amounts.preferred_return,
                        catch_up: i.amounts.catch_up,
                        carry: i.amounts.carried_interest,
                    };
                    InvestorTiersView::of(&i.investor_id, &t, c)
                })
                .collect(),
            distribution_id: None,
        }
    }
}

/// A waterfall run declared as a DRAFT distribution.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaterfallDistributionRequest {
    /// Proceeds to distribute, e.g. "2500000.00".
    pub amount: String,
    /// Deal (American waterfalls).
    #[serde(default)]
    pub deal: Option<String>,
    /// YYYY-MM-DD.
    pub declaration_date: String,
    /// YYYY-MM-DD.
    pub record_date: String,
    /// YYYY-MM-DD; the waterfall is computed at this date.
    pub payable_date: String,
    /// Free text (1 to 200 characters).
    pub description: String,
    /// Income character of the profit tiers: `longTermGain` (default), `shortTermGain`,
    /// `ordinaryDividend`, `qualifiedDividend` or `interest`.
    #[serde(default)]
    pub profit_character: Option<String>,
}

impl WaterfallDistributionRequest {
    /// The application command, naming every bad field.
    pub fn command(
        &self,
        currency: Currency,
    ) -> Result<clearway_app::waterfall::WaterfallDistribution, Invalid> {
        let mut errors = Vec::new();
        let amount = keep(
            &mut errors,
            positive_amount("amount", &self.amount, currency),
        );
        let deal = keep(&mut errors, deal(self.deal.as_deref()));
        let declaration = keep(
            &mut errors,
            parse_date("declarationDate", &self.declaration_date),
        );
        let record = keep(&mut errors, parse_date("recordDate", &self.record_date));
        let payable = keep(&mut errors, parse_date("payableDate", &self.payable_date));
        let description = self.description.trim().to_string();
        if description.is_empty() || description.chars().count() > 200 {
            errors.push(FieldError::new(
                "description",
                "is required (1 to 200 characters)",
            ));
        }
        let profit = match self.profit_character.as_deref().unwrap_or("longTermGain") {
            "returnOfCapital" => {
                errors.push(FieldError::new(
                    "profitCharacter",
                    "profit cannot be return of capital; the return of capital tier is",
                ));
                None
            }
            other => match other.parse::<ComponentKind>() {
                Ok(k) => Some(k),
                Err(_) => {
                    errors.push(FieldError::new(
                        "profitCharacter",
                        format!("'{other}' is not an income component"),
                    ));
                    None
                }
            },
        };
        let schedule = match (declaration, record, payable) {
            (Some(d), Some(r), Some(p)) => match Schedule::new(d, None, r, p) {
                Ok(s) => Some(s),
                Err(e) => {
                    errors.extend(e.0);
                    None
                }
            },
            _ => None,
        };
        match (amount, deal, schedule, profit) {
            (Some(amount), Some(deal), Some(schedule), Some(profit)) if errors.is_empty() => {
                Ok(clearway_app::waterfall::WaterfallDistribution {
                    amount,
                    deal,
                    schedule,
                    description,
                    profit_character: profit,
                })
            }
            _ => Err(Invalid(errors)),
        }
    }
}

/// The value of `r`, or `None` with its refusal kept in `errors`.
fn keep<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

/// The GP clawback at a date.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClawbackView {
    /// Fund id.
    pub fund_id: String,
    /// Currency of every amount.
    pub currency: String,
    /// Date of the computation.
    pub as_of: String,
    /// Promote the GP received in distributions up to `asOf`.
    pub carry_received: String,
    /// Promote it is entitled to on cumulative figures.
    pub carry_entitled: String,
    /// Received above entitlement.
    pub excess: String,
    /// The part of the excess the GP keeps for tax paid on it.
    pub tax_offset: String,
    /// What the GP returns.
    pub clawback: String,
    /// In words.
    pub explanation: String,
}

impl ClawbackView {
    /// From the core's result.
    pub fn of(fund: &Fund, c: &core::Clawback) -> ClawbackView {
        let cur = fund.currency;
        ClawbackView {
            fund_id: fund.id.clone(),
            currency: cur.code().into(),
            as_of: c.as_of.to_string(),
            carry_received: cur.format_minor(c.carry_received),
            carry_entitled: cur.format_minor(c.carry_entitled),
            excess: cur.format_minor(c.excess),
            tax_offset: cur.format_minor(c.tax_offset),
            clawback: cur.format_minor(c.clawback),
            explanation: c.explanation.clone(),
        }
    }
}
