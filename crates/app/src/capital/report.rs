//! Ownership as of a date and the capital-account report with its tie-out.

use std::collections::HashMap;

use chrono::NaiveDate;
use clearway_core::capital::{accounts, ownership_percentages, tie_out, Account};
use clearway_core::FieldError;
use clearway_store::capital::{self as store, CapitalFund};
use clearway_store::{Actor, Tx};
use rust_decimal::Decimal;

use crate::{AppError, AppResult};

/// One investor's ownership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnershipRow {
    /// Investor.
    pub investor_id: String,
    /// Weight (commitment or net contributions), minor units.
    pub weight_minor: i64,
    /// Percentage, exact (sums to 100).
    pub percent: Decimal,
}

/// Ownership of the fund as of `as_of`, per its basis (empty when nobody owns anything yet).
pub async fn ownership(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    as_of: NaiveDate,
) -> AppResult<(CapitalFund, Vec<OwnershipRow>)> {
    let fund = store::capital_fund(tx, actor, fund_id).await?;
    let weights = store::ownership_weights(tx, actor, &fund.fund.id, fund.basis, as_of).await?;
    let pct = ownership_percentages(&weights).unwrap_or_default();
    let mut rows: Vec<OwnershipRow> = weights
        .into_iter()
        .zip(pct)
        .map(|(w, (_, percent))| OwnershipRow {
            investor_id: w.investor_id,
            weight_minor: w.weight,
            percent,
        })
        .collect();
    if let Some(own) = &actor.investor_id {
        rows.retain(|r| &r.investor_id == own);
    }
    Ok((fund, rows))
}

/// The capital-account report of a fund for `[from, to]`.
#[derive(Debug, Clone)]
pub struct Report {
    /// The fund.
    pub fund: CapitalFund,
    /// Period start.
    pub from: NaiveDate,
    /// Period end.
    pub to: NaiveDate,
    /// Accounts by investor id, with names.
    pub rows: Vec<(String, String, Account)>,
    /// Sum of the rows.
    pub total: Account,
    /// The fund's own account (staff only; `None` for an investor's view).
    pub fund_total: Option<Account>,
    /// Whether the rows tie out to the fund's own account (and every row rolls forward).
    pub ties_out: bool,
}

/// Checks a report period.
pub fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(), FieldError> {
    if to < from {
        return Err(FieldError::new("to", "must not be before from"));
    }
    Ok(())
}

/// Builds the report; for an investor user, only their own account (and no fund total).
pub async fn capital_accounts(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    investor: Option<&str>,
) -> AppResult<Report> {
    let fund = store::capital_fund(tx, actor, fund_id).await?;
    check_period(from, to).map_err(|e| AppError::Invalid(e.into()))?;
    let moves = store::movements(tx, actor, &fund.fund.id, from, to, investor).await?;
    let by_investor = accounts(&moves);
    let names: HashMap<String, String> = store::investor_names(tx, actor, &fund.fund.id).await?;
    let whole_fund = actor.investor_id.is_none() && investor.is_none();
    let fund_total = if whole_fund {
        Some(store::fund_account(tx, actor, &fund.fund.id, from, to).await?)
    } else {
        None
    };
    let total = by_investor
        .values()
        .fold(Account::default(), |a, b| a.plus(b));
    let ties_out = match &fund_total {
        Some(f) => tie_out(by_investor.values(), f).is_ok(),
        None => by_investor.values().all(Account::rolls_forward),
    };
    let rows = by_investor
        .into_iter()
        .map(|(id, a)| {
            let name = names.get(&id).cloned().unwrap_or_default();
            (id, name, a)
        })
        .collect();
    Ok(Report {
        fund,
        from,
        to,
        rows,
        total,
        fund_total,
        ties_out,
    })
}

/// Sets the fund's ownership basis, with its audit entry and event.
pub async fn set_basis(
    tx: &mut Tx,
    actor: &Actor,
    fund: &CapitalFund,
    basis: clearway_core::capital::OwnershipBasis,
) -> AppResult<()> {
    store::set_ownership_basis(tx, actor, &fund.fund.id, basis).await?;
    let after = serde_json::json!({"ownershipBasis": basis.as_str()});
    super::trail(
        tx,
        actor,
        "fund.ownership_basis_set",
        "fund",
        &fund.fund.id,
        after,
    )
    .await?;
    Ok(())
}
