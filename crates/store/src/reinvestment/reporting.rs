//! Reinvestments read back, with their adjustments and return of capital, for reports.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::reinvestment::nav::NavRule;
use clearway_core::reinvestment::ElectionKind;
use clearway_core::Currency;
use rust_decimal::Decimal;

use crate::{q, Actor, Db, Row, StoreError, Tx};

use super::*;

/// A reinvestment transaction as reported: the stored row with its distribution's fund,
/// currency and payable date, and its line's total and withholding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reinvestment {
    /// Distribution.
    pub distribution_id: String,
    /// Investor.
    pub investor_id: String,
    /// REINVEST or REVERSAL.
    pub kind: TxKind,
    /// The distribution's fund.
    pub source_fund_id: String,
    /// Fund bought.
    pub fund_id: String,
    /// Election applied.
    pub election: ElectionKind,
    /// Its percentage (0–100, as stored).
    pub percentage: Decimal,
    /// Currency.
    pub currency: Currency,
    /// Line total.
    pub line_total_minor: i64,
    /// Withholding.
    pub withholding_minor: i64,
    /// Money elected.
    pub reinvestable_minor: i64,
    /// Cost of the shares (reinvested amount).
    pub cost_minor: i64,
    /// Shares.
    pub shares: Decimal,
    /// NAV used.
    pub nav: Decimal,
    /// Date of that NAV.
    pub nav_date: NaiveDate,
    /// EXACT or PRIOR.
    pub nav_rule: NavRule,
    /// Trade date (the distribution's payable date).
    pub trade_date: NaiveDate,
    /// Lot created or closed.
    pub lot_id: String,
    /// On reversals: the distribution reversed.
    pub reverses_distribution_id: Option<String>,
}

/// The reinvestment with its distribution and line (`r`, `d`, `l`).
const READ_FROM: &str = "SELECT r.distribution_id, r.investor_id, r.kind, d.fund_id AS source_fund_id, r.fund_id, r.election, r.percentage, d.currency,
        l.total_minor AS line_total_minor, l.withholding_minor, r.reinvestable_minor, r.cost_minor, r.shares, r.nav, r.nav_date, r.nav_rule,
        d.payable_date AS trade_date, r.lot_id, r.reverses_distribution_id
    FROM reinvestments r
    JOIN distributions d ON d.id = r.distribution_id
    JOIN distribution_lines l ON l.distribution_id = r.distribution_id AND l.investor_id = r.investor_id";

fn reinvestment_from_row(r: &Row) -> Result<Reinvestment, StoreError> {
    Ok(Reinvestment {
        distribution_id: r.text("distribution_id")?,
        investor_id: r.text("investor_id")?,
        kind: r.parse("kind")?,
        source_fund_id: r.text("source_fund_id")?,
        fund_id: r.text("fund_id")?,
        election: r.parse("election")?,
        percentage: r.parse("percentage")?,
        currency: Currency::parse(&r.text("currency")?).map_err(StoreError::Corrupt)?,
        line_total_minor: r.i64("line_total_minor")?,
        withholding_minor: r.i64("withholding_minor")?,
        reinvestable_minor: r.i64("reinvestable_minor")?,
        cost_minor: r.i64("cost_minor")?,
        shares: r.parse("shares")?,
        nav: r.parse("nav")?,
        nav_date: r.parse("nav_date")?,
        nav_rule: r.parse("nav_rule")?,
        trade_date: r.parse("trade_date")?,
        lot_id: r.text("lot_id")?,
        reverses_distribution_id: r.opt_text("reverses_distribution_id")?,
    })
}

/// Reinvestments of a distribution the actor may see (investors: only their own), by
/// investor id after `after_investor`; `limit` None reads them all (exports).
pub async fn for_distribution(
    db: &Db,
    actor: &Actor,
    distribution_id: &str,
    after_investor: Option<&str>,
    limit: Option<i64>,
) -> Result<Vec<Reinvestment>, StoreError> {
    crate::distributions::get(db, actor, distribution_id).await?;
    db.fetch_all(
        q(format!("{READ_FROM} WHERE r.distribution_id = $1 AND r.org_id = $2 AND r.investor_id > $3 AND ($4 IS NULL OR r.investor_id = $4) ORDER BY r.investor_id LIMIT $5"))
            .bind(distribution_id)
            .bind(&actor.org_id)
            .bind(after_investor.unwrap_or(""))
            .bind(actor.investor_id.clone())
            .bind(limit.unwrap_or(i64::MAX)),
    )
    .await?
    .iter()
    .map(reinvestment_from_row)
    .collect()
}

/// Reinvestments of a distribution for the given investors, inside a transaction (reversals).
pub async fn for_distribution_tx(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<Vec<Reinvestment>, StoreError> {
    actor.require(Permission::Operate)?;
    tx.fetch_all(
        q(format!(
            "{READ_FROM} WHERE r.distribution_id = $1 AND r.org_id = $2 ORDER BY r.investor_id"
        ))
        .bind(distribution_id)
        .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(reinvestment_from_row)
    .collect()
}

/// Every reinvestment transaction of an investor (optionally into one fund), oldest first.
pub async fn for_investor(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    fund_id: Option<&str>,
) -> Result<Vec<Reinvestment>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    db.fetch_all(
        q(format!("{READ_FROM} WHERE r.org_id = $1 AND r.investor_id = $2 AND ($3 IS NULL OR r.fund_id = $3) ORDER BY d.payable_date, r.distribution_id"))
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(fund_id),
    )
    .await?
    .iter()
    .map(reinvestment_from_row)
    .collect()
}

/// Every basis change of the given lots whose return of capital is `roc_distribution_id`'s
/// (or any distribution's, when `None`), whoever made it, inside a transaction (reversals).
pub async fn adjustments_of_tx(
    tx: &mut Tx,
    actor: &Actor,
    roc_distribution_id: Option<&str>,
    lot_ids: &[String],
) -> Result<Vec<LotAdjustment>, StoreError> {
    actor.require(Permission::Operate)?;
    let mut out = Vec::new();
    for chunk in lot_ids.chunks(UPDATE_CHUNK) {
        let placeholders = crate::db::placeholders(3, chunk.len());
        let mut query = q(format!(
            "SELECT lot_id, fund_id, investor_id, basis_change_minor, roc_distribution_id FROM lot_adjustments
             WHERE ($1 IS NULL OR roc_distribution_id = $1) AND org_id = $2 AND lot_id IN ({})",
            placeholders
        ))
        .bind(roc_distribution_id)
        .bind(&actor.org_id);
        for id in chunk {
            query.push(id);
        }
        for r in tx.fetch_all(query).await? {
            out.push(LotAdjustment {
                lot_id: r.text("lot_id")?,
                fund_id: r.text("fund_id")?,
                investor_id: r.text("investor_id")?,
                basis_change_minor: r.i64("basis_change_minor")?,
                roc_distribution_id: r.text("roc_distribution_id")?,
            });
        }
    }
    Ok(out)
}

fn roc_from_row(r: &Row) -> Result<RocApplication, StoreError> {
    Ok(RocApplication {
        investor_id: r.text("investor_id")?,
        fund_id: r.text("fund_id")?,
        roc_minor: r.i64("roc_minor")?,
        basis_reduction_minor: r.i64("basis_reduction_minor")?,
        gain_minor: r.i64("gain_minor")?,
        roc_distribution_id: r.text("roc_distribution_id")?,
    })
}

/// Return of capital beyond basis of a distribution's ROC, whoever recorded it (the
/// distribution itself, reversals applying it again), one row per record (to reverse it).
pub async fn roc_of_tx(
    tx: &mut Tx,
    actor: &Actor,
    roc_distribution_id: &str,
) -> Result<Vec<RocApplication>, StoreError> {
    actor.require(Permission::Operate)?;
    tx.fetch_all(
        q("SELECT investor_id, fund_id, roc_minor, basis_reduction_minor, gain_minor, roc_distribution_id FROM roc_gains WHERE roc_distribution_id = $1 AND org_id = $2 ORDER BY investor_id")
            .bind(roc_distribution_id)
            .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(roc_from_row)
    .collect()
}

/// Return of capital beyond basis of an investor's lines (optionally one fund): for reports.
pub async fn roc_for_investor(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    fund_id: Option<&str>,
) -> Result<Vec<(String, RocApplication)>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    db.fetch_all(
        q("SELECT distribution_id, investor_id, fund_id, roc_minor, basis_reduction_minor, gain_minor, roc_distribution_id FROM roc_gains WHERE org_id = $1 AND investor_id = $2 AND ($3 IS NULL OR fund_id = $3) ORDER BY distribution_id, roc_distribution_id")
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(fund_id),
    )
    .await?
    .iter()
    .map(|r| Ok((r.text("distribution_id")?, roc_from_row(r)?)))
    .collect()
}
