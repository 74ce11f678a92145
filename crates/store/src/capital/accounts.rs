//! Grouped reads of the capital-account report: per investor, the sums dated before the
//! period and within it, for contributions, allocated income/gain/loss and distributions; and
//! the fund's own totals (from the fund-level rows, not the per-investor ones) for the tie-out.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::capital::{Account, Movement};

use super::{date_text, own_investor};
use crate::{q, Actor, StoreError, Tx};

/// An investor's sums before a period and within it, in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvestorSums {
    /// Investor.
    pub investor_id: String,
    /// Dated before the period start.
    pub before_minor: i64,
    /// Dated within the period.
    pub within_minor: i64,
}

/// Distribution statuses whose lines count as distributed capital: processing or completed
/// (a DRAFT/READY/APPROVED distribution has not left the fund; a CANCELLED one never will).
pub const DISTRIBUTED_STATUSES: &str = "('PROCESSING','COMPLETED')";

async fn grouped(
    tx: &mut Tx,
    actor: &Actor,
    sql: String,
    fund_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    investor: Option<&str>,
) -> Result<Vec<InvestorSums>, StoreError> {
    actor.require(Permission::Read)?;
    let own = own_investor(actor, investor)?;
    tx.fetch_all(
        q(sql)
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(date_text(from))
            .bind(date_text(to))
            .bind(own.unwrap_or("")),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(InvestorSums {
            investor_id: r.text("investor_id")?,
            before_minor: r.i64("before_minor")?,
            within_minor: r.i64("within_minor")?,
        })
    })
    .collect()
}

/// The grouped query over `from_where` whose amount is `amount` and date is `date`.
fn grouped_sql(amount: &str, date: &str, investor: &str, from_where: &str) -> String {
    format!(
        "SELECT {investor} AS investor_id, \
           CAST(COALESCE(SUM(CASE WHEN {date} < $3 THEN {amount} ELSE 0 END), 0) AS BIGINT) AS before_minor, \
           CAST(COALESCE(SUM(CASE WHEN {date} >= $3 THEN {amount} ELSE 0 END), 0) AS BIGINT) AS within_minor \
         FROM {from_where} AND {date} <= $4 AND ($5 = '' OR {investor} = $5) GROUP BY {investor}"
    )
}

/// Distributed to each investor of the fund before `from` and within `[from, to]`: the lines
/// of the fund's PROCESSING or COMPLETED distributions, dated by payable date, cash plus the
/// stated value of property distributed in kind (`in_kind_lines`); reversal lines are
/// negative, so a reversal reduces what was distributed. The one place the capital account
/// reads distributions.
pub async fn distributions_by_investor(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    investor: Option<&str>,
) -> Result<Vec<InvestorSums>, StoreError> {
    let sql = grouped_sql(
        "l.total_minor + COALESCE(k.property_minor, 0)",
        "d.payable_date",
        "l.investor_id",
        &format!("distribution_lines l JOIN distributions d ON d.id = l.distribution_id \
             LEFT JOIN in_kind_lines k ON k.distribution_id = l.distribution_id AND k.investor_id = l.investor_id \
             WHERE d.org_id = $1 AND d.fund_id = $2 AND d.status IN {DISTRIBUTED_STATUSES}"),
    );
    grouped(tx, actor, sql, fund_id, from, to, investor).await
}

/// Contributions per investor before `from` and within `[from, to]`.
pub async fn contributions_by_investor(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    investor: Option<&str>,
) -> Result<Vec<InvestorSums>, StoreError> {
    let sql = grouped_sql(
        "amount_minor",
        "contributed_on",
        "investor_id",
        "capital_contributions WHERE org_id = $1 AND fund_id = $2",
    );
    grouped(tx, actor, sql, fund_id, from, to, investor).await
}

/// Allocated income/gain/loss per investor before `from` and within `[from, to]`, dated by
/// the period end of the amount.
pub async fn allocations_by_investor(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    investor: Option<&str>,
) -> Result<Vec<InvestorSums>, StoreError> {
    let sql = grouped_sql(
        "amount_minor",
        "period_end",
        "investor_id",
        "capital_income_allocations WHERE org_id = $1 AND fund_id = $2",
    );
    grouped(tx, actor, sql, fund_id, from, to, investor).await
}

/// The per-investor movements of the report, for [`clearway_core::capital::accounts`].
pub async fn movements(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    investor: Option<&str>,
) -> Result<Vec<(String, bool, Movement)>, StoreError> {
    let mut out = Vec::new();
    let mut push = |sums: Vec<InvestorSums>, m: fn(i64) -> Movement| {
        for s in sums {
            out.push((s.investor_id.clone(), true, m(s.before_minor)));
            out.push((s.investor_id, false, m(s.within_minor)));
        }
    };
    push(
        contributions_by_investor(tx, actor, fund_id, from, to, investor).await?,
        Movement::Contribution,
    );
    push(
        allocations_by_investor(tx, actor, fund_id, from, to, investor).await?,
        Movement::Allocation,
    );
    push(
        distributions_by_investor(tx, actor, fund_id, from, to, investor).await?,
        Movement::Distribution,
    );
    Ok(out)
}

/// The fund's own account for the period, from fund-level rows: contributions, the entered
/// period amounts (not their allocations) and the distributions' header totals.
pub async fn fund_account(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Account, StoreError> {
    actor.require(Permission::Operate)?;
    let total = |amount: &str, date: &str, from_where: &str| {
        format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN {date} < $3 THEN {amount} ELSE 0 END), 0) AS BIGINT) AS before_minor, \
                    CAST(COALESCE(SUM(CASE WHEN {date} >= $3 THEN {amount} ELSE 0 END), 0) AS BIGINT) AS within_minor \
             FROM {from_where} AND {date} <= $4"
        )
    };
    let sqls = [
        total("amount_minor", "contributed_on", "capital_contributions WHERE org_id = $1 AND fund_id = $2"),
        total("amount_minor", "period_end", "capital_income WHERE org_id = $1 AND fund_id = $2"),
        total("total_minor", "payable_date", &format!("distributions WHERE org_id = $1 AND fund_id = $2 AND status IN {DISTRIBUTED_STATUSES}")),
    ];
    let mut acc = Account::default();
    for (i, sql) in sqls.into_iter().enumerate() {
        let r = tx
            .fetch_optional(
                q(sql)
                    .bind(&actor.org_id)
                    .bind(fund_id)
                    .bind(date_text(from))
                    .bind(date_text(to)),
            )
            .await?
            .ok_or(StoreError::NotFound("fund"))?;
        let mv = |a| match i {
            0 => Movement::Contribution(a),
            1 => Movement::Allocation(a),
            _ => Movement::Distribution(a),
        };
        acc.add(true, mv(r.i64("before_minor")?));
        acc.add(false, mv(r.i64("within_minor")?));
    }
    Ok(acc)
}
