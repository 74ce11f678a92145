//! What the processing step reads: pending lines and the holdings around a trade date.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use rust_decimal::Decimal;

use crate::db::planner::{Hint, Method};
use crate::db::{fetch_packed, unpack};
use crate::{q, Actor, StoreError, Tx};

use super::*;

/// A line not yet settled by the processing step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLine {
    /// Investor.
    pub investor_id: String,
    /// Line total (negative on reversals).
    pub total_minor: i64,
    /// Withholding.
    pub withholding_minor: i64,
    /// Return-of-capital component.
    pub roc_minor: i64,
}

/// Lines of a distribution whose settlement (reinvested/cash) is not yet set, by investor.
pub async fn pending_lines(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<Vec<PendingLine>, StoreError> {
    actor.require(Permission::Operate)?;
    let packed = fetch_packed(
        tx,
        q("SELECT string_agg(investor_id || ',' || total_minor || ',' || withholding_minor || ',' || roc_minor, ';') AS packed
           FROM distribution_lines WHERE distribution_id = $1 AND org_id = $2 AND cash_minor IS NULL")
            .bind(distribution_id)
            .bind(&actor.org_id),
    )
    .await?;
    let mut lines = unpack::<4>(&packed)?
        .into_iter()
        .map(|[investor, total, withholding, roc]| {
            Ok(PendingLine {
                investor_id: investor.to_string(),
                total_minor: int(total)?,
                withholding_minor: int(withholding)?,
                roc_minor: int(roc)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    lines.sort_unstable_by(|a, b| a.investor_id.cmp(&b.investor_id));
    Ok(lines)
}

/// Whether any line of the distribution still awaits its settlement.
pub async fn any_pending_line(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<bool, StoreError> {
    actor.require(Permission::Operate)?;
    Ok(tx
        .fetch_optional(
            q("SELECT investor_id FROM distribution_lines WHERE distribution_id = $1 AND org_id = $2 AND cash_minor IS NULL LIMIT 1")
                .bind(distribution_id)
                .bind(&actor.org_id),
        )
        .await?
        .is_some())
}

/// How a processed distribution's lines tie out after the reinvestment step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TieOut {
    /// Lines unsettled (no cash or reinvested part) or whose parts do not add up to the total.
    pub unbalanced_lines: i64,
    /// Sum of the lines' reinvested parts (minor units).
    pub lines_reinvested_minor: i64,
    /// Sum of the cost of the distribution's reinvestment transactions (minor units).
    pub transactions_cost_minor: i64,
}

/// The tie-out of a distribution of the actor's organization after the reinvestment step
/// (see [`TieOut`]).
pub async fn tie_out(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<TieOut, StoreError> {
    actor.require(Permission::Operate)?;
    let row = tx
        .fetch_optional(
            q("SELECT CAST(COALESCE(SUM(CASE WHEN cash_minor IS NULL OR reinvested_minor IS NULL OR reinvested_minor + cash_minor + withholding_minor <> total_minor THEN 1 ELSE 0 END), 0) AS BIGINT) AS bad,
                      CAST(COALESCE(SUM(reinvested_minor), 0) AS BIGINT) AS reinvested,
                      (SELECT CAST(COALESCE(SUM(cost_minor), 0) AS BIGINT) FROM reinvestments WHERE distribution_id = $1 AND org_id = $2) AS bought
               FROM distribution_lines WHERE distribution_id = $1 AND org_id = $2")
                .bind(distribution_id)
                .bind(&actor.org_id),
        )
        .await?
        // An aggregate without GROUP BY always answers one row.
        .ok_or_else(|| StoreError::Corrupt("the line tie-out query returned no row".into()))?;
    Ok(TieOut {
        unbalanced_lines: row.i64("bad")?,
        lines_reinvested_minor: row.i64("reinvested")?,
        transactions_cost_minor: row.i64("bought")?,
    })
}

/// The holdings rows of a fund's share class that matter for a change on `date`: each
/// investor's latest row on or before it, and every row after it, as (investor, date, units),
/// unsorted. Only one row per investor comes back from the history; each backend finds it
/// walking the primary key (fund, class, investor, date) in order, without sorting the fund's
/// whole history.
pub async fn holdings_around_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    class: &str,
    date: NaiveDate,
) -> Result<Vec<(String, NaiveDate, Decimal)>, StoreError> {
    actor.require(Permission::Read)?;
    // PostgreSQL: descending on both columns, the primary key read backwards, already in this
    // order. Sorting is switched off for this one statement: otherwise PostgreSQL gathers the
    // fund's whole history through the date index and sorts it (on disk at the default
    // work_mem: 300,000 rows, 20 MB), even with fresh statistics; walking the key is 136 ms,
    // not 190 ms.
    let hint = Hint::off(tx, Method::Sort).await?;
    let latest = tx.backend().pick(
        // A bare column beside MAX() comes from the row holding the maximum (documented SQLite
        // behaviour: https://sqlite.org/lang_select.html#bareagg).
        "SELECT investor_id, MAX(as_of) AS as_of, units FROM holdings
         WHERE fund_id = $2 AND share_class = $4 AND as_of <= $3 AND org_id = $1 GROUP BY investor_id",
        "SELECT DISTINCT ON (investor_id) investor_id, as_of, units FROM holdings
         WHERE fund_id = $2 AND share_class = $4 AND as_of <= $3 AND org_id = $1 ORDER BY investor_id DESC, as_of DESC",
    );
    // The latest rows sit in a subquery of their own: PostgreSQL's DISTINCT ON needs its ORDER
    // BY, which may not stand in one arm of a UNION.
    let packed = fetch_packed(
        tx,
        q(format!(
            "SELECT string_agg(investor_id || ',' || as_of || ',' || units, ';') AS packed FROM (
                 SELECT investor_id, as_of, units FROM ({latest}) l
                 UNION ALL
                 SELECT investor_id, as_of, units FROM holdings WHERE org_id = $1 AND fund_id = $2 AND share_class = $4 AND as_of > $3
             ) h"
        ))
        .bind(&actor.org_id)
        .bind(fund_id)
        .bind(date.to_string())
        .bind(class),
    )
    .await?;
    hint.restore(tx).await?;
    unpack::<3>(&packed)?
        .into_iter()
        .map(|[investor, as_of, units]| {
            Ok((investor.to_string(), self::date(as_of)?, decimal(units)?))
        })
        .collect()
}
