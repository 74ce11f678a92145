//! Reversing a completed distribution: a linked reversing distribution (whole or chosen
//! lines), and optionally a correction, in one transaction. The original is not touched.

use std::collections::HashSet;

use clearway_core::distribution::{Kind, PlannedLine, Schedule, Status};
use clearway_core::{FieldError, Invalid};
use clearway_store::distributions::{self as store, Distribution, Line, NewDistribution};
use clearway_store::funds;
use clearway_store::{Actor, StoreError, Tx};
use serde_json::json;

use super::command::{DistributionInput, ReversalCommand};
use super::lifecycle::insert_new;
use super::trail;
use crate::{AppError, AppResult};

/// What a reversal created.
#[derive(Debug, Clone)]
pub struct Reversal {
    /// The reversing distribution (negated lines), READY for approval.
    pub reversal: Distribution,
    /// The correction, if one was asked for, in DRAFT.
    pub correction: Option<Distribution>,
}

/// Reverses distribution `id` inside `tx` (see the module docs).
pub async fn reverse<R: DistributionInput>(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    cmd: &ReversalCommand<'_, R>,
) -> AppResult<Reversal> {
    let original = store::get_tx(tx, actor, id).await?;
    refuse_unreversible(&original)?;
    let all = store::all_lines_tx(tx, actor, &original.id).await?;
    let chosen = choose_lines(&all, cmd.investor_ids)?;
    let reversal = insert_reversal(tx, actor, &original, &chosen, cmd.reason()).await?;
    let correction = match cmd.correction {
        None => None,
        Some(c) => Some(insert_correction(tx, actor, &original, c, cmd.reason()).await?),
    };
    Ok(Reversal {
        reversal,
        correction,
    })
}

/// Only a COMPLETED distribution that is not itself a reversal can be reversed.
fn refuse_unreversible(original: &Distribution) -> AppResult<()> {
    if original.status != Status::Completed {
        return Err(AppError::conflict(format!(
            "only a COMPLETED distribution can be reversed; this one is {}",
            original.status
        )));
    }
    if original.kind == Kind::Reversal {
        return Err(AppError::conflict("a reversal cannot itself be reversed"));
    }
    Ok(())
}

/// The lines to reverse: all of them, or those of the named investors (each once, each with
/// a line), naming every bad entry.
fn choose_lines<'l>(all: &'l [Line], investor_ids: Option<&[String]>) -> AppResult<Vec<&'l Line>> {
    let Some(ids) = investor_ids else {
        return Ok(all.iter().collect());
    };
    let mut errors = Vec::new();
    let mut picked = Vec::new();
    let mut seen = HashSet::new();
    for (i, inv) in ids.iter().enumerate() {
        match all.iter().find(|l| &l.investor_id == inv) {
            Some(_) if !seen.insert(inv) => errors.push(FieldError::new(
                format!("investorIds[{i}]"),
                "appears more than once",
            )),
            Some(l) => picked.push(l),
            None => errors.push(FieldError::new(
                format!("investorIds[{i}]"),
                format!("investor '{inv}' has no line in this distribution"),
            )),
        }
    }
    if ids.is_empty() {
        errors.push(FieldError::new(
            "investorIds",
            "must not be empty; omit it to reverse every line",
        ));
    }
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    Ok(picked)
}

/// Inserts the READY reversing distribution (negated lines, payable no earlier than today).
async fn insert_reversal(
    tx: &mut Tx,
    actor: &Actor,
    original: &Distribution,
    chosen: &[&Line],
    reason: &str,
) -> AppResult<Distribution> {
    let lines: Vec<PlannedLine> = chosen
        .iter()
        .map(|l| PlannedLine {
            investor_id: l.investor_id.clone(),
            units: l.units,
            total: -l.total_minor,
            components: l.components.negated(),
        })
        .collect();
    let today = chrono::Utc::now().date_naive();
    let schedule = Schedule {
        payable: original.schedule.payable.max(today),
        ..original.schedule
    };
    let new = NewDistribution {
        fund_id: original.fund_id.clone(),
        kind: Kind::Reversal,
        status: Status::Ready,
        currency: original.currency,
        schedule,
        description: format!(
            "Reversal of {}",
            if original.description.is_empty() {
                &original.id
            } else {
                &original.description
            }
        ),
        allocation: json!({ "method": "reversal", "of": original.id }),
        reverses_id: Some(original.id.clone()),
        corrects_id: None,
        reason: Some(reason.to_string()),
    };
    // A reversal takes back the original's class (its holdings, its NAV).
    let class = original.share_class.as_str();
    let reversal = store::insert_in_class(tx, actor, &new, &lines, class, None)
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                AppError::conflict("some of these lines have already been reversed")
            } else {
                e.into()
            }
        })?;
    // Its in-kind part: the negated in-kind lines of the investors reversed.
    clearway_store::inkind::copy_reversed(tx, actor, &original.id, &reversal).await?;
    trail(
        tx,
        actor,
        "distribution.reverse",
        "distribution.reversed",
        None,
        &reversal,
    )
    .await?;
    Ok(reversal)
}

/// Inserts the DRAFT correction of `original` (same fund); its field errors are named under
/// `correction.`.
async fn insert_correction<R: DistributionInput>(
    tx: &mut Tx,
    actor: &Actor,
    original: &Distribution,
    c: &R,
    reason: &str,
) -> AppResult<Distribution> {
    // A fund not found (or not visible) is refused like another fund: it is not the original's.
    let fund = match funds::get_fund_tx(tx, actor, c.fund_ref()).await {
        Ok(f) => Some(f),
        Err(StoreError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    if fund.map(|f| f.id) != Some(original.fund_id.clone()) {
        return Err(AppError::field(
            "correction.fundId",
            "must be the fund of the original distribution",
        ));
    }
    insert_new(tx, actor, c, Kind::Correction, Some((&original.id, reason)))
        .await
        .map_err(|e| match e {
            AppError::Invalid(Invalid(errors)) => AppError::Invalid(Invalid(
                errors
                    .into_iter()
                    .map(|e| FieldError::new(format!("correction.{}", e.field), e.message))
                    .collect(),
            )),
            other => other,
        })
}
