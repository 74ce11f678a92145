//! Declaring, editing and moving a distribution through its lifecycle.

use std::collections::HashSet;

use clearway_core::access::Permission;
use clearway_core::distribution::fingerprint::AllocationBasis;
use clearway_core::distribution::{
    check_line, plan_lines, Action, Allocation, Components, Kind, PlannedLine, Schedule, Status,
};
use clearway_core::reinvestment::nav::DEFAULT_SHARE_CLASS;
use clearway_core::{Currency, FieldError, Invalid};
use clearway_store::distributions::{self as store, staleness, Distribution, NewDistribution};
use clearway_store::funds::{self, Fund};
use clearway_store::{jobs, Actor, Db, StoreError, Tx};
use serde_json::json;

use super::command::DistributionInput;
use super::{trail, PROCESS_JOB};
use crate::{AppError, AppResult};

/// Lines planned for a command, with the holdings they came from (None for explicit lines).
pub(crate) struct Planned {
    /// The lines.
    pub lines: Vec<PlannedLine>,
    /// Fingerprint of the record-date holdings, and the holders left without a line.
    pub basis: Option<AllocationBasis>,
}

/// Plans lines for a command against the fund's record-date holdings. Explicit lines get no
/// basis: their amounts are a person's, not the holdings', and the membership they are
/// checked against (ever held the fund) only grows, so no later change can make them stale.
pub(crate) async fn plan(
    tx: &mut Tx,
    actor: &Actor,
    fund: &Fund,
    class: &str,
    schedule: &Schedule,
    allocation: &Allocation,
) -> AppResult<Planned> {
    if let Allocation::Explicit(_) = allocation {
        let members = funds::fund_investor_ids(tx, actor, &fund.id).await?;
        let members: HashSet<&str> = members.iter().map(String::as_str).collect();
        let lines = plan_lines(fund.currency, allocation, &[], &members)?;
        return Ok(Planned { lines, basis: None });
    }
    let holdings = funds::class_holdings_as_of(tx, actor, &fund.id, class, schedule.record).await?;
    let lines = plan_lines(fund.currency, allocation, &holdings, &HashSet::new())?;
    let basis = AllocationBasis::of(&fund.id, schedule.record, &holdings, &lines);
    Ok(Planned {
        lines,
        basis: Some(basis),
    })
}

/// The fund a request names (id or code); an unknown one is the request's `fundId` error.
pub(crate) async fn fund_named(tx: &mut Tx, actor: &Actor, fund_ref: &str) -> AppResult<Fund> {
    funds::get_fund_tx(tx, actor, fund_ref)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => {
                AppError::field("fundId", format!("fund '{fund_ref}' not found"))
            }
            other => other.into(),
        })
}

/// Inserts a new DRAFT distribution of `kind` (a correction names the corrected distribution
/// and the reason) with its planned lines and trail.
pub(crate) async fn insert_new<R: DistributionInput>(
    tx: &mut Tx,
    actor: &Actor,
    req: &R,
    kind: Kind,
    corrects: Option<(&str, &str)>,
) -> AppResult<Distribution> {
    let fund = fund_named(tx, actor, req.fund_ref()).await?;
    let cmd = req.command(fund.currency)?;
    let planned = plan(
        tx,
        actor,
        &fund,
        DEFAULT_SHARE_CLASS,
        &cmd.schedule,
        &cmd.allocation,
    )
    .await?;
    let new = NewDistribution {
        fund_id: fund.id.clone(),
        kind,
        status: Status::Draft,
        currency: fund.currency,
        schedule: cmd.schedule,
        description: cmd.description,
        allocation: cmd.allocation_record,
        reverses_id: None,
        corrects_id: corrects.map(|(id, _)| id.to_string()),
        reason: corrects.map(|(_, reason)| reason.to_string()),
    };
    let d = store::insert(tx, actor, &new, &planned.lines).await?;
    let d = staleness::set_basis(tx, actor, &d, planned.basis.as_ref()).await?;
    trail(
        tx,
        actor,
        "distribution.create",
        "distribution.declared",
        None,
        &d,
    )
    .await?;
    Ok(d)
}

/// Declares a regular distribution (DRAFT) inside `tx`.
pub async fn create<R: DistributionInput>(
    tx: &mut Tx,
    actor: &Actor,
    req: &R,
) -> AppResult<Distribution> {
    insert_new(tx, actor, req, Kind::Regular, None).await
}

/// A reversal is derived from its original, a waterfall distribution from the fund's
/// waterfall (its lines' tier split is recorded beside them), an in-kind one from its security
/// split (the position reserved for it): none is edited, only cancelled.
pub(crate) fn refuse_reversal_edit(d: &Distribution) -> AppResult<()> {
    if d.kind == Kind::Reversal {
        return Err(AppError::conflict(
            "a reversal is derived from the original and cannot be edited; cancel it instead",
        ));
    }
    if d.allocation["method"] == "waterfall" {
        return Err(AppError::conflict(
            "a waterfall distribution is derived from the fund's waterfall and cannot be edited; cancel it and run the waterfall again",
        ));
    }
    if d.allocation["method"] == "inKind" {
        return Err(AppError::conflict(
            "an in-kind distribution's lines follow from its security split and cannot be edited or reallocated; cancel it and declare it again",
        ));
    }
    Ok(())
}

/// Replaces dates, description and allocation of distribution `id` (DRAFT/READY only); the
/// fund cannot change.
pub async fn update<R: DistributionInput>(
    db: &Db,
    actor: &Actor,
    id: &str,
    req: &R,
) -> AppResult<Distribution> {
    let mut tx = db.begin().await?;
    let current = store::get_tx(&mut tx, actor, id).await?;
    refuse_reversal_edit(&current)?;
    current.status.apply(Action::Edit)?;
    let fund = funds::get_fund_tx(&mut tx, actor, &current.fund_id).await?;
    if req.fund_ref() != fund.id && req.fund_ref() != fund.code {
        return Err(AppError::field(
            "fundId",
            "the fund of a distribution cannot change; create a new one",
        ));
    }
    if req.share_class().is_some_and(|c| c != current.share_class) {
        return Err(AppError::field(
            "shareClass",
            "the share class of a distribution cannot change; create a new one",
        ));
    }
    let cmd = req.command(fund.currency)?;
    let class = current.share_class.as_str();
    let planned = plan(&mut tx, actor, &fund, class, &cmd.schedule, &cmd.allocation).await?;
    let edit = store::Edit {
        schedule: cmd.schedule,
        description: cmd.description,
        allocation: cmd.allocation_record,
    };
    let updated = store::edit(&mut tx, actor, &current, &edit, Some(&planned.lines)).await?;
    let updated = staleness::set_basis(&mut tx, actor, &updated, planned.basis.as_ref()).await?;
    trail(
        &mut tx,
        actor,
        "distribution.update",
        "distribution.updated",
        Some(&current),
        &updated,
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Field names of a line given on its own: without the internal `line.` prefix.
fn unprefixed(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| match e.field.strip_prefix("line.") {
            Some(rest) => FieldError::new(rest.to_string(), e.message),
            None => e,
        })
        .collect()
}

/// Sets investor `investor_id`'s line of distribution `id` explicitly (DRAFT/READY only).
/// `parse` reads the line's amounts (fields prefixed `line.`) in the distribution's currency.
pub async fn update_line(
    db: &Db,
    actor: &Actor,
    id: &str,
    investor_id: &str,
    parse: impl FnOnce(Currency) -> Result<(i64, Components), Vec<FieldError>> + Send,
) -> AppResult<Distribution> {
    let mut tx = db.begin().await?;
    let current = store::get_tx(&mut tx, actor, id).await?;
    refuse_reversal_edit(&current)?;
    current.status.apply(Action::Edit)?;
    let (total, components) = parse(current.currency).map_err(|e| Invalid(unprefixed(e)))?;
    let mut errors = check_line("line", total, &components);
    if !funds::fund_investor_ids(&mut tx, actor, &current.fund_id)
        .await?
        .contains(investor_id)
    {
        errors.push(FieldError::new(
            "investorId",
            format!("investor '{investor_id}' is not an investor of this fund"),
        ));
    }
    if !errors.is_empty() {
        // The body is the line itself: name its fields without the internal "line." prefix.
        return Err(Invalid(unprefixed(errors)).into());
    }
    let line = PlannedLine {
        investor_id: investor_id.to_string(),
        units: None,
        total,
        components,
    };
    let updated = store::replace_line(&mut tx, actor, &current, &line).await?;
    trail(
        &mut tx,
        actor,
        "distribution.update_line",
        "distribution.updated",
        Some(&current),
        &updated,
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Moves distribution `id` by `action` (ready, approve, process, cancel). Going to PROCESSING
/// first runs the reinvestment pre-flight check (a missing or stale NAV refuses the whole
/// request) and enqueues the [`PROCESS_JOB`].
pub async fn transition(
    db: &Db,
    actor: &Actor,
    id: &str,
    action: Action,
) -> AppResult<Distribution> {
    // The role before the lookup: a role that may not act gets 403 even where it cannot see
    // the distribution (investors see none before approval).
    actor.require(match action {
        Action::Approve => Permission::Approve,
        _ => Permission::Operate,
    })?;
    if action == Action::Reallocate {
        // A status change alone would keep the old lines: reallocation plans them.
        return Err(AppError::conflict(
            "reallocate plans the lines again; use reallocate",
        ));
    }
    let mut tx = db.begin().await?;
    let current = store::get_tx(&mut tx, actor, id).await?;
    let mut updated = store::transition(&mut tx, actor, &current, action).await?;
    if matches!(action, Action::Approve | Action::Process) {
        // After the role, state and four-eyes checks: amounts computed from holdings that
        // changed since are neither approved nor paid.
        updated = super::stale::verify(&mut tx, actor, &current, updated, action).await?;
    }
    if action == Action::Process {
        // Refused here, whole, rather than failing in the job: a missing or stale NAV leaves
        // the distribution APPROVED (this transaction rolls back).
        crate::reinvestment::preflight(&mut tx, actor, &current).await?;
    }
    let (verb, event) = match action {
        Action::MarkReady => ("distribution.ready", "distribution.submitted"),
        Action::Approve => ("distribution.approve", "distribution.approved"),
        Action::Process => ("distribution.process", "distribution.processing"),
        Action::Cancel => ("distribution.cancel", "distribution.cancelled"),
        Action::Complete => ("distribution.complete", "distribution.completed"),
        Action::Edit => ("distribution.update", "distribution.updated"),
        Action::Reallocate => ("distribution.reallocate", "distribution.reallocated"),
    };
    if action == Action::Cancel {
        // An in-kind declaration gives its reserved units back to the position.
        // An in-kind distribution gives back the units it reserved.
        clearway_store::inkind::release(&mut tx, actor, &updated.id).await?;
    }
    if action == Action::Process {
        let key = format!("{PROCESS_JOB}:{}", updated.id);
        jobs::enqueue(
            &mut tx,
            actor,
            PROCESS_JOB,
            json!({ "distributionId": updated.id }),
            Some(&key),
            4,
        )
        .await?;
    }
    trail(&mut tx, actor, verb, event, Some(&current), &updated).await?;
    tx.commit().await?;
    Ok(updated)
}
