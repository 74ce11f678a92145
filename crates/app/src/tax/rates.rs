//! The withholding tables (treaty and state rates, each replaced whole by a PUT: the table is
//! small and a whole-table replace makes the stored table exactly what was sent), the
//! organization's switch, and each fund's tax settings. Every change audited, before/after.

use clearway_core::access::Permission;
use clearway_core::tax::profile::STATES;
use clearway_core::tax::withholding::{Designations, IncomeType, Rate};
use clearway_core::{FieldError, Invalid};
use clearway_store::tax::rates::{self as store, FundTaxSettings, StateRate, TreatyRate};
use clearway_store::{audit, Actor, Tx};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::AppResult;

/// A treaty rate as entered.
#[derive(Debug, Clone, Default)]
pub struct TreatyRateInput {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// `DIVIDENDS`, `INTEREST`, `CAPITAL_GAINS`.
    pub income_type: String,
    /// Percent, e.g. `"15"`.
    pub rate: String,
}

/// A state rate as entered.
#[derive(Debug, Clone, Default)]
pub struct StateRateInput {
    /// USPS code.
    pub state: String,
    /// Percent.
    pub rate: String,
    /// The payer's state id.
    pub payer_state_id: Option<String>,
}

fn country_ok(c: &str) -> bool {
    c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())
}

fn parse_treaty(input: &[TreatyRateInput]) -> Result<Vec<TreatyRate>, Invalid> {
    let mut errs = Vec::new();
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, r) in input.iter().enumerate() {
        let country = r.country.trim().to_ascii_uppercase();
        if !country_ok(&country) {
            errs.push(FieldError::new(
                format!("rates[{i}].country"),
                "must be an ISO 3166-1 alpha-2 code such as GB",
            ));
        }
        let income = r.income_type.trim().parse::<IncomeType>().map_err(|_| {
            errs.push(FieldError::new(
                format!("rates[{i}].incomeType"),
                "must be DIVIDENDS, INTEREST or CAPITAL_GAINS",
            ))
        });
        let rate = Rate::parse(&format!("rates[{i}].rate"), &r.rate).map_err(|e| errs.push(e));
        if let (Ok(income_type), Ok(rate)) = (income, rate) {
            if !seen.insert((country.clone(), income_type)) {
                errs.push(FieldError::new(
                    format!("rates[{i}]"),
                    "repeats a country and income type",
                ));
            }
            out.push(TreatyRate {
                country,
                income_type,
                rate,
            });
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(Invalid(errs))
    }
}

fn parse_states(input: &[StateRateInput]) -> Result<Vec<StateRate>, Invalid> {
    let mut errs = Vec::new();
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, r) in input.iter().enumerate() {
        let state = r.state.trim().to_ascii_uppercase();
        if !STATES.contains(&state.as_str()) {
            errs.push(FieldError::new(
                format!("rates[{i}].state"),
                "must be a USPS state code such as CA",
            ));
        } else if !seen.insert(state.clone()) {
            errs.push(FieldError::new(
                format!("rates[{i}].state"),
                "is listed twice",
            ));
        }
        let id = r
            .payer_state_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if id.is_some_and(|s| {
            s.len() > 20 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }) {
            errs.push(FieldError::new(
                format!("rates[{i}].payerStateId"),
                "must be at most 20 letters, digits or dashes",
            ));
        }
        if let Ok(rate) =
            Rate::parse(&format!("rates[{i}].rate"), &r.rate).map_err(|e| errs.push(e))
        {
            out.push(StateRate {
                state,
                rate,
                payer_state_id: id.map(str::to_string),
            });
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(Invalid(errs))
    }
}

fn treaty_json(rates: &[TreatyRate]) -> Value {
    json!(rates
        .iter()
        .map(|r| json!({"country": r.country, "incomeType": r.income_type.as_str(), "rate": r.rate.percent().to_string()}))
        .collect::<Vec<_>>())
}

fn states_json(rates: &[StateRate]) -> Value {
    json!(rates
        .iter()
        .map(|r| json!({"state": r.state, "rate": r.rate.percent().to_string(), "payerStateId": r.payer_state_id}))
        .collect::<Vec<_>>())
}

async fn trail(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    id: &str,
    before: Value,
    after: Value,
) -> AppResult<()> {
    audit::record(
        tx,
        actor,
        audit::Change {
            action,
            entity_type: "tax_table",
            entity_id: id,
            before: Some(before),
            after: Some(after),
        },
    )
    .await?;
    Ok(())
}

/// Replaces the treaty table (operators).
pub async fn put_treaty(
    tx: &mut Tx,
    actor: &Actor,
    input: &[TreatyRateInput],
) -> AppResult<Vec<TreatyRate>> {
    actor.require(Permission::Operate)?;
    let rates = parse_treaty(input)?;
    let before = store::treaty_rates_tx(tx, actor).await?;
    store::replace_treaty_rates_tx(tx, actor, &rates).await?;
    trail(
        tx,
        actor,
        "tax_treaty_rates.put",
        "treaty",
        treaty_json(&before),
        treaty_json(&rates),
    )
    .await?;
    Ok(store::treaty_rates_tx(tx, actor).await?)
}

/// Replaces the state table (operators).
pub async fn put_states(
    tx: &mut Tx,
    actor: &Actor,
    input: &[StateRateInput],
) -> AppResult<Vec<StateRate>> {
    actor.require(Permission::Operate)?;
    let rates = parse_states(input)?;
    let before = store::state_rates_tx(tx, actor).await?;
    store::replace_state_rates_tx(tx, actor, &rates).await?;
    trail(
        tx,
        actor,
        "tax_state_rates.put",
        "states",
        states_json(&before),
        states_json(&rates),
    )
    .await?;
    Ok(store::state_rates_tx(tx, actor).await?)
}

/// Turns withholding on or off (admins).
pub async fn put_enabled(tx: &mut Tx, actor: &Actor, enabled: bool) -> AppResult<bool> {
    actor.require(Permission::Administer)?;
    let before = store::withholding_enabled_tx(tx, actor).await?;
    store::set_withholding_enabled_tx(tx, actor, enabled).await?;
    trail(
        tx,
        actor,
        "tax_settings.put",
        &actor.org_id.clone(),
        json!({"withholdingEnabled": before}),
        json!({"withholdingEnabled": enabled}),
    )
    .await?;
    Ok(enabled)
}

/// A fund's settings as entered.
#[derive(Debug, Clone, Default)]
pub struct FundSettingsInput {
    /// Chapter 3 designations.
    pub designations: Designations,
    /// Interest is exempt-interest dividends.
    pub interest_is_exempt_interest: bool,
    /// Percent of ordinary dividends that are section 199A dividends (default 0).
    pub section199a_percent: Option<String>,
    /// ISO country of foreign tax.
    pub foreign_tax_country: Option<String>,
    /// EIN, nine digits (dash allowed).
    pub payer_tin: Option<String>,
    /// Name.
    pub payer_name: Option<String>,
    /// Address.
    pub payer_address: Option<String>,
    /// City.
    pub payer_city: Option<String>,
    /// USPS state.
    pub payer_state: Option<String>,
    /// ZIP (5 or 9 digits).
    pub payer_zip: Option<String>,
    /// Phone (10 digits).
    pub payer_phone: Option<String>,
}

fn trimmed(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn text_field(
    errs: &mut Vec<FieldError>,
    field: &str,
    v: &Option<String>,
    max: usize,
) -> Option<String> {
    let t = trimmed(v)?;
    if t.chars().count() > max || clearway_core::input::check_text(field, &t, false).is_err() {
        errs.push(FieldError::new(
            field,
            format!("must be at most {max} printable characters"),
        ));
    }
    Some(t)
}

fn digits(t: &str) -> String {
    t.chars().filter(|c| *c != '-' && *c != ' ').collect()
}

fn parse_fund(input: &FundSettingsInput) -> Result<FundTaxSettings, Invalid> {
    let mut errs = Vec::new();
    let pct = match trimmed(&input.section199a_percent) {
        None => Decimal::ZERO,
        Some(t) => Rate::parse("section199aPercent", &t)
            .map(|r| r.percent())
            .unwrap_or_else(|e| {
                errs.push(e);
                Decimal::ZERO
            }),
    };
    let country = trimmed(&input.foreign_tax_country).map(|c| c.to_ascii_uppercase());
    if country.as_deref().is_some_and(|c| !country_ok(c)) {
        errs.push(FieldError::new(
            "foreignTaxCountry",
            "must be an ISO 3166-1 alpha-2 code",
        ));
    }
    let tin = trimmed(&input.payer_tin).map(|t| digits(&t));
    if tin
        .as_deref()
        .is_some_and(|t| t.len() != 9 || !t.bytes().all(|b| b.is_ascii_digit()))
    {
        errs.push(FieldError::new("payerTin", "must be an EIN of nine digits"));
    }
    let state = trimmed(&input.payer_state).map(|s| s.to_ascii_uppercase());
    if state.as_deref().is_some_and(|s| !STATES.contains(&s)) {
        errs.push(FieldError::new("payerState", "must be a USPS state code"));
    }
    let zip = trimmed(&input.payer_zip).map(|z| digits(&z));
    if zip
        .as_deref()
        .is_some_and(|z| !(z.len() == 5 || z.len() == 9) || !z.bytes().all(|b| b.is_ascii_digit()))
    {
        errs.push(FieldError::new("payerZip", "must be 5 or 9 digits"));
    }
    let phone = trimmed(&input.payer_phone)
        .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>());
    if phone.as_deref().is_some_and(|p| p.len() != 10) {
        errs.push(FieldError::new("payerPhone", "must be 10 digits"));
    }
    let out = FundTaxSettings {
        designations: input.designations,
        interest_is_exempt_interest: input.interest_is_exempt_interest,
        section199a_percent: pct,
        foreign_tax_country: country,
        payer_tin: tin,
        payer_name: text_field(&mut errs, "payerName", &input.payer_name, 80),
        payer_address: text_field(&mut errs, "payerAddress", &input.payer_address, 80),
        payer_city: text_field(&mut errs, "payerCity", &input.payer_city, 40),
        payer_state: state,
        payer_zip: zip,
        payer_phone: phone,
    };
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(Invalid(errs))
    }
}

fn fund_json(s: &FundTaxSettings) -> Value {
    json!({
        "designations": s.designations, "interestIsExemptInterest": s.interest_is_exempt_interest,
        "section199aPercent": s.section199a_percent.to_string(), "foreignTaxCountry": s.foreign_tax_country,
        "payerTin": s.payer_tin.as_deref().map(|t| format!("•••••{}", &t[t.len().saturating_sub(4)..])),
        "payerName": s.payer_name, "payerState": s.payer_state,
    })
}

/// Writes a fund's settings (operators; fund checked before the body).
pub async fn put_fund(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    input: &FundSettingsInput,
) -> AppResult<FundTaxSettings> {
    actor.require(Permission::Operate)?;
    let before = store::fund_settings_tx(tx, actor, fund_id).await?;
    let settings = parse_fund(input)?;
    store::put_fund_settings_tx(tx, actor, fund_id, &settings).await?;
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "fund_tax_settings.put",
            entity_type: "fund",
            entity_id: fund_id,
            before: Some(fund_json(&before)),
            after: Some(fund_json(&settings)),
        },
    )
    .await?;
    Ok(settings)
}
