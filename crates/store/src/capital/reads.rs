//! Reads: the fund's capital settings, positions per investor, calls, contributions, partners
//! and ownership weights.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::capital::{uncalled, OwnershipBasis, PartnerKind, Weight};
use clearway_core::distribution::FundKind;

use super::{date_text, own_investor, parse_date};
use crate::db::{fetch_packed, unpack};
use crate::funds::{self, Fund};
use crate::{q, Actor, Row, StoreError, Tx};

/// A partnership fund with its ownership basis.
#[derive(Debug, Clone)]
pub struct CapitalFund {
    /// The fund.
    pub fund: Fund,
    /// How ownership is weighed.
    pub basis: OwnershipBasis,
}

/// The partnership fund `id_or_code` (404 when absent, 409 when it is open-end).
pub async fn capital_fund(
    tx: &mut Tx,
    actor: &Actor,
    id_or_code: &str,
) -> Result<CapitalFund, StoreError> {
    let fund = funds::get_fund_tx(tx, actor, id_or_code).await?;
    if fund.kind != FundKind::Partnership {
        return Err(StoreError::Conflict(format!(
            "fund {} is open-end: commitments and capital accounts are for partnerships",
            fund.code
        )));
    }
    let row = tx
        .fetch_optional(q("SELECT ownership_basis FROM funds WHERE id = $1").bind(&fund.id))
        .await?
        .ok_or(StoreError::NotFound("fund"))?;
    let basis = OwnershipBasis::parse("ownership_basis", &row.text("ownership_basis")?)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(CapitalFund { fund, basis })
}

/// An investor's commitment with its capital position (all time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Investor.
    pub investor_id: String,
    /// Investor name.
    pub investor_name: String,
    /// LP or GP.
    pub kind: PartnerKind,
    /// Committed, minor units.
    pub committed_minor: i64,
    /// Commitment date (none for commitments recorded before dates were kept).
    pub commitment_date: Option<NaiveDate>,
    /// Called: call items plus direct contributions.
    pub called_minor: i64,
    /// Contributed (received).
    pub contributed_minor: i64,
    /// Recallable recorded.
    pub recallable_minor: i64,
    /// committed + recallable − called.
    pub uncalled_minor: i64,
}

fn position_from_row(r: &Row) -> Result<Position, StoreError> {
    let committed = r.i64("committed_minor")?;
    let called = r.i64("items")? + r.i64("direct")?;
    let recallable = r.i64("recallable")?;
    Ok(Position {
        investor_id: r.text("investor_id")?,
        investor_name: r.text("name")?,
        kind: PartnerKind::parse("partner_kind", &r.text("partner_kind")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        committed_minor: committed,
        commitment_date: r
            .opt_text("commitment_date")?
            .map(|t| parse_date("commitment_date", &t))
            .transpose()?,
        called_minor: called,
        contributed_minor: r.i64("contributed")?,
        recallable_minor: recallable,
        uncalled_minor: uncalled(committed, called, recallable),
    })
}

/// Positions by investor id, after `after`, at most `limit` (all when `None`); investor users
/// get only their own.
pub async fn positions(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    after: Option<&str>,
    limit: Option<i64>,
) -> Result<Vec<Position>, StoreError> {
    actor.require(Permission::Read)?;
    let own = own_investor(actor, None)?;
    // Grouped once per table and joined (a correlated sum per investor re-reads the table).
    let grouped = |sums: &str, table: &str| {
        format!("(SELECT investor_id, {sums} FROM {table} WHERE org_id = $1 AND fund_id = $2 GROUP BY investor_id)")
    };
    let mut query = q(format!(
        "SELECT c.investor_id, i.name, c.partner_kind, c.committed_minor, c.commitment_date, \
           CAST(COALESCE(ci.s, 0) AS BIGINT) AS items, CAST(COALESCE(k.direct, 0) AS BIGINT) AS direct, \
           CAST(COALESCE(k.total, 0) AS BIGINT) AS contributed, CAST(COALESCE(r.s, 0) AS BIGINT) AS recallable \
         FROM commitments c JOIN investors i ON i.id = c.investor_id \
         LEFT JOIN {} ci ON ci.investor_id = c.investor_id \
         LEFT JOIN {} k ON k.investor_id = c.investor_id \
         LEFT JOIN {} r ON r.investor_id = c.investor_id \
         WHERE c.org_id = $1 AND c.fund_id = $2 AND c.investor_id > $3 AND ($4 = '' OR c.investor_id = $4) \
         ORDER BY c.investor_id LIMIT $5",
        grouped("SUM(amount_minor) AS s", "capital_call_items"),
        grouped("SUM(CASE WHEN call_id IS NULL THEN amount_minor ELSE 0 END) AS direct, SUM(amount_minor) AS total", "capital_contributions"),
        grouped("SUM(amount_minor) AS s", "capital_recallables"),
    ))
    .bind(&actor.org_id)
    .bind(fund_id)
    .bind(after.unwrap_or(""))
    .bind(own.unwrap_or(""));
    query.push(limit.unwrap_or(i64::MAX));
    tx.fetch_all(query)
        .await?
        .iter()
        .map(position_from_row)
        .collect()
}

/// A partner of the fund, for the waterfall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerRow {
    /// Investor.
    pub investor_id: String,
    /// `LP` or `GP`.
    pub kind: &'static str,
    /// Committed, minor units.
    pub committed_minor: i64,
}

/// The fund's partners (LP and GP) with their commitments, by investor id.
pub async fn partners(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
) -> Result<Vec<PartnerRow>, StoreError> {
    actor.require(Permission::Read)?;
    tx.fetch_all(
        q("SELECT investor_id, partner_kind, committed_minor FROM commitments WHERE org_id = $1 AND fund_id = $2 ORDER BY investor_id")
            .bind(&actor.org_id)
            .bind(fund_id),
    )
    .await?
    .iter()
    .map(|r| {
        let kind = PartnerKind::parse("partner_kind", &r.text("partner_kind")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(PartnerRow {
            investor_id: r.text("investor_id")?,
            kind: kind.as_str(),
            committed_minor: r.i64("committed_minor")?,
        })
    })
    .collect()
}

/// A contribution received, for the waterfall and the pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContributionRow {
    /// Row id (the page cursor is `date|id`).
    pub id: String,
    /// Investor.
    pub investor_id: String,
    /// Date received.
    pub date: NaiveDate,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// Deal, if any.
    pub deal: Option<String>,
}

/// The fund's contributions dated on or before `up_to`, by date then id. A waterfall
/// reads all of them (200,000 rows in the benchmark), so they cross as one packed value
/// ([`fetch_packed`]) unless a deal name holds the packing's separators (then row by row).
pub async fn contributions(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    up_to: NaiveDate,
) -> Result<Vec<ContributionRow>, StoreError> {
    actor.require(Permission::Read)?;
    let unsafe_deal = tx
        .fetch_optional(
            q("SELECT 1 AS one FROM capital_contributions WHERE org_id = $1 AND fund_id = $2 AND (deal LIKE '%,%' OR deal LIKE '%;%') LIMIT 1")
                .bind(&actor.org_id)
                .bind(fund_id),
        )
        .await?
        .is_some();
    if unsafe_deal {
        return contributions_page(tx, actor, fund_id, up_to, None, i64::MAX).await;
    }
    let own = own_investor(actor, None)?;
    let packed = fetch_packed(
        tx,
        q("SELECT string_agg(id || ',' || investor_id || ',' || contributed_on || ',' || amount_minor || ',' || COALESCE(deal, ''), ';') AS packed
           FROM capital_contributions WHERE org_id = $1 AND fund_id = $2 AND contributed_on <= $3 AND ($4 = '' OR investor_id = $4)")
        .bind(&actor.org_id)
        .bind(fund_id)
        .bind(date_text(up_to))
        .bind(own.unwrap_or("")),
    )
    .await?;
    let mut rows = unpack::<5>(&packed)?
        .into_iter()
        .map(|[id, investor, date, amount, deal]| {
            Ok(ContributionRow {
                id: id.to_string(),
                investor_id: investor.to_string(),
                date: parse_date("contributed_on", date)?,
                amount_minor: amount
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("amount_minor {amount}: {e}")))?,
                deal: (!deal.is_empty()).then(|| deal.to_string()),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    rows.sort_unstable_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    Ok(rows)
}

/// One page of [`contributions`] by date and id, after the cursor `date|id`.
pub async fn contributions_page(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    up_to: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<ContributionRow>, StoreError> {
    actor.require(Permission::Read)?;
    let own = own_investor(actor, None)?;
    let mut query = q("SELECT id, investor_id, contributed_on, amount_minor, deal FROM capital_contributions \
         WHERE org_id = $1 AND fund_id = $2 AND contributed_on <= $3 AND ($4 = '' OR investor_id = $4) \
         AND (contributed_on || '|' || id) > $5 ORDER BY contributed_on, id LIMIT $6")
    .bind(&actor.org_id)
    .bind(fund_id)
    .bind(date_text(up_to))
    .bind(own.unwrap_or(""))
    .bind(after.unwrap_or(""));
    query.push(limit);
    tx.fetch_all(query)
        .await?
        .iter()
        .map(|r| {
            Ok(ContributionRow {
                id: r.text("id")?,
                investor_id: r.text("investor_id")?,
                date: parse_date("contributed_on", &r.text("contributed_on")?)?,
                amount_minor: r.i64("amount_minor")?,
                deal: r.opt_text("deal")?,
            })
        })
        .collect()
}

/// A capital call as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRow {
    /// Id.
    pub id: String,
    /// Call date.
    pub call_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// Description.
    pub description: String,
    /// Deal.
    pub deal: Option<String>,
    /// Total called.
    pub total_minor: i64,
    /// Total received against it.
    pub received_minor: i64,
}

/// The fund's calls by call date and id, after the cursor `date|id`.
pub async fn calls(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<CallRow>, StoreError> {
    actor.require(Permission::Operate)?;
    let mut query = q("SELECT c.id, c.call_date, c.due_date, c.description, c.deal, c.total_minor, \
         CAST(COALESCE((SELECT SUM(k.amount_minor) FROM capital_contributions k WHERE k.call_id = c.id), 0) AS BIGINT) AS received \
         FROM capital_calls c WHERE c.org_id = $1 AND c.fund_id = $2 AND (c.call_date || '|' || c.id) > $3 \
         ORDER BY c.call_date, c.id LIMIT $4")
    .bind(&actor.org_id)
    .bind(fund_id)
    .bind(after.unwrap_or(""));
    query.push(limit);
    tx.fetch_all(query)
        .await?
        .iter()
        .map(|r| {
            Ok(CallRow {
                id: r.text("id")?,
                call_date: parse_date("call_date", &r.text("call_date")?)?,
                due_date: parse_date("due_date", &r.text("due_date")?)?,
                description: r.text("description")?,
                deal: r.opt_text("deal")?,
                total_minor: r.i64("total_minor")?,
                received_minor: r.i64("received")?,
            })
        })
        .collect()
}

/// A call item still to be received: (amount, already received?, the call's deal).
pub async fn call_item(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    call_id: &str,
    investor_id: &str,
) -> Result<Option<(i64, bool, Option<String>)>, StoreError> {
    actor.require(Permission::Operate)?;
    let row = tx
        .fetch_optional(
            q("SELECT i.amount_minor, c.deal, (SELECT COUNT(*) FROM capital_contributions k WHERE k.call_id = i.call_id AND k.investor_id = i.investor_id) AS paid \
               FROM capital_call_items i JOIN capital_calls c ON c.id = i.call_id \
               WHERE i.org_id = $1 AND i.fund_id = $2 AND i.call_id = $3 AND i.investor_id = $4")
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(call_id)
                .bind(investor_id),
        )
        .await?;
    row.map(|r| {
        Ok((
            r.i64("amount_minor")?,
            r.i64("paid")? > 0,
            r.opt_text("deal")?,
        ))
    })
    .transpose()
}

/// Ownership weights as of `as_of`: commitments dated on or before it (undated ones count),
/// or net contributions on or before it, by investor id.
pub async fn ownership_weights(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    basis: OwnershipBasis,
    as_of: NaiveDate,
) -> Result<Vec<Weight>, StoreError> {
    actor.require(Permission::Read)?;
    let sql = match basis {
        OwnershipBasis::Commitment => "SELECT investor_id, committed_minor AS w FROM commitments WHERE org_id = $1 AND fund_id = $2 AND (commitment_date IS NULL OR commitment_date <= $3) ORDER BY investor_id",
        OwnershipBasis::Capital => "SELECT investor_id, CAST(SUM(amount_minor) AS BIGINT) AS w FROM capital_contributions WHERE org_id = $1 AND fund_id = $2 AND contributed_on <= $3 GROUP BY investor_id ORDER BY investor_id",
    };
    tx.fetch_all(
        q(sql)
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(date_text(as_of)),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Weight {
            investor_id: r.text("investor_id")?,
            weight: r.i64("w")?,
        })
    })
    .collect()
}

/// Which of `ids` are investors of the organization.
pub async fn known_investors(
    tx: &mut Tx,
    actor: &Actor,
    ids: &[&str],
) -> Result<std::collections::HashSet<String>, StoreError> {
    actor.require(Permission::Read)?;
    let mut out = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let mut query = q(format!(
            "SELECT id FROM investors WHERE org_id = $1 AND id IN ({})",
            placeholders.join(", ")
        ))
        .bind(&actor.org_id);
        for id in chunk {
            query.push(*id);
        }
        for r in tx.fetch_all(query).await? {
            out.insert(r.text("id")?);
        }
    }
    Ok(out)
}

/// Names of the fund's committed investors (investor users: their own), by investor id.
pub async fn investor_names(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    actor.require(Permission::Read)?;
    let own = own_investor(actor, None)?;
    tx.fetch_all(
        q("SELECT c.investor_id, i.name FROM commitments c JOIN investors i ON i.id = c.investor_id WHERE c.org_id = $1 AND c.fund_id = $2 AND ($3 = '' OR c.investor_id = $3)")
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(own.unwrap_or("")),
    )
    .await?
    .iter()
    .map(|r| Ok((r.text("investor_id")?, r.text("name")?)))
    .collect()
}
