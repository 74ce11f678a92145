//! Inserts of capital activity (the application layer validates first).

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::capital::{IncomeKind, OwnershipBasis, PartnerKind};

use super::date_text;
use crate::db::Arg;
use crate::{new_id, now_text, q, Actor, StoreError, Tx};

/// A commitment to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommitment {
    /// Investor.
    pub investor_id: String,
    /// LP or GP.
    pub kind: PartnerKind,
    /// Amount committed, minor units.
    pub committed_minor: i64,
    /// Date of the commitment.
    pub date: NaiveDate,
}

/// Inserts commitments (a duplicate investor breaks the primary key: the caller checks first).
pub async fn insert_commitments(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    rows: &[NewCommitment],
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let rows: Vec<Vec<Arg>> = rows
        .iter()
        .map(|c| {
            vec![
                (&actor.org_id).into(),
                fund_id.into(),
                (&c.investor_id).into(),
                c.committed_minor.into(),
                0i64.into(),
                c.kind.as_str().into(),
                date_text(c.date).into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "commitments",
        &[
            "org_id",
            "fund_id",
            "investor_id",
            "committed_minor",
            "contributed_minor",
            "partner_kind",
            "commitment_date",
        ],
        &rows,
    )
    .await
}

/// Sets the fund's ownership basis.
pub async fn set_ownership_basis(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    basis: OwnershipBasis,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    tx.execute(
        q("UPDATE funds SET ownership_basis = $1 WHERE org_id = $2 AND id = $3")
            .bind(basis.as_str())
            .bind(&actor.org_id)
            .bind(fund_id),
    )
    .await?;
    Ok(())
}

/// A capital call with its per-investor amounts.
#[derive(Debug, Clone)]
pub struct NewCall {
    /// Call date.
    pub call_date: NaiveDate,
    /// Due date (on or after the call date).
    pub due_date: NaiveDate,
    /// Description.
    pub description: String,
    /// Deal (American waterfalls track contributions per deal).
    pub deal: Option<String>,
    /// (investor, amount in minor units).
    pub items: Vec<(String, i64)>,
}

/// Inserts a call and its items; returns the call id.
pub async fn insert_call(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    call: &NewCall,
) -> Result<String, StoreError> {
    actor.require(Permission::Operate)?;
    let id = new_id();
    let total: i64 = call.items.iter().map(|i| i.1).sum();
    tx.execute(
        q("INSERT INTO capital_calls (id, org_id, fund_id, call_date, due_date, description, deal, total_minor, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&id)
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(date_text(call.call_date))
            .bind(date_text(call.due_date))
            .bind(&call.description)
            .bind(call.deal.clone())
            .bind(total)
            .bind(&actor.user_id)
            .bind(now_text()),
    )
    .await?;
    let rows: Vec<Vec<Arg>> = call
        .items
        .iter()
        .map(|(inv, amount)| {
            vec![
                (&id).into(),
                (&actor.org_id).into(),
                fund_id.into(),
                inv.into(),
                (*amount).into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "capital_call_items",
        &[
            "call_id",
            "org_id",
            "fund_id",
            "investor_id",
            "amount_minor",
        ],
        &rows,
    )
    .await?;
    Ok(id)
}

/// A contribution received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContribution {
    /// Investor.
    pub investor_id: String,
    /// Date received.
    pub date: NaiveDate,
    /// Amount, minor units (positive).
    pub amount_minor: i64,
    /// Deal, if any (a call's deal when it pays a call).
    pub deal: Option<String>,
    /// The call it pays, if any.
    pub call_id: Option<String>,
}

/// Inserts contributions.
pub async fn insert_contributions(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    rows: &[NewContribution],
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let now = now_text();
    let rows: Vec<Vec<Arg>> = rows
        .iter()
        .map(|c| {
            vec![
                new_id().into(),
                (&actor.org_id).into(),
                fund_id.into(),
                (&c.investor_id).into(),
                date_text(c.date).into(),
                c.amount_minor.into(),
                c.deal.clone().into(),
                c.call_id.clone().into(),
                (&now).into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "capital_contributions",
        &[
            "id",
            "org_id",
            "fund_id",
            "investor_id",
            "contributed_on",
            "amount_minor",
            "deal",
            "call_id",
            "created_at",
        ],
        &rows,
    )
    .await
}

/// Records a recallable amount for an investor (optionally from a distribution).
pub async fn insert_recallable(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    investor_id: &str,
    date: NaiveDate,
    amount_minor: i64,
    distribution_id: Option<&str>,
) -> Result<String, StoreError> {
    actor.require(Permission::Operate)?;
    let id = new_id();
    tx.execute(
        q("INSERT INTO capital_recallables (id, org_id, fund_id, investor_id, recallable_on, amount_minor, distribution_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&id)
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(investor_id)
            .bind(date_text(date))
            .bind(amount_minor)
            .bind(distribution_id)
            .bind(now_text()),
    )
    .await?;
    Ok(id)
}

/// A fund-level period amount.
#[derive(Debug, Clone)]
pub struct NewIncome {
    /// Period start.
    pub period_start: NaiveDate,
    /// Period end.
    pub period_end: NaiveDate,
    /// Kind.
    pub kind: IncomeKind,
    /// Signed effect on capital, minor units.
    pub amount_minor: i64,
    /// Description.
    pub description: String,
}

/// Inserts a period amount and its allocation; returns its id.
pub async fn insert_income(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    income: &NewIncome,
    allocations: &[(String, i64)],
) -> Result<String, StoreError> {
    actor.require(Permission::Operate)?;
    let id = new_id();
    tx.execute(
        q("INSERT INTO capital_income (id, org_id, fund_id, period_start, period_end, kind, amount_minor, description, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&id)
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(date_text(income.period_start))
            .bind(date_text(income.period_end))
            .bind(income.kind.as_str())
            .bind(income.amount_minor)
            .bind(&income.description)
            .bind(&actor.user_id)
            .bind(now_text()),
    )
    .await?;
    let end = date_text(income.period_end);
    let rows: Vec<Vec<Arg>> = allocations
        .iter()
        .map(|(inv, a)| {
            vec![
                (&id).into(),
                (&actor.org_id).into(),
                fund_id.into(),
                inv.into(),
                (&end).into(),
                (*a).into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "capital_income_allocations",
        &[
            "income_id",
            "org_id",
            "fund_id",
            "investor_id",
            "period_end",
            "amount_minor",
        ],
        &rows,
    )
    .await?;
    Ok(id)
}
