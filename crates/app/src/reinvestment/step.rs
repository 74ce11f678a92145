//! The reinvestment step of the `distribution.process` job, and its pre-flight check.
//!
//! For a regular (or correction) distribution, every pending line is split by the election
//! in force on the **record date** (the investor's, else the organization default), at the
//! NAV of the bought fund on the **payable date** (the trade date) found by the rule of
//! [`clearway_core::reinvestment::nav`]; the split follows the rounding rules of
//! [`clearway_core::reinvestment`]. Each line that buys shares gets a reinvestment
//! transaction, a new tax lot (acquired on the payable date, cost = basis) and a holdings
//! row on the payable date with the new units, so the next record date sees them. Return of
//! capital reduces the basis of the investor's open lots held on the record date
//! ([`clearway_core::taxlots`]). Partnership funds are never reinvested (all cash) and their
//! basis lives in capital accounts, not lots.
//!
//! For a reversal, each reversed line's original reinvestment is taken back: a REVERSAL
//! transaction with negative shares and cost at the original NAV, the original lot closed,
//! the units removed from holdings on the reversal's payable date, and the original return
//! of capital basis changes undone on lots still open. What later distributions' return of
//! capital had taken off the lots taken back is applied again to the investor's remaining
//! lots (beyond their basis: gain), recorded as this reversal's rows accounted to those
//! distributions. The line's cash part stays negative (the payments step pays only positive
//! cash).
//!
//! If any NAV is missing or stale, nothing is written for the whole distribution. All
//! writes share the job's transaction and only touch lines whose settlement is still unset,
//! and each (distribution, investor) can hold one reinvestment: re-running never doubles.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use clearway_core::distribution::{FundKind, Kind};
use clearway_core::reinvestment::nav::{self, NavQuote, DEFAULT_SHARE_CLASS};
use clearway_core::reinvestment::{split_line, Election, Percentage, Terms};
use clearway_core::taxlots::{apply_return_of_capital, reapply_return_of_capital, Lot, Reapply};
use clearway_store::distributions::{self as dstore, Distribution};
use clearway_store::funds::{self, Fund};
use clearway_store::reinvestment::nav as navs;
use clearway_store::reinvestment::{
    self as store, HoldingSet, LotAdjustment, NewLot, NewReinvestment, PendingLine, RocApplication,
    TxKind, Writes,
};
use clearway_store::{audit, new_id, outbox, taxlots, Actor, StoreError, Tx};
use rust_decimal::Decimal;
use serde_json::json;
use tracing::Instrument;

use crate::jobs::JobError;

/// Why reinvestment cannot go ahead.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A NAV is missing or stale (or another business rule refuses): nothing may be done.
    #[error("{0}")]
    Refused(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PlanError> for JobError {
    fn from(e: PlanError) -> Self {
        match e {
            // A NAV may be published later: retry on the job schedule, then manual review.
            PlanError::Refused(why) => JobError::Retryable(why),
            PlanError::Store(e) => e.into(),
        }
    }
}

/// The bought fund of a line, with its price.
#[derive(Debug, Clone)]
struct Priced {
    fund: Fund,
    quote: NavQuote,
}

/// A regular distribution's decisions: each pending line with its election, and the price
/// of every fund bought.
struct Decided {
    fund: Fund,
    lines: Vec<(PendingLine, Election)>,
    prices: HashMap<String, Priced>,
}

/// Decides elections and prices for a regular distribution; refuses (naming fund and date)
/// when a needed NAV is missing or stale.
#[tracing::instrument(level = "debug", skip_all, fields(distribution_id = %d.id))]
async fn decide(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<Decided, PlanError> {
    let fund = funds::get_fund_tx(tx, actor, &d.fund_id).await?;
    let mut lines = store::pending_lines(tx, actor, &d.id)
        .instrument(tracing::debug_span!("read lines"))
        .await?;
    // Sorted here whatever the database collation: later steps merge by investor id.
    lines.sort_by(|a, b| a.investor_id.cmp(&b.investor_id));
    let settings = store::settings_tx(tx, actor).await?;
    let (elections, default) = if fund.kind == FundKind::OpenEnd {
        (
            store::elections_at_tx(tx, actor, &fund.id, d.schedule.record)
                .instrument(tracing::debug_span!("read elections"))
                .await?,
            settings.default_election.clone(),
        )
    } else {
        (HashMap::new(), Election::Cash)
    };
    let mut needed: BTreeMap<String, ()> = BTreeMap::new();
    let lines: Vec<(PendingLine, Election)> = lines
        .into_iter()
        .map(|l| {
            let e = elections
                .get(&l.investor_id)
                .cloned()
                .unwrap_or_else(|| default.clone());
            if e.percentage() > Percentage::ZERO && l.total_minor - l.withholding_minor > 0 {
                let target = e.target_fund_id().unwrap_or(&fund.id).to_string();
                needed.insert(target, ());
            }
            (l, e)
        })
        .collect();
    let (prices, problems) = resolve_prices(
        tx,
        actor,
        d,
        &fund,
        needed.keys(),
        settings.nav_staleness_days,
    )
    .await?;
    if !problems.is_empty() {
        return Err(PlanError::Refused(format!(
            "reinvestment needs the NAV of each fund bought on the payable date {}: {}; nothing was reinvested",
            d.schedule.payable,
            problems.join("; ")
        )));
    }
    Ok(Decided {
        fund,
        lines,
        prices,
    })
}

/// The price of every fund bought, on the payable date, and what refuses (a fund that cannot
/// be bought, a missing or stale NAV).
#[tracing::instrument(level = "debug", skip_all, fields(distribution_id = %d.id))]
async fn resolve_prices(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    fund: &Fund,
    needed: impl Iterator<Item = &String>,
    staleness_days: u32,
) -> Result<(HashMap<String, Priced>, Vec<String>), PlanError> {
    let mut prices = HashMap::new();
    let mut problems = Vec::new();
    for fund_id in needed {
        let target = if *fund_id == fund.id {
            fund.clone()
        } else {
            funds::get_fund_tx(tx, actor, fund_id).await?
        };
        if target.kind != FundKind::OpenEnd || target.currency != fund.currency {
            problems.push(format!(
                "fund {} cannot be bought with {} distributions of {}",
                target.code, fund.currency, fund.code
            ));
            continue;
        }
        let latest = navs::latest_on_or_before_tx(
            tx,
            actor,
            &target.id,
            class_bought(d, &target.id),
            Some(d.schedule.payable),
        )
        .await?;
        match nav::resolve(latest, d.schedule.payable, staleness_days) {
            Ok(quote) => {
                prices.insert(
                    target.id.clone(),
                    Priced {
                        fund: target,
                        quote,
                    },
                );
            }
            Err(e) => problems.push(format!("fund {} ({}): {e}", target.code, target.id)),
        }
    }
    Ok((prices, problems))
}

/// Checked before PROCESSING (inside the `process` request's transaction): refuses with a
/// 409 naming fund and date when reinvestment would need a missing or stale NAV.
pub async fn preflight(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), StoreError> {
    let outcome = match d.kind {
        Kind::Reversal => plan_reversal(tx, actor, d).await.map(|_| ()),
        _ => decide(tx, actor, d).await.map(|_| ()),
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(PlanError::Refused(why)) => Err(StoreError::Conflict(format!(
            "cannot process this distribution: {why}"
        ))),
        Err(PlanError::Store(e)) => Err(e),
    }
}

/// The share class bought in `fund_id` by `d`'s reinvestments: the distribution's own class in
/// its own fund (a class distribution reinvests at that class's NAV, into that class), the
/// implicit DEFAULT class in another fund (an ALTERNATIVE election names a fund, not a class).
fn class_bought<'a>(d: &'a Distribution, fund_id: &str) -> &'a str {
    if d.fund_id == fund_id {
        &d.share_class
    } else {
        DEFAULT_SHARE_CLASS
    }
}

/// Units changes (fund, investor) → shares, applied on `date`.
type Deltas = BTreeMap<(String, String), Decimal>;

/// Holdings rows for unit changes on `date`: the row on that date gets the units held then
/// plus the change (inserted, or updated if one exists), and rows after it get the change too.
#[tracing::instrument(level = "debug", skip_all, fields(%date, changes = deltas.len()))]
async fn holdings_for(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    date: NaiveDate,
    deltas: &Deltas,
) -> Result<Vec<HoldingSet>, PlanError> {
    let mut out = Vec::with_capacity(deltas.len());
    // Deltas are keyed (fund, investor), so each fund's changes come sorted by investor.
    let mut by_fund: BTreeMap<&str, Vec<(&str, Decimal)>> = BTreeMap::new();
    for ((fund_id, investor_id), delta) in deltas {
        by_fund
            .entry(fund_id.as_str())
            .or_default()
            .push((investor_id.as_str(), *delta));
    }
    for (fund_id, changes) in by_fund {
        // Both sides sorted by investor id (sorted here, whatever the database collation),
        // then merged: one pass, no per-investor allocation.
        let class = class_bought(d, fund_id);
        let mut history = store::holdings_around_tx(tx, actor, fund_id, class, date)
            .instrument(tracing::debug_span!("read holdings", fund_id))
            .await?;
        history.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut h = 0;
        for (investor_id, delta) in changes {
            while h < history.len() && history[h].0.as_str() < investor_id {
                h += 1;
            }
            let start = h;
            while h < history.len() && history[h].0 == investor_id {
                h += 1;
            }
            let rows = &history[start..h];
            let held = rows
                .iter()
                .take_while(|(_, d, _)| *d <= date)
                .last()
                .map(|(_, _, u)| *u)
                .unwrap_or(Decimal::ZERO);
            let exists = rows.iter().any(|(_, d, _)| *d == date);
            let mut push = |as_of: NaiveDate, units: Decimal, exists: bool| {
                if units.is_sign_negative() && !units.is_zero() {
                    return Err(PlanError::Refused(format!(
                        "investor {investor_id} would hold {units} shares of fund {fund_id} on {as_of}; the shares to take back are no longer held"
                    )));
                }
                out.push(HoldingSet {
                    fund_id: fund_id.to_string(),
                    share_class: class.to_string(),
                    investor_id: investor_id.to_string(),
                    as_of,
                    units,
                    exists,
                });
                Ok(())
            };
            push(date, held + delta, exists)?;
            for (_, as_of, units) in rows.iter().filter(|(_, d, _)| *d > date) {
                push(*as_of, *units + delta, true)?;
            }
        }
    }
    Ok(out)
}

/// The writes of a regular distribution.
#[tracing::instrument(level = "debug", skip_all, fields(distribution_id = %d.id))]
async fn plan_regular(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
) -> Result<(Writes, Summary), PlanError> {
    let decided = decide(tx, actor, d).await?;
    // Before any position is read: another distribution of these funds processed at the same
    // time waits for this one, then reads what it wrote.
    let mut locked: Vec<&str> = decided.prices.keys().map(String::as_str).collect();
    locked.push(&decided.fund.id);
    funds::lock_positions_tx(tx, actor, &locked).await?;
    let minor_units = d.currency.minor_units();
    let mut w = Writes::default();
    let mut deltas = Deltas::new();
    let mut summary = Summary::default();
    for (line, election) in &decided.lines {
        let pct = election.percentage();
        let net = line.total_minor - line.withholding_minor;
        if pct == Percentage::ZERO || net <= 0 {
            summary.cash_lines += 1;
            continue;
        }
        let target = election.target_fund_id().unwrap_or(&decided.fund.id);
        let priced = decided
            .prices
            .get(target)
            .ok_or_else(|| PlanError::Refused(format!("no price decided for fund {target}")))?;
        let terms = Terms {
            nav: priced.quote.nav,
            share_precision: priced.fund.share_precision,
            minor_units,
        };
        let split =
            split_line(line.total_minor, line.withholding_minor, pct, &terms).map_err(|e| {
                PlanError::Refused(format!("line of investor {}: {e}", line.investor_id))
            })?;
        if split.shares.is_zero() {
            // Too little to buy the smallest share increment: the line is all cash.
            summary.cash_lines += 1;
            continue;
        }
        let lot_id = new_id();
        w.reinvestments.push(NewReinvestment {
            investor_id: line.investor_id.clone(),
            kind: TxKind::Reinvest,
            fund_id: priced.fund.id.clone(),
            election: election.kind(),
            percentage: pct,
            reinvestable_minor: split.reinvestable_minor,
            cost_minor: split.cost_minor,
            shares: split.shares,
            nav: priced.quote.nav,
            nav_date: priced.quote.date,
            nav_rule: priced.quote.rule,
            lot_id: lot_id.clone(),
            reverses_distribution_id: None,
        });
        w.lots.push(NewLot {
            id: lot_id,
            fund_id: priced.fund.id.clone(),
            investor_id: line.investor_id.clone(),
            acquired_on: d.schedule.payable,
            source: "REINVESTMENT",
            source_distribution_id: Some(d.id.clone()),
            shares: split.shares,
            cost_minor: split.cost_minor,
        });
        *deltas
            .entry((priced.fund.id.clone(), line.investor_id.clone()))
            .or_default() += split.shares;
        summary.reinvested_lines += 1;
        summary.reinvested_minor += split.cost_minor;
    }
    if decided.fund.kind == FundKind::OpenEnd && decided.lines.iter().any(|(l, _)| l.roc_minor > 0)
    {
        apply_roc(tx, actor, d, &decided, &mut w, &mut summary).await?;
    }
    w.holdings = holdings_for(tx, actor, d, d.schedule.payable, &deltas).await?;
    summary.navs = decided
        .prices
        .values()
        .map(|p| {
            json!({ "fundId": p.fund.id, "fundCode": p.fund.code, "nav": p.quote.nav.to_string(),
                    "navDate": p.quote.date, "rule": p.quote.rule.as_str() })
        })
        .collect();
    Ok((w, summary))
}

/// Return of capital against the open lots held on the record date.
#[tracing::instrument(level = "debug", skip_all, fields(distribution_id = %d.id))]
async fn apply_roc(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    decided: &Decided,
    w: &mut Writes,
    summary: &mut Summary,
) -> Result<(), PlanError> {
    // Lots and lines both sorted by investor id, merged in one pass.
    let mut lots = taxlots::open_lots_tx(tx, actor, &decided.fund.id, d.schedule.record).await?;
    lots.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.acquired.cmp(&b.1.acquired))
            .then(a.1.id.cmp(&b.1.id))
    });
    let mut k = 0;
    let mut held: Vec<Lot> = Vec::new();
    for (line, _) in &decided.lines {
        if line.roc_minor <= 0 {
            continue;
        }
        while k < lots.len() && lots[k].0 < line.investor_id {
            k += 1;
        }
        held.clear();
        while k < lots.len() && lots[k].0 == line.investor_id {
            held.push(lots[k].1.clone());
            k += 1;
        }
        let held = held.as_slice();
        let outcome = apply_return_of_capital(held, line.roc_minor).map_err(|e| {
            PlanError::Refused(format!(
                "return of capital of investor {}: {e}",
                line.investor_id
            ))
        })?;
        for (lot, reduction) in held.iter().zip(&outcome.reductions) {
            if *reduction > 0 {
                w.adjustments.push(LotAdjustment {
                    lot_id: lot.id.clone(),
                    fund_id: decided.fund.id.clone(),
                    investor_id: line.investor_id.clone(),
                    basis_change_minor: -reduction,
                    roc_distribution_id: d.id.clone(),
                });
            }
        }
        let reduced = line.roc_minor - outcome.gain_minor;
        w.roc.push(RocApplication {
            investor_id: line.investor_id.clone(),
            fund_id: decided.fund.id.clone(),
            roc_minor: line.roc_minor,
            basis_reduction_minor: reduced,
            gain_minor: outcome.gain_minor,
            roc_distribution_id: d.id.clone(),
        });
        summary.roc_basis_reduction_minor += reduced;
        summary.roc_gain_minor += outcome.gain_minor;
    }
    Ok(())
}

/// The writes of a reversal: the original reinvestments and basis changes undone.
#[tracing::instrument(level = "debug", skip_all, fields(distribution_id = %d.id))]
async fn plan_reversal(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
) -> Result<(Writes, Summary), PlanError> {
    let mut w = Writes::default();
    let mut summary = Summary::default();
    let lines = store::pending_lines(tx, actor, &d.id).await?;
    let Some(original) = d.reverses_id.as_deref() else {
        summary.cash_lines = lines.len();
        return Ok((w, summary));
    };
    let originals: HashMap<String, store::Reinvestment> =
        store::for_distribution_tx(tx, actor, original)
            .await?
            .into_iter()
            .filter(|r| r.kind == TxKind::Reinvest)
            .map(|r| (r.investor_id.clone(), r))
            .collect();
    // The original's basis changes are found through the reversed investors' open lots.
    let original_d = dstore::get_tx(tx, actor, original).await?;
    let mut locked: Vec<&str> = originals.values().map(|r| r.fund_id.as_str()).collect();
    locked.push(&original_d.fund_id);
    funds::lock_positions_tx(tx, actor, &locked).await?;
    let reversed: HashSet<&str> = lines.iter().map(|l| l.investor_id.as_str()).collect();
    let their_lots: Vec<String> =
        taxlots::open_lots_tx(tx, actor, &original_d.fund_id, original_d.schedule.record)
            .await?
            .into_iter()
            .filter(|(investor, _)| reversed.contains(investor.as_str()))
            .map(|(_, lot)| lot.id)
            .collect();
    // The original's ROC net per lot and per investor, whoever recorded it: the original, and
    // reversals that applied it again to lots left after taking others back.
    let mut by_lot: BTreeMap<String, LotAdjustment> = BTreeMap::new();
    for a in store::adjustments_of_tx(tx, actor, Some(original), &their_lots).await? {
        by_lot
            .entry(a.lot_id.clone())
            .and_modify(|sum| sum.basis_change_minor += a.basis_change_minor)
            .or_insert(a);
    }
    let mut adjustments: HashMap<String, Vec<LotAdjustment>> = HashMap::new();
    for a in by_lot.into_values().filter(|a| a.basis_change_minor != 0) {
        adjustments
            .entry(a.investor_id.clone())
            .or_default()
            .push(a);
    }
    let mut rocs: HashMap<String, RocApplication> = HashMap::new();
    for r in store::roc_of_tx(tx, actor, original).await? {
        rocs.entry(r.investor_id.clone())
            .and_modify(|sum| {
                sum.roc_minor += r.roc_minor;
                sum.basis_reduction_minor += r.basis_reduction_minor;
                sum.gain_minor += r.gain_minor;
            })
            .or_insert(r);
    }
    let lot_ids: Vec<String> = lines
        .iter()
        .flat_map(|l| {
            let own = originals.get(&l.investor_id).map(|r| r.lot_id.clone());
            let adjusted = adjustments
                .get(&l.investor_id)
                .into_iter()
                .flatten()
                .map(|a| a.lot_id.clone());
            own.into_iter().chain(adjusted)
        })
        .collect();
    let statuses = taxlots::statuses_tx(tx, actor, &lot_ids).await?;
    let mut deltas = Deltas::new();
    let mut closed: Vec<String> = Vec::new();
    for line in &lines {
        if let Some(o) = originals.get(&line.investor_id) {
            if statuses.get(&o.lot_id).map(String::as_str) != Some("OPEN") {
                return Err(PlanError::Refused(format!(
                    "the reinvestment lot {} of investor {} is no longer open; it cannot be taken back",
                    o.lot_id, line.investor_id
                )));
            }
            w.reinvestments.push(NewReinvestment {
                investor_id: line.investor_id.clone(),
                kind: TxKind::Reversal,
                fund_id: o.fund_id.clone(),
                election: o.election,
                percentage: Percentage::new(o.percentage).map_err(StoreError::Corrupt)?,
                reinvestable_minor: -o.reinvestable_minor,
                cost_minor: -o.cost_minor,
                shares: -o.shares,
                nav: o.nav,
                nav_date: o.nav_date,
                nav_rule: o.nav_rule,
                lot_id: o.lot_id.clone(),
                reverses_distribution_id: Some(original.to_string()),
            });
            w.closed_lots.push(o.lot_id.clone());
            closed.push(o.lot_id.clone());
            *deltas
                .entry((o.fund_id.clone(), line.investor_id.clone()))
                .or_default() -= o.shares;
            summary.reinvested_lines += 1;
            summary.reinvested_minor -= o.cost_minor;
        } else {
            summary.cash_lines += 1;
        }
        // Basis the original took off lots still open goes back (the lot just closed, bought
        // after the original's record date, never had any taken off by it).
        for a in adjustments.get(&line.investor_id).into_iter().flatten() {
            if statuses.get(&a.lot_id).map(String::as_str) == Some("OPEN") {
                w.adjustments.push(LotAdjustment {
                    basis_change_minor: -a.basis_change_minor,
                    ..a.clone()
                });
                summary.roc_basis_reduction_minor += a.basis_change_minor;
            }
        }
        if let Some(r) = rocs.get(&line.investor_id) {
            w.roc.push(RocApplication {
                roc_minor: -r.roc_minor,
                basis_reduction_minor: -r.basis_reduction_minor,
                gain_minor: -r.gain_minor,
                ..r.clone()
            });
            summary.roc_gain_minor -= r.gain_minor;
        }
    }
    reapply_later_roc(tx, actor, original, &closed, &mut w, &mut summary).await?;
    w.holdings = holdings_for(tx, actor, d, d.schedule.payable, &deltas).await?;
    Ok((w, summary))
}

/// Basis a closed lot lost, per (investor, later distribution): (fund, amount).
type Lost = BTreeMap<(String, String), (String, i64)>;

/// What later distributions' return of capital took off the lots a reversal closes (every
/// distribution's but the original's), per investor and distribution, net of reversals.
async fn lost_by_closing(
    tx: &mut Tx,
    actor: &Actor,
    original: &str,
    closed: &[String],
) -> Result<Lost, PlanError> {
    let mut lost = Lost::new();
    for a in store::adjustments_of_tx(tx, actor, None, closed).await? {
        if a.roc_distribution_id != original {
            lost.entry((a.investor_id, a.roc_distribution_id))
                .or_insert((a.fund_id, 0))
                .1 -= a.basis_change_minor;
        }
    }
    lost.retain(|_, (_, amount)| *amount != 0);
    if let Some(((investor, later), (_, amount))) = lost.iter().find(|(_, (_, a))| *a < 0) {
        return Err(StoreError::Corrupt(format!(
            "distribution {later} raised the basis of a lot of investor {investor} by {amount} net"
        ))
        .into());
    }
    Ok(lost)
}

/// The open lots of `investors` (other than those this reversal closes) in `funds`, acquired
/// on or before `by`, per (investor, fund), on the basis this reversal leaves them.
async fn remaining_lots(
    tx: &mut Tx,
    actor: &Actor,
    w: &Writes,
    lost: &Lost,
    by: NaiveDate,
) -> Result<HashMap<(String, String), Vec<Lot>>, PlanError> {
    let closing: HashSet<&str> = w.closed_lots.iter().map(String::as_str).collect();
    let investors: HashSet<&str> = lost.keys().map(|(i, _)| i.as_str()).collect();
    let funds: BTreeSet<&str> = lost.values().map(|(f, _)| f.as_str()).collect();
    let mut restored: HashMap<&str, i64> = HashMap::new();
    for a in &w.adjustments {
        *restored.entry(a.lot_id.as_str()).or_default() += a.basis_change_minor;
    }
    let mut held: HashMap<(String, String), Vec<Lot>> = HashMap::new();
    for fund in funds {
        for (investor, mut lot) in taxlots::open_lots_tx(tx, actor, fund, by).await? {
            if investors.contains(investor.as_str()) && !closing.contains(lot.id.as_str()) {
                lot.basis_minor += restored.get(lot.id.as_str()).copied().unwrap_or(0);
                held.entry((investor, fund.to_string()))
                    .or_default()
                    .push(lot);
            }
        }
    }
    Ok(held)
}

/// Later distributions' return of capital on the lots this reversal closes, applied again to
/// each investor's remaining open lots held on their record dates, in record-date order, by
/// the first application's rules ([`reapply_return_of_capital`]); beyond basis it is gain.
/// The rows are this reversal's, accounted to those distributions, so that per investor and
/// distribution, reductions in effect + gain = ROC received, and reversing one of them later
/// undoes them too.
#[tracing::instrument(level = "debug", skip_all, fields(lots = closed.len()))]
async fn reapply_later_roc(
    tx: &mut Tx,
    actor: &Actor,
    original: &str,
    closed: &[String],
    w: &mut Writes,
    summary: &mut Summary,
) -> Result<(), PlanError> {
    let lost = lost_by_closing(tx, actor, original, closed).await?;
    if lost.is_empty() {
        return Ok(());
    }
    let mut records: HashMap<String, NaiveDate> = HashMap::new();
    for (_, later) in lost.keys() {
        if !records.contains_key(later) {
            let d = dstore::get_tx(tx, actor, later).await?;
            records.insert(later.clone(), d.schedule.record);
        }
    }
    let by = records.values().copied().max().unwrap_or(NaiveDate::MIN);
    let held = remaining_lots(tx, actor, w, &lost, by).await?;
    let mut per: BTreeMap<(&str, &str), Vec<(&str, Reapply)>> = BTreeMap::new();
    for ((investor, later), (fund, amount)) in &lost {
        per.entry((investor, fund)).or_default().push((
            later,
            Reapply {
                record: records[later],
                roc_minor: *amount,
            },
        ));
    }
    for ((investor, fund), mut items) in per {
        items.sort_by(|a, b| (a.1.record, a.0).cmp(&(b.1.record, b.0)));
        let lots = held
            .get(&(investor.to_string(), fund.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let amounts: Vec<Reapply> = items.iter().map(|(_, r)| r.clone()).collect();
        let outcomes = reapply_return_of_capital(lots, &amounts).map_err(|e| {
            PlanError::Refused(format!(
                "return of capital applied again for investor {investor}: {e}"
            ))
        })?;
        for ((later, r), o) in items.iter().zip(outcomes) {
            for (lot, reduction) in lots.iter().zip(&o.reductions) {
                if *reduction > 0 {
                    w.adjustments.push(LotAdjustment {
                        lot_id: lot.id.clone(),
                        fund_id: fund.to_string(),
                        investor_id: investor.to_string(),
                        basis_change_minor: -reduction,
                        roc_distribution_id: later.to_string(),
                    });
                }
            }
            // What changed for that distribution: as much less basis reduction, more gain.
            w.roc.push(RocApplication {
                investor_id: investor.to_string(),
                fund_id: fund.to_string(),
                roc_minor: 0,
                basis_reduction_minor: -o.gain_minor,
                gain_minor: o.gain_minor,
                roc_distribution_id: later.to_string(),
            });
            let t = summary.reapplied.entry(later.to_string()).or_default();
            t.investors += 1;
            t.amount_minor += r.roc_minor;
            t.gain_minor += o.gain_minor;
        }
    }
    Ok(())
}

/// A later distribution's return of capital applied again by a reversal, in total.
#[derive(Debug, Default)]
struct Reapplied {
    investors: usize,
    amount_minor: i64,
    gain_minor: i64,
}

/// Totals of one step, for its audit entry and event.
#[derive(Debug, Default)]
struct Summary {
    reinvested_lines: usize,
    cash_lines: usize,
    reinvested_minor: i64,
    roc_basis_reduction_minor: i64,
    roc_gain_minor: i64,
    navs: Vec<serde_json::Value>,
    /// Reversals: later distributions' ROC applied again, by distribution.
    reapplied: BTreeMap<String, Reapplied>,
}

/// What the step would write for `d` (nothing is written): used by the benchmark's baseline.
pub async fn plan(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<Writes, JobError> {
    Ok(match d.kind {
        Kind::Reversal => plan_reversal(tx, actor, d).await?.0,
        _ => plan_regular(tx, actor, d).await?.0,
    })
}

/// Runs the step (see the module docs) inside the processing transaction. Its phases (plan,
/// persist, verify) are debug spans, timed when span closes are logged.
#[tracing::instrument(level = "debug", skip_all, fields(distribution_id = %d.id))]
pub async fn run(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), JobError> {
    if !store::any_pending_line(tx, actor, &d.id).await? {
        // Already settled (a second run in the same transaction): nothing to do, nothing to
        // record twice. The reinvestment key (distribution, investor) guards the rows too.
        return verify(tx, actor, d).await;
    }
    let (writes, summary) = match d.kind {
        Kind::Reversal => plan_reversal(tx, actor, d).await?,
        _ => plan_regular(tx, actor, d).await?,
    };
    let ctx = store::Context {
        distribution_id: &d.id,
    };
    store::persist(tx, actor, &ctx, &writes).await?;
    verify(tx, actor, d).await?;
    tracing::debug!(
        reinvested = summary.reinvested_lines,
        cash = summary.cash_lines,
        "reinvestment step"
    );
    let body = json!({
        "distributionId": d.id,
        "reinvestedLines": summary.reinvested_lines,
        "cashLines": summary.cash_lines,
        "reinvestedAmount": d.currency.format_minor(summary.reinvested_minor),
        "rocBasisReduction": d.currency.format_minor(summary.roc_basis_reduction_minor),
        "rocGain": d.currency.format_minor(summary.roc_gain_minor),
        "navs": summary.navs,
        "tradeDate": d.schedule.payable,
        "rocReapplied": summary.reapplied.iter().map(|(later, t)| json!({
            "distributionId": later,
            "investors": t.investors,
            "amount": d.currency.format_minor(t.amount_minor),
            "basisReduction": d.currency.format_minor(t.amount_minor - t.gain_minor),
            "gain": d.currency.format_minor(t.gain_minor),
        })).collect::<Vec<_>>(),
    });
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "distribution.reinvest",
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
        "distribution.reinvested",
        "distribution",
        &d.id,
        body,
    )
    .await?;
    Ok(())
}

/// After the step every line is settled and ties out: total = reinvested + cash + withholding,
/// and the lines' reinvested amounts add up to the distribution's reinvestment transactions.
#[tracing::instrument(level = "debug", skip_all)]
async fn verify(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), JobError> {
    let t = store::tie_out(tx, actor, &d.id).await?;
    if t.unbalanced_lines != 0 || t.lines_reinvested_minor != t.transactions_cost_minor {
        return Err(JobError::Permanent(format!(
            "reinvestment does not tie out: {} unsettled or unbalanced lines; lines reinvested {}, transactions {}",
            t.unbalanced_lines, t.lines_reinvested_minor, t.transactions_cost_minor
        )));
    }
    Ok(())
}
