//! Year-end re-characterization of a distribution (the Form 8937 situation): the final
//! component totals are entered once and, in one transaction, every line is re-split exactly
//! ([`clearway_core::tax::recharacterize::resplit`]), the old components are kept, the tax
//! lots follow the change in return of capital, and the forms part is told (CORRECTED
//! 1099-DIVs). Investors are told through the `distribution.recharacterized` event.
//!
//! # Lots
//! Per line whose return of capital changed, the distribution's own basis reductions on the
//! investor's lots still open (held on the record date) are given back and the new return of
//! capital applied afresh on that basis by the processing rule
//! ([`clearway_core::taxlots::apply_return_of_capital`]; beyond basis it is gain). Only the
//! net change per lot is written, as rows recorded by the re-characterization (its id in
//! `distribution_id`) and accounted to the distribution (`roc_distribution_id`), so that a
//! later reversal of the distribution undoes them with the original's.

use std::collections::HashMap;

use clearway_core::access::Permission;
use clearway_core::components::{ComponentKind, Components};
use clearway_core::distribution::{FundKind, Kind, Status};
use clearway_core::input::check_text;
use clearway_core::tax::recharacterize::{resplit, FinalCharacter};
use clearway_core::taxlots::apply_return_of_capital;
use clearway_core::{FieldError, Invalid};
use clearway_store::distributions::{self as dstore, Distribution};
use clearway_store::reinvestment::{
    self as rstore, Context, LotAdjustment, RocApplication, Writes,
};
use clearway_store::tax::recharacterize::{self as store, Recharacterization};
use clearway_store::{audit, funds, outbox, taxlots, Actor, StoreError, Tx};
use serde_json::json;

use crate::{AppError, AppResult};

/// The final character as entered: decimal strings per component (totals for the
/// distribution), in [`ComponentKind::ALL`] order, and why.
#[derive(Debug, Clone, Default)]
pub struct RecharacterizeInput {
    /// Totals per component, decimal strings, in [`ComponentKind::ALL`] order.
    pub components: [String; 6],
    /// Why (e.g. "Form 8937 of 2027-01-20").
    pub reason: String,
}

/// What a re-characterization did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The stored record.
    pub record: Recharacterization,
    /// Lines re-split.
    pub lines: usize,
    /// Lines whose components changed.
    pub changed: usize,
    /// Net change of the lots' basis (negative: reduced), minor units.
    pub basis_change_minor: i64,
    /// Net change of return of capital beyond basis (gain), minor units.
    pub gain_change_minor: i64,
}

fn parse(
    input: &RecharacterizeInput,
    d: &Distribution,
) -> Result<(FinalCharacter, String), Invalid> {
    let mut errs = Vec::new();
    let mut totals = [0i64; 6];
    for (i, kind) in ComponentKind::ALL.iter().enumerate() {
        let field = format!("components.{}", kind.as_str());
        match d.currency.parse_amount(&field, input.components[i].trim()) {
            Ok(v) => totals[i] = v,
            Err(e) => errs.push(e),
        }
    }
    let reason = input.reason.trim();
    if reason.is_empty() {
        errs.push(FieldError::new("reason", "is required"));
    } else if reason.chars().count() > 500 {
        errs.push(FieldError::new("reason", "must be at most 500 characters"));
    } else if let Err(e) = check_text("reason", reason, true) {
        errs.push(e);
    }
    if !errs.is_empty() {
        return Err(Invalid(errs));
    }
    let fc = FinalCharacter { totals };
    fc.check(d.total_minor)?;
    Ok((fc, reason.to_string()))
}

/// Refuses (409) what cannot be re-characterized: only COMPLETED regular distributions of
/// open-end funds, not reversed, not re-characterized before.
async fn check_state(tx: &mut Tx, actor: &Actor, d: &Distribution) -> AppResult<()> {
    let fund = funds::get_fund_tx(tx, actor, &d.fund_id).await?;
    if fund.kind != FundKind::OpenEnd {
        return Err(AppError::conflict(
            "only distributions of open-end funds are re-characterized (a partnership reports on K-1)",
        ));
    }
    if d.kind != Kind::Regular || d.status != Status::Completed {
        return Err(AppError::conflict(format!(
            "only COMPLETED regular distributions are re-characterized; this one is {} {}",
            d.kind.as_str(),
            d.status.as_str()
        )));
    }
    if store::is_reversed_tx(tx, actor, &d.id).await? {
        return Err(AppError::conflict("the distribution has been reversed"));
    }
    if store::get_tx(tx, actor, &d.id).await?.is_some() {
        return Err(AppError::conflict(
            "the distribution has been re-characterized already",
        ));
    }
    Ok(())
}

/// Re-characterizes distribution `distribution_id` (operators and admins).
pub async fn recharacterize(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    input: &RecharacterizeInput,
) -> AppResult<Outcome> {
    actor.require(Permission::Operate)?;
    let d = dstore::get_tx(tx, actor, distribution_id).await?;
    check_state(tx, actor, &d).await?;
    let (fc, reason) = parse(input, &d)?;
    let lines = dstore::all_lines_tx(tx, actor, &d.id).await?;
    let before: Vec<(String, Components)> = lines
        .iter()
        .map(|l| (l.investor_id.clone(), l.components))
        .collect();
    let after: Vec<(String, Components)> = lines
        .iter()
        .map(|l| {
            (
                l.investor_id.clone(),
                resplit(&l.components, l.total_minor, &fc),
            )
        })
        .collect();
    let record = store::insert_tx(tx, actor, &d.id, &fc.totals, &reason, &before).await?;
    let changed: Vec<(String, Components)> = after
        .iter()
        .zip(&before)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.clone())
        .collect();
    store::update_lines_tx(tx, actor, &d.id, &changed).await?;
    let roc_changes: Vec<(String, i64, i64)> = after
        .iter()
        .zip(&before)
        .filter(|(a, b)| a.1.return_of_capital != b.1.return_of_capital)
        .map(|(a, b)| (a.0.clone(), b.1.return_of_capital, a.1.return_of_capital))
        .collect();
    let w = lot_writes(tx, actor, &d, &roc_changes).await?;
    rstore::persist(
        tx,
        actor,
        &Context {
            distribution_id: &record.id,
        },
        &w,
    )
    .await?;
    let outcome = Outcome {
        lines: lines.len(),
        changed: changed.len(),
        basis_change_minor: w.adjustments.iter().map(|a| a.basis_change_minor).sum(),
        gain_change_minor: w.roc.iter().map(|r| r.gain_minor).sum(),
        record,
    };
    trail(tx, actor, &d, &outcome, &changed, &before).await?;
    crate::tax::hooks::after_recharacterization(tx, actor, &d).await?;
    Ok(outcome)
}

/// The basis changes for the lines whose return of capital changed: (investor, old, new).
async fn lot_writes(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    changes: &[(String, i64, i64)],
) -> AppResult<Writes> {
    let mut w = Writes::default();
    if changes.is_empty() {
        return Ok(w);
    }
    let wanted: HashMap<&str, ()> = changes.iter().map(|c| (c.0.as_str(), ())).collect();
    let mut held: HashMap<String, Vec<clearway_core::taxlots::Lot>> = HashMap::new();
    for (investor, lot) in taxlots::open_lots_tx(tx, actor, &d.fund_id, d.schedule.record).await? {
        if wanted.contains_key(investor.as_str()) {
            held.entry(investor).or_default().push(lot);
        }
    }
    let lot_ids: Vec<String> = held.values().flatten().map(|l| l.id.clone()).collect();
    // What this distribution took off each lot so far (whoever recorded it), per lot.
    let mut taken: HashMap<String, i64> = HashMap::new();
    for a in rstore::adjustments_of_tx(tx, actor, Some(&d.id), &lot_ids).await? {
        *taken.entry(a.lot_id).or_default() -= a.basis_change_minor;
    }
    let mut gained: HashMap<String, i64> = HashMap::new();
    for r in rstore::roc_of_tx(tx, actor, &d.id).await? {
        *gained.entry(r.investor_id).or_default() += r.gain_minor;
    }
    for (investor, _old, new) in changes {
        let mut lots = held.get(investor).cloned().unwrap_or_default();
        for lot in &mut lots {
            lot.basis_minor += taken.get(&lot.id).copied().unwrap_or(0);
        }
        let outcome = apply_return_of_capital(&lots, *new).map_err(|e| {
            AppError::conflict(format!("return of capital of investor {investor}: {e}"))
        })?;
        let mut reduction_change = 0;
        for (lot, reduction) in lots.iter().zip(&outcome.reductions) {
            let change = taken.get(&lot.id).copied().unwrap_or(0) - reduction;
            if change != 0 {
                reduction_change -= change;
                w.adjustments.push(LotAdjustment {
                    lot_id: lot.id.clone(),
                    fund_id: d.fund_id.clone(),
                    investor_id: investor.clone(),
                    basis_change_minor: change,
                    roc_distribution_id: d.id.clone(),
                });
            }
        }
        let gain_change = outcome.gain_minor - gained.get(investor).copied().unwrap_or(0);
        w.roc.push(RocApplication {
            investor_id: investor.clone(),
            fund_id: d.fund_id.clone(),
            roc_minor: reduction_change + gain_change,
            basis_reduction_minor: reduction_change,
            gain_minor: gain_change,
            roc_distribution_id: d.id.clone(),
        });
    }
    Ok(w)
}

/// The audit entry and the `distribution.recharacterized` event (per-line changes summed
/// per component; the investors whose line changed, for the notification of each).
async fn trail(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    o: &Outcome,
    changed: &[(String, Components)],
    before: &[(String, Components)],
) -> Result<(), StoreError> {
    let old: HashMap<&str, &Components> = before.iter().map(|(i, c)| (i.as_str(), c)).collect();
    let mut delta = serde_json::Map::new();
    for kind in ComponentKind::ALL {
        let sum: i64 = changed
            .iter()
            .map(|(i, c)| c.get(kind) - old.get(i.as_str()).map_or(0, |b| b.get(kind)))
            .sum();
        delta.insert(kind.as_str().to_string(), json!(sum));
    }
    let investors: Vec<&str> = changed.iter().map(|(i, _)| i.as_str()).collect();
    let after = json!({
        "distributionId": d.id, "fundId": d.fund_id, "payableDate": d.schedule.payable.to_string(),
        "totals": o.record.totals, "reason": o.record.reason, "lines": o.lines,
        "changedLines": o.changed, "componentChangeMinor": delta,
        "basisChangeMinor": o.basis_change_minor, "gainChangeMinor": o.gain_change_minor,
        "investorIds": investors,
    });
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "distribution.recharacterized",
            entity_type: "distribution",
            entity_id: &d.id,
            before: None,
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "distribution.recharacterized",
        "distribution",
        &d.id,
        after,
    )
    .await?;
    Ok(())
}

/// The re-characterization of a distribution and a page of its lines before/after (staff).
pub async fn show(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    after: Option<&str>,
    limit: i64,
) -> AppResult<(Distribution, Recharacterization, Vec<store::LineChange>)> {
    let d = dstore::get_tx(tx, actor, distribution_id).await?;
    let rec = store::get_tx(tx, actor, &d.id)
        .await?
        .ok_or(StoreError::NotFound("recharacterization"))?;
    let lines = store::changes_page(tx, actor, &d.id, after, limit).await?;
    Ok((d, rec, lines))
}
