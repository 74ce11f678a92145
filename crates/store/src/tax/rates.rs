//! The withholding tables of an organization (treaty and state rates), whether it withholds,
//! and each fund's designations and payer details. Rates are stored as decimal text.

use clearway_core::access::Permission;
use clearway_core::tax::withholding::{
    Designations, IncomeType, Rate, StateTable, Tables, TreatyTable,
};
use rust_decimal::Decimal;

use crate::{now_text, q, Actor, Row, StoreError, Tx};

fn rate_of(r: &Row, col: &str) -> Result<Rate, StoreError> {
    let d: Decimal = r.parse(col)?;
    Rate::new(col, d).map_err(|e| StoreError::Corrupt(format!("{col}: {}", e.message)))
}

/// One treaty rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreatyRate {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Income type.
    pub income_type: IncomeType,
    /// Percent.
    pub rate: Rate,
}

/// One state rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRate {
    /// USPS code.
    pub state: String,
    /// Percent.
    pub rate: Rate,
    /// The payer's state id (1099-DIV box 15).
    pub payer_state_id: Option<String>,
}

/// The treaty table, by country and income type.
pub async fn treaty_rates_tx(tx: &mut Tx, actor: &Actor) -> Result<Vec<TreatyRate>, StoreError> {
    actor.require(Permission::Read)?;
    tx.fetch_all(
        q("SELECT country, income_type, rate FROM tax_treaty_rates WHERE org_id = $1 ORDER BY country, income_type")
            .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(TreatyRate {
            country: r.text("country")?,
            income_type: r.parse("income_type")?,
            rate: rate_of(r, "rate")?,
        })
    })
    .collect()
}

/// Replaces the whole treaty table (operators).
pub async fn replace_treaty_rates_tx(
    tx: &mut Tx,
    actor: &Actor,
    rates: &[TreatyRate],
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    tx.execute(q("DELETE FROM tax_treaty_rates WHERE org_id = $1").bind(&actor.org_id))
        .await?;
    let now = now_text();
    let rows: Vec<Vec<crate::db::Arg>> = rates
        .iter()
        .map(|r| {
            vec![
                (&actor.org_id).into(),
                (&r.country).into(),
                r.income_type.as_str().into(),
                r.rate.percent().to_string().into(),
                now.as_str().into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "tax_treaty_rates",
        &["org_id", "country", "income_type", "rate", "updated_at"],
        &rows,
    )
    .await
}

/// The state table.
pub async fn state_rates_tx(tx: &mut Tx, actor: &Actor) -> Result<Vec<StateRate>, StoreError> {
    actor.require(Permission::Read)?;
    tx.fetch_all(
        q("SELECT state, rate, payer_state_id FROM tax_state_rates WHERE org_id = $1 ORDER BY state")
            .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(StateRate {
            state: r.text("state")?,
            rate: rate_of(r, "rate")?,
            payer_state_id: r.opt_text("payer_state_id")?,
        })
    })
    .collect()
}

/// Replaces the whole state table (operators).
pub async fn replace_state_rates_tx(
    tx: &mut Tx,
    actor: &Actor,
    rates: &[StateRate],
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    tx.execute(q("DELETE FROM tax_state_rates WHERE org_id = $1").bind(&actor.org_id))
        .await?;
    let now = now_text();
    let rows: Vec<Vec<crate::db::Arg>> = rates
        .iter()
        .map(|r| {
            vec![
                (&actor.org_id).into(),
                (&r.state).into(),
                r.rate.percent().to_string().into(),
                r.payer_state_id.clone().into(),
                now.as_str().into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "tax_state_rates",
        &["org_id", "state", "rate", "payer_state_id", "updated_at"],
        &rows,
    )
    .await
}

/// Both tables, as the withholding rules read them.
pub async fn tables_tx(tx: &mut Tx, actor: &Actor) -> Result<Tables, StoreError> {
    let mut treaty = TreatyTable::default();
    for r in treaty_rates_tx(tx, actor).await? {
        treaty.rates.insert((r.country, r.income_type), r.rate);
    }
    let mut states = StateTable::default();
    for r in state_rates_tx(tx, actor).await? {
        states.rates.insert(r.state, r.rate);
    }
    Ok(Tables { treaty, states })
}

/// Whether the organization withholds (absent: no).
pub async fn withholding_enabled_tx(tx: &mut Tx, actor: &Actor) -> Result<bool, StoreError> {
    actor.require(Permission::Read)?;
    Ok(tx
        .fetch_optional(
            q("SELECT withholding_enabled FROM tax_org_settings WHERE org_id = $1")
                .bind(&actor.org_id),
        )
        .await?
        .map(|r| r.i64("withholding_enabled"))
        .transpose()?
        .unwrap_or(0)
        != 0)
}

/// Turns withholding on or off (admins).
pub async fn set_withholding_enabled_tx(
    tx: &mut Tx,
    actor: &Actor,
    enabled: bool,
) -> Result<(), StoreError> {
    actor.require(Permission::Administer)?;
    let now = now_text();
    let n = tx
        .execute(
            q("UPDATE tax_org_settings SET withholding_enabled = $2, updated_by = $3, updated_at = $4 WHERE org_id = $1")
                .bind(&actor.org_id)
                .bind(i64::from(enabled))
                .bind(&actor.user_id)
                .bind(&now),
        )
        .await?;
    if n == 0 {
        tx.execute(
            q("INSERT INTO tax_org_settings (org_id, withholding_enabled, updated_by, updated_at) VALUES ($1, $2, $3, $4)")
                .bind(&actor.org_id)
                .bind(i64::from(enabled))
                .bind(&actor.user_id)
                .bind(&now),
        )
        .await?;
    }
    Ok(())
}

/// A fund's tax settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FundTaxSettings {
    /// Chapter 3 designations.
    pub designations: Designations,
    /// The fund's interest is exempt-interest dividends (1099-DIV box 12).
    pub interest_is_exempt_interest: bool,
    /// Percent of ordinary dividends that are section 199A dividends (box 5).
    pub section199a_percent: Decimal,
    /// Country of the foreign tax paid (box 8).
    pub foreign_tax_country: Option<String>,
    /// Payer EIN (nine digits).
    pub payer_tin: Option<String>,
    /// Payer name.
    pub payer_name: Option<String>,
    /// Street address.
    pub payer_address: Option<String>,
    /// City.
    pub payer_city: Option<String>,
    /// USPS state.
    pub payer_state: Option<String>,
    /// ZIP.
    pub payer_zip: Option<String>,
    /// Phone.
    pub payer_phone: Option<String>,
}

/// The fund exists in the actor's organization (staff; investors get 404 like a missing fund).
async fn fund_visible(tx: &mut Tx, actor: &Actor, fund_id: &str) -> Result<(), StoreError> {
    actor.require(Permission::Read)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("fund"));
    }
    tx.fetch_optional(
        q("SELECT id FROM funds WHERE id = $1 AND org_id = $2")
            .bind(fund_id)
            .bind(&actor.org_id),
    )
    .await?
    .ok_or(StoreError::NotFound("fund"))?;
    Ok(())
}

/// A fund's settings (defaults when never set: nothing designated).
pub async fn fund_settings_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
) -> Result<FundTaxSettings, StoreError> {
    fund_visible(tx, actor, fund_id).await?;
    let Some(r) = tx
        .fetch_optional(
            q("SELECT * FROM fund_tax_settings WHERE fund_id = $1 AND org_id = $2")
                .bind(fund_id)
                .bind(&actor.org_id),
        )
        .await?
    else {
        return Ok(FundTaxSettings::default());
    };
    Ok(FundTaxSettings {
        designations: Designations {
            capital_gain_exempt: r.i64("capital_gain_exempt")? != 0,
            short_term_gain_exempt: r.i64("short_term_gain_exempt")? != 0,
            interest_related_exempt: r.i64("interest_related_exempt")? != 0,
        },
        interest_is_exempt_interest: r.i64("interest_is_exempt_interest")? != 0,
        section199a_percent: r.parse("section199a_percent")?,
        foreign_tax_country: r.opt_text("foreign_tax_country")?,
        payer_tin: r.opt_text("payer_tin")?,
        payer_name: r.opt_text("payer_name")?,
        payer_address: r.opt_text("payer_address")?,
        payer_city: r.opt_text("payer_city")?,
        payer_state: r.opt_text("payer_state")?,
        payer_zip: r.opt_text("payer_zip")?,
        payer_phone: r.opt_text("payer_phone")?,
    })
}

/// Writes a fund's settings (operators).
pub async fn put_fund_settings_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    s: &FundTaxSettings,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    fund_visible(tx, actor, fund_id).await?;
    tx.execute(
        q("DELETE FROM fund_tax_settings WHERE fund_id = $1 AND org_id = $2")
            .bind(fund_id)
            .bind(&actor.org_id),
    )
    .await?;
    tx.execute(
        q("INSERT INTO fund_tax_settings (fund_id, org_id, capital_gain_exempt, short_term_gain_exempt, interest_related_exempt,
             interest_is_exempt_interest, section199a_percent, foreign_tax_country, payer_tin, payer_name, payer_address,
             payer_city, payer_state, payer_zip, payer_phone, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)")
            .bind(fund_id)
            .bind(&actor.org_id)
            .bind(i64::from(s.designations.capital_gain_exempt))
            .bind(i64::from(s.designations.short_term_gain_exempt))
            .bind(i64::from(s.designations.interest_related_exempt))
            .bind(i64::from(s.interest_is_exempt_interest))
            .bind(s.section199a_percent.normalize().to_string())
            .bind(s.foreign_tax_country.clone())
            .bind(s.payer_tin.clone())
            .bind(s.payer_name.clone())
            .bind(s.payer_address.clone())
            .bind(s.payer_city.clone())
            .bind(s.payer_state.clone())
            .bind(s.payer_zip.clone())
            .bind(s.payer_phone.clone())
            .bind(now_text()),
    )
    .await?;
    Ok(())
}
