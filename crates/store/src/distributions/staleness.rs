//! Stale allocations: the holdings a distribution's lines were allocated from (their
//! fingerprint, and the holders left without a line), the stale flag that processings and
//! holdings imports set on the open distributions whose record-date holdings they changed
//! ([`crate::funds::flag_stale`], which reads the holdings: this module does not), and the
//! writes of a reallocation.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::distribution::fingerprint::{fingerprint, AllocationBasis, HoldingsDiff};
use clearway_core::distribution::{Action, Holding, PlannedLine};
use rust_decimal::Decimal;
use serde_json::json;

use super::{from_row, line_args, record_editor, Distribution, COLUMNS, LINE_COLUMNS};
use crate::db::Arg;
use crate::{audit, now_text, outbox, q, Actor, StoreError, Tx};

/// Staff only: the holdings behind a distribution name every investor's units.
fn require_staff(actor: &Actor) -> Result<(), StoreError> {
    actor.require(Permission::Read)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::Forbidden(
            "investors may not read other investors' holdings".into(),
        ));
    }
    Ok(())
}

/// Keeps the basis of lines just planned on distribution `d` (None: lines not derived from
/// holdings), replacing any earlier one and clearing the stale flag; returns `d` as now stored.
pub async fn set_basis(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    basis: Option<&AllocationBasis>,
) -> Result<Distribution, StoreError> {
    actor.require(Permission::Operate)?;
    tx.execute(
        q("DELETE FROM distribution_unlined_holdings WHERE distribution_id = $1 AND org_id = $2")
            .bind(&d.id)
            .bind(&actor.org_id),
    )
    .await?;
    let unlined = basis.map_or(&[][..], |b| b.unlined.as_slice());
    if !unlined.is_empty() {
        let rows: Vec<Vec<Arg>> = unlined
            .iter()
            .map(|h| {
                vec![
                    (&d.id).into(),
                    (&actor.org_id).into(),
                    (&h.investor_id).into(),
                    h.units.normalize().to_string().into(),
                ]
            })
            .collect();
        tx.bulk_insert(
            "distribution_unlined_holdings",
            &["distribution_id", "org_id", "investor_id", "units"],
            &rows,
        )
        .await?;
    }
    let row = tx
        .fetch_optional(
            q(format!("UPDATE distributions SET holdings_fingerprint = $1, stale_reason = NULL WHERE id = $2 AND org_id = $3 RETURNING {COLUMNS}"))
                .bind(basis.map(|b| b.fingerprint.clone()))
                .bind(&d.id)
                .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("distribution"))?;
    from_row(&row)
}

/// The holdings distribution `id`'s lines were allocated from: each line's units, and the
/// holders that got no line; by investor id.
pub async fn allocated_holdings(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
) -> Result<Vec<Holding>, StoreError> {
    require_staff(actor)?;
    let rows = tx
        .fetch_all(
            q("SELECT investor_id, units FROM distribution_lines WHERE distribution_id = $1 AND org_id = $2 AND units IS NOT NULL
               UNION ALL
               SELECT investor_id, units FROM distribution_unlined_holdings WHERE distribution_id = $1 AND org_id = $2")
                .bind(id)
                .bind(&actor.org_id),
        )
        .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(Holding {
                investor_id: r.text("investor_id")?,
                units: r.parse::<Decimal>("units")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    out.sort_by(|a, b| a.investor_id.cmp(&b.investor_id));
    out.dedup_by(|a, b| a.investor_id == b.investor_id);
    Ok(out)
}

/// How the record-date holdings behind `d`'s lines differ now (`now`: the fund's holdings on
/// its record date, [`crate::funds::holdings_as_of`]), or None when they do not (or `d` has
/// no fingerprint to compare).
pub async fn compare(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    now: &[Holding],
) -> Result<Option<HoldingsDiff>, StoreError> {
    let Some(then) = &d.holdings_fingerprint else {
        return Ok(None);
    };
    if fingerprint(&d.fund_id, d.schedule.record, now) == *then {
        return Ok(None);
    }
    let allocated = allocated_holdings(tx, actor, &d.id).await?;
    Ok(Some(HoldingsDiff::between(&allocated, now)))
}

/// An open distribution whose record-date holdings no longer match its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flagged {
    /// The distribution.
    pub id: String,
    /// Its stale reason as stored.
    pub reason: String,
    /// Investors whose record-date units differ.
    pub investors: usize,
}

/// The open (DRAFT, READY, APPROVED) distributions of `fund_ids` with a fingerprint and a
/// record date on or after `from`, by id: those a holdings change on `from` may make stale.
pub async fn open_allocated_from(
    tx: &mut Tx,
    actor: &Actor,
    fund_ids: &[String],
    from: NaiveDate,
) -> Result<Vec<Distribution>, StoreError> {
    actor.require(Permission::Operate)?;
    if fund_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = q(format!(
        "SELECT {COLUMNS} FROM distributions WHERE org_id = $1 AND status IN ('DRAFT','READY','APPROVED')
           AND record_date >= $2 AND holdings_fingerprint IS NOT NULL AND fund_id IN ({})
         ORDER BY id",
        crate::db::placeholders(3, fund_ids.len())
    ))
    .bind(&actor.org_id)
    .bind(from.to_string());
    for f in fund_ids {
        query.push(f.as_str());
    }
    tx.fetch_all(query).await?.iter().map(from_row).collect()
}

/// Stores `reason` (why `d` is stale: `cause`, and what changed for `investors` investors) on
/// `d`, with its audit entry and `distribution.stale` event.
pub async fn mark(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    reason: &str,
    cause: &str,
    investors: usize,
) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE distributions SET stale_reason = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND org_id = $4")
            .bind(reason)
            .bind(now_text())
            .bind(&d.id)
            .bind(&actor.org_id),
    )
    .await?;
    let body = json!({
        "distributionId": d.id,
        "stale": true,
        "staleReason": reason,
        "cause": cause,
        "investorsChanged": investors,
    });
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "distribution.stale",
            entity_type: "distribution",
            entity_id: &d.id,
            before: Some(
                json!({ "stale": d.stale_reason.is_some(), "staleReason": d.stale_reason }),
            ),
            after: Some(body.clone()),
        },
    )
    .await?;
    outbox::emit(tx, actor, "distribution.stale", "distribution", &d.id, body).await?;
    Ok(())
}

/// Clears the stale flag of distribution `id` (its holdings were found to match again).
pub async fn clear(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Distribution, StoreError> {
    // Approvers clear it too: approving checks the fingerprint afresh.
    if actor.require(Permission::Approve).is_err() {
        actor.require(Permission::Operate)?;
    }
    let row = tx
        .fetch_optional(
            q(format!("UPDATE distributions SET stale_reason = NULL WHERE id = $1 AND org_id = $2 RETURNING {COLUMNS}"))
                .bind(id)
                .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("distribution"))?;
    from_row(&row)
}

/// Another distribution still PROCESSING, with a payable date on or before `d`'s record date,
/// whose reinvestments may yet change the holdings behind `d`: one of `d`'s fund, or of a
/// fund with an election reinvesting into it (the earliest payable first).
pub async fn processing_before(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
) -> Result<Option<Distribution>, StoreError> {
    actor.require(Permission::Read)?;
    tx.fetch_optional(
        q(format!("SELECT {COLUMNS} FROM distributions p WHERE p.org_id = $1 AND p.status = 'PROCESSING' AND p.id <> $2 AND p.payable_date <= $3
                     AND (p.fund_id = $4 OR EXISTS (SELECT 1 FROM reinvestment_elections e WHERE e.org_id = p.org_id AND e.fund_id = p.fund_id AND e.target_fund_id = $4))
                   ORDER BY p.payable_date, p.id LIMIT 1"))
            .bind(&actor.org_id)
            .bind(&d.id)
            .bind(d.schedule.record.to_string())
            .bind(&d.fund_id),
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// The funds whose holdings distribution `id`'s reinvestments (or their reversals) changed,
/// on its payable date, by id.
pub async fn reinvested_funds(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
) -> Result<Vec<String>, StoreError> {
    actor.require(Permission::Read)?;
    tx.fetch_all(
        q("SELECT DISTINCT fund_id FROM reinvestments WHERE distribution_id = $1 AND org_id = $2 ORDER BY fund_id")
            .bind(id)
            .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(|r| r.text("fund_id"))
    .collect()
}

/// Replaces every line of `current` (as read in this transaction) with `lines` planned from
/// `basis`, by [`Action::Reallocate`] (an approval is withdrawn: APPROVED goes back to READY);
/// the actor becomes one who wrote its content (four eyes).
pub async fn reallocate(
    tx: &mut Tx,
    actor: &Actor,
    current: &Distribution,
    lines: &[PlannedLine],
    basis: Option<&AllocationBasis>,
) -> Result<Distribution, StoreError> {
    actor.require(Permission::Operate)?;
    let next = current.status.apply(Action::Reallocate)?;
    record_editor(tx, actor, &current.id).await?;
    tx.execute(
        q("DELETE FROM distribution_lines WHERE distribution_id = $1 AND org_id = $2")
            .bind(&current.id)
            .bind(&actor.org_id),
    )
    .await?;
    let rows: Vec<Vec<Arg>> = lines
        .iter()
        .map(|l| line_args(&current.id, actor, l, None))
        .collect();
    tx.bulk_insert("distribution_lines", &LINE_COLUMNS, &rows)
        .await?;
    let row = tx
        .fetch_optional(
            q(format!("UPDATE distributions SET status = $1, approved_by = NULL, approved_at = NULL,
                         total_minor = (SELECT COALESCE(CAST(SUM(total_minor) AS BIGINT), 0) FROM distribution_lines WHERE distribution_id = $2),
                         line_count = (SELECT COUNT(*) FROM distribution_lines WHERE distribution_id = $2),
                         updated_at = $3, version = version + 1
                       WHERE id = $2 AND org_id = $4 AND version = $5 RETURNING {COLUMNS}"))
                .bind(next.as_str())
                .bind(&current.id)
                .bind(now_text())
                .bind(&actor.org_id)
                .bind(current.version),
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("the distribution was changed by someone else; reload and retry".into()))?;
    set_basis(tx, actor, &from_row(&row)?, basis).await
}
