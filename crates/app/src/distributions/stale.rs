//! Stale allocations: approve and process refuse a distribution whose record-date holdings
//! changed since its lines were allocated ([`verify`]); [`reallocate`] plans its lines again
//! from the holdings of now; a processing that changed holdings flags the open distributions
//! behind which it did ([`after_processing`]).

use std::collections::HashMap;

use clearway_core::access::Permission;
use clearway_core::distribution::{Action, Allocation, Kind, PlannedLine};
use clearway_core::{Currency, Invalid};
use clearway_store::distributions::{self as store, staleness, Distribution, Line};
use clearway_store::funds;
use clearway_store::{audit, outbox, Actor, StoreError, Tx};
use serde_json::{json, Value};

use super::lifecycle::plan;
use super::trail::snapshot;
use crate::{AppError, AppResult};

/// Refuses `action` (approve or process) on `current` (409, naming what changed) when the
/// record-date holdings behind its lines changed since they were allocated, or when another
/// distribution still processing may yet change them; clears a stale flag that no longer
/// holds. `updated` is the distribution after the transition, returned as it is stored.
pub(crate) async fn verify(
    tx: &mut Tx,
    actor: &Actor,
    current: &Distribution,
    updated: Distribution,
    action: Action,
) -> AppResult<Distribution> {
    if let Some(diff) = changed_holdings(tx, actor, current).await? {
        return Err(AppError::conflict(format!(
            "cannot {} this distribution: the record-date holdings of its fund on {} changed since its lines were allocated; {}. Reallocate it (POST /api/distributions/{}/reallocate), then approve it again",
            action.verb(),
            current.schedule.record,
            diff.describe(),
            current.id
        )));
    }
    if action == Action::Process && current.holdings_fingerprint.is_some() {
        if let Some(other) = staleness::processing_before(tx, actor, current).await? {
            return Err(AppError::conflict(format!(
                "cannot process this distribution yet: distribution {} (payable {}) is still processing and may change the holdings on this record date {}; process this one once it has completed",
                other.id, other.schedule.payable, current.schedule.record
            )));
        }
    }
    if updated.stale_reason.is_some() {
        return Ok(staleness::clear(tx, actor, &updated.id).await?);
    }
    Ok(updated)
}

/// How the record-date holdings behind `d`'s lines differ now, if they do.
async fn changed_holdings(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
) -> AppResult<Option<clearway_core::distribution::fingerprint::HoldingsDiff>> {
    if d.holdings_fingerprint.is_none() {
        return Ok(None);
    }
    let now = funds::class_holdings_as_of(tx, actor, &d.fund_id, &d.share_class, d.schedule.record)
        .await?;
    Ok(staleness::compare(tx, actor, d, &now).await?)
}

/// What a reallocation did.
#[derive(Debug, Clone)]
pub struct Reallocation {
    /// The distribution with its new lines (DRAFT stays DRAFT; READY and APPROVED are READY).
    pub distribution: Distribution,
    /// Total before, minor units.
    pub previous_total_minor: i64,
    /// Lines whose units or amounts changed.
    pub changed_lines: usize,
    /// Lines of investors who had none.
    pub added_lines: usize,
    /// Lines of investors who have none now.
    pub removed_lines: usize,
}

/// Plans the lines of DRAFT, READY or APPROVED distribution `id` again from the record-date
/// holdings of now, with the same allocation (`parse` reads the stored allocation request in
/// the distribution's currency), inside `tx`; audited with the totals before and after and the
/// lines changed. An APPROVED one goes back to READY for a new approval, and the actor counts
/// as one who wrote it (four eyes). Lines given explicitly, or set by hand after planning, are
/// never recomputed: refused, as recomputing would silently undo what a person decided.
pub async fn reallocate(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    parse: impl FnOnce(&Value, Currency) -> Result<Allocation, Invalid> + Send,
) -> AppResult<Reallocation> {
    actor.require(Permission::Operate)?;
    let current = store::get_tx(tx, actor, id).await?;
    if current.kind == Kind::Reversal {
        return Err(AppError::conflict(
            "a reversal negates the lines of its original and is never reallocated; cancel it instead",
        ));
    }
    current.status.apply(Action::Reallocate)?;
    if current.allocation["method"] == "waterfall" {
        return Err(AppError::conflict(
            "a waterfall distribution is computed from contributions and prior distributions, not holdings; cancel it and run the waterfall again",
        ));
    }
    if current.allocation["method"] == "inKind" {
        return Err(AppError::conflict(
            "an in-kind distribution's lines follow from its security split and cannot be edited or reallocated; cancel it and declare it again",
        ));
    }
    if current.allocation["method"] == "explicit" {
        return Err(AppError::conflict(
            "its lines were given explicitly or set by hand (PUT .../lines/{investorId}), and are never recomputed; declare the allocation again with PUT /api/distributions/{id} to plan every line from the holdings",
        ));
    }
    let allocation = parse(&current.allocation, current.currency)
        .map_err(|e| StoreError::Corrupt(format!("stored allocation of distribution {id}: {e}")))?;
    let fund = funds::get_fund_tx(tx, actor, &current.fund_id).await?;
    let class = current.share_class.as_str();
    let planned = plan(tx, actor, &fund, class, &current.schedule, &allocation).await?;
    let before = store::all_lines_tx(tx, actor, id).await?;
    let (changed, added, removed) = line_changes(&before, &planned.lines);
    let updated =
        staleness::reallocate(tx, actor, &current, &planned.lines, planned.basis.as_ref()).await?;
    let done = Reallocation {
        distribution: updated,
        previous_total_minor: current.total_minor,
        changed_lines: changed,
        added_lines: added,
        removed_lines: removed,
    };
    record(tx, actor, &current, &done).await?;
    Ok(done)
}

/// Lines (changed, added, removed) between the stored lines and the new plan.
fn line_changes(before: &[Line], after: &[PlannedLine]) -> (usize, usize, usize) {
    let old: HashMap<&str, &Line> = before.iter().map(|l| (l.investor_id.as_str(), l)).collect();
    let mut changed = 0;
    let mut kept = 0;
    for l in after {
        if let Some(o) = old.get(l.investor_id.as_str()) {
            kept += 1;
            let units = |u: Option<rust_decimal::Decimal>| u.map(|u| u.normalize());
            if units(o.units) != units(l.units)
                || o.total_minor != l.total
                || o.components != l.components
            {
                changed += 1;
            }
        }
    }
    (changed, after.len() - kept, before.len() - kept)
}

/// The audit entry and event of a reallocation.
async fn record(
    tx: &mut Tx,
    actor: &Actor,
    before: &Distribution,
    done: &Reallocation,
) -> AppResult<()> {
    let d = &done.distribution;
    let summary = json!({
        "previousTotalAmount": d.currency.format_minor(done.previous_total_minor),
        "totalAmount": d.currency.format_minor(d.total_minor),
        "changedLines": done.changed_lines,
        "addedLines": done.added_lines,
        "removedLines": done.removed_lines,
        "previousFingerprint": before.holdings_fingerprint,
        "staleReason": before.stale_reason,
    });
    let mut after = snapshot(d);
    after["reallocation"] = summary.clone();
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "distribution.reallocate",
            entity_type: "distribution",
            entity_id: &d.id,
            before: Some(snapshot(before)),
            after: Some(after),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "distribution.reallocated",
        "distribution",
        &d.id,
        json!({ "distribution": snapshot(d), "reallocation": summary, "actorId": actor.user_id }),
    )
    .await?;
    Ok(())
}

/// Processing hook, after the reinvestment step of `d`: when it changed holdings (bought or
/// took back shares on its payable date), flags the open distributions of those funds with a
/// record date on or after it whose holdings no longer match, and writes the processing's
/// `distribution.holdings_changed` audit entry and event listing them (`staleDistributions`).
pub async fn after_processing(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
) -> Result<Vec<staleness::Flagged>, StoreError> {
    let changed = staleness::reinvested_funds(tx, actor, &d.id).await?;
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let cause = format!(
        "processing distribution {} changed holdings of fund(s) {} on {}",
        d.id,
        changed.join(", "),
        d.schedule.payable
    );
    let flagged = funds::flag_stale(tx, actor, &changed, d.schedule.payable, &cause).await?;
    let body = json!({
        "distributionId": d.id,
        "fundIds": changed,
        "changedOn": d.schedule.payable,
        "staleDistributions": flagged.iter().map(|f| json!({
            "id": f.id, "investorsChanged": f.investors, "staleReason": f.reason,
        })).collect::<Vec<_>>(),
    });
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "distribution.holdings_changed",
            entity_type: "distribution",
            entity_id: &d.id,
            before: None,
            after: Some(body.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "distribution.holdings_changed",
        "distribution",
        &d.id,
        body,
    )
    .await?;
    Ok(flagged)
}
