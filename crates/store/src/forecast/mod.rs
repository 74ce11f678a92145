//! Forecasting storage (migration 0031): the reads a fund's series is built from (completed
//! distributions, holdings history), cash on hand per fund, stored forecasts with their points,
//! and the errors recorded against actuals. Staff only: an investor's actor gets NotFound.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::distribution::Kind;
use rust_decimal::Decimal;

use crate::{q, Actor, Row, StoreError, Tx};

/// Staff who may read: investors do not see forecasts (NotFound, never saying why).
fn staff(actor: &Actor, permission: Permission) -> Result<(), StoreError> {
    actor.require(permission)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("fund"));
    }
    Ok(())
}

fn date(r: &Row, col: &str) -> Result<NaiveDate, StoreError> {
    r.parse(col)
}

/// A completed distribution of a fund, as the series needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Paid {
    pub id: String,
    pub kind: Kind,
    pub record: NaiveDate,
    pub payable: NaiveDate,
    pub total_minor: i64,
    /// The allocation as requested (JSON text).
    pub allocation: String,
    pub reverses_id: Option<String>,
    pub corrects_id: Option<String>,
    pub share_class: String,
}

/// Every COMPLETED distribution of the fund (regular, reversal, correction), by payable date.
pub async fn completed_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
) -> Result<Vec<Paid>, StoreError> {
    staff(actor, Permission::Read)?;
    let rows = tx
        .fetch_all(
            q("SELECT id, kind, record_date, payable_date, total_minor, allocation, reverses_id, corrects_id, share_class FROM distributions WHERE org_id = $1 AND fund_id = $2 AND status = 'COMPLETED' ORDER BY payable_date, id")
                .bind(&actor.org_id)
                .bind(fund_id),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Paid {
                id: r.text("id")?,
                kind: r.parse("kind")?,
                record: date(r, "record_date")?,
                payable: date(r, "payable_date")?,
                total_minor: r.i64("total_minor")?,
                allocation: r.text("allocation")?,
                reverses_id: r.opt_text("reverses_id")?,
                corrects_id: r.opt_text("corrects_id")?,
                share_class: r.text("share_class")?,
            })
        })
        .collect()
}

/// One holdings row: units of an investor in a class from `as_of`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitsRow {
    pub investor_id: String,
    pub share_class: String,
    pub as_of: NaiveDate,
    pub units: Decimal,
}

/// The fund's whole holdings history, by class, investor and date (units outstanding at any
/// date are the sum of each holder's latest row on or before it).
pub async fn holdings_history_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
) -> Result<Vec<UnitsRow>, StoreError> {
    staff(actor, Permission::Read)?;
    let rows = tx
        .fetch_all(
            q("SELECT investor_id, share_class, as_of, units FROM holdings WHERE org_id = $1 AND fund_id = $2 ORDER BY share_class, investor_id, as_of")
                .bind(&actor.org_id)
                .bind(fund_id),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(UnitsRow {
                investor_id: r.text("investor_id")?,
                share_class: r.text("share_class")?,
                as_of: date(r, "as_of")?,
                units: r.parse("units")?,
            })
        })
        .collect()
}

/// Units outstanding on `at`, from [`holdings_history_tx`]'s rows (in its order).
pub fn units_at(rows: &[UnitsRow], at: NaiveDate) -> Decimal {
    let mut total = Decimal::ZERO;
    let mut i = 0;
    while i < rows.len() {
        // One holder (class, investor) at a time: its last row on or before `at`.
        let mut j = i;
        let mut held = Decimal::ZERO;
        while j < rows.len()
            && rows[j].investor_id == rows[i].investor_id
            && rows[j].share_class == rows[i].share_class
        {
            if rows[j].as_of <= at {
                held = rows[j].units;
            }
            j += 1;
        }
        total += held;
        i = j;
    }
    total
}

/// The share of units (0..=1) whose election in force on `at` reinvests in the same fund
/// (AUTOMATIC: all, PARTIAL: its percentage), weighted by units held on `at`.
pub async fn reinvest_share_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    holdings: &[UnitsRow],
    at: NaiveDate,
) -> Result<Decimal, StoreError> {
    staff(actor, Permission::Read)?;
    let elections = crate::reinvestment::elections_at_tx(tx, actor, fund_id, at).await?;
    let total = units_at(holdings, at);
    if total.is_zero() || elections.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let mut reinvested = Decimal::ZERO;
    for (investor, election) in &elections {
        let pct = match election.kind() {
            clearway_core::reinvestment::ElectionKind::Automatic => Decimal::ONE_HUNDRED,
            clearway_core::reinvestment::ElectionKind::Partial => election.percentage().value(),
            _ => continue,
        };
        let mine: Vec<UnitsRow> = holdings
            .iter()
            .filter(|r| &r.investor_id == investor)
            .cloned()
            .collect();
        reinvested += units_at(&mine, at) * pct / Decimal::ONE_HUNDRED;
    }
    Ok((reinvested / total).min(Decimal::ONE).round_dp(10))
}

/// A fund's cash on hand as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashRow {
    pub fund_id: String,
    pub currency: String,
    pub amount_minor: i64,
    pub as_of: NaiveDate,
    pub updated_by: String,
    pub updated_at: String,
}

fn cash_from(r: &Row) -> Result<CashRow, StoreError> {
    Ok(CashRow {
        fund_id: r.text("fund_id")?,
        currency: r.text("currency")?,
        amount_minor: r.i64("amount_minor")?,
        as_of: date(r, "as_of")?,
        updated_by: r.text("updated_by")?,
        updated_at: r.text("updated_at")?,
    })
}

/// Cash on hand of the fund (None: never entered).
pub async fn cash_on_hand_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
) -> Result<Option<CashRow>, StoreError> {
    staff(actor, Permission::Read)?;
    tx.fetch_optional(
        q("SELECT fund_id, currency, amount_minor, as_of, updated_by, updated_at FROM fund_cash_on_hand WHERE org_id = $1 AND fund_id = $2")
            .bind(&actor.org_id)
            .bind(fund_id),
    )
    .await?
    .as_ref()
    .map(cash_from)
    .transpose()
}

/// Sets the fund's cash on hand (operators); returns what it was before.
pub async fn put_cash_on_hand_tx(
    tx: &mut Tx,
    actor: &Actor,
    row: &CashRow,
) -> Result<Option<CashRow>, StoreError> {
    staff(actor, Permission::Operate)?;
    let before = cash_on_hand_tx(tx, actor, &row.fund_id).await?;
    tx.execute(
        q("DELETE FROM fund_cash_on_hand WHERE org_id = $1 AND fund_id = $2")
            .bind(&actor.org_id)
            .bind(&row.fund_id),
    )
    .await?;
    tx.execute(
        q("INSERT INTO fund_cash_on_hand (fund_id, org_id, currency, amount_minor, as_of, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&row.fund_id)
            .bind(&actor.org_id)
            .bind(&row.currency)
            .bind(row.amount_minor)
            .bind(row.as_of.to_string())
            .bind(&row.updated_by)
            .bind(&row.updated_at),
    )
    .await?;
    Ok(before)
}

pub mod stored;

/// One calendar year of a partnership's capital activity, minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CapitalYear {
    pub year: i32,
    pub contributions_minor: i64,
    /// Fund-level income, gain and loss entered for periods ending in the year.
    pub income_minor: i64,
    /// Completed distributions payable in the year (reversals negative).
    pub distributions_minor: i64,
}

/// A partnership's commitments (sum, earliest dated one) and its activity per year.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CapitalHistory {
    pub committed_minor: i64,
    pub first_commitment: Option<NaiveDate>,
    /// By year, only years with activity.
    pub years: Vec<CapitalYear>,
}

/// The capital history the Yale model is calibrated from (staff with read access).
pub async fn capital_history_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
) -> Result<CapitalHistory, StoreError> {
    staff(actor, Permission::Read)?;
    let c = tx
        .fetch_optional(
            q("SELECT CAST(COALESCE(SUM(committed_minor), 0) AS BIGINT) AS committed, MIN(commitment_date) AS first FROM commitments WHERE org_id = $1 AND fund_id = $2")
                .bind(&actor.org_id)
                .bind(fund_id),
        )
        .await?
        .ok_or(StoreError::NotFound("fund"))?;
    let mut years: std::collections::BTreeMap<i32, CapitalYear> = Default::default();
    let sums = [
        "SELECT SUBSTR(contributed_on, 1, 4) AS y, CAST(SUM(amount_minor) AS BIGINT) AS s FROM capital_contributions WHERE org_id = $1 AND fund_id = $2 GROUP BY SUBSTR(contributed_on, 1, 4)",
        "SELECT SUBSTR(period_end, 1, 4) AS y, CAST(SUM(amount_minor) AS BIGINT) AS s FROM capital_income WHERE org_id = $1 AND fund_id = $2 GROUP BY SUBSTR(period_end, 1, 4)",
        "SELECT SUBSTR(payable_date, 1, 4) AS y, CAST(SUM(total_minor) AS BIGINT) AS s FROM distributions WHERE org_id = $1 AND fund_id = $2 AND status = 'COMPLETED' GROUP BY SUBSTR(payable_date, 1, 4)",
    ];
    for (i, sql) in sums.into_iter().enumerate() {
        let rows = tx
            .fetch_all(q(sql).bind(&actor.org_id).bind(fund_id))
            .await?;
        for r in rows {
            let year: i32 = r.parse("y")?;
            let s = r.i64("s")?;
            let y = years.entry(year).or_insert(CapitalYear {
                year,
                ..CapitalYear::default()
            });
            match i {
                0 => y.contributions_minor += s,
                1 => y.income_minor += s,
                _ => y.distributions_minor += s,
            }
        }
    }
    Ok(CapitalHistory {
        committed_minor: c.i64("committed")?,
        first_commitment: c
            .opt_text("first")?
            .map(|t| t.parse())
            .transpose()
            .map_err(|e: chrono::ParseError| {
                StoreError::Corrupt(format!("commitment_date: {e}"))
            })?,
        years: years.into_values().collect(),
    })
}

/// Ids of the organization's funds, by code (the aggregate and the organization's plan).
pub async fn fund_ids_tx(tx: &mut Tx, actor: &Actor) -> Result<Vec<String>, StoreError> {
    staff(actor, Permission::Read)?;
    tx.fetch_all(q("SELECT id FROM funds WHERE org_id = $1 ORDER BY code").bind(&actor.org_id))
        .await?
        .iter()
        .map(|r| r.text("id"))
        .collect()
}
