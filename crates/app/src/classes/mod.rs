//! Share classes of open-end funds: adding a class, and declaring distributions per class —
//! one class (`shareClass`), or every class named in a rates block (`classRates`) at once,
//! one distribution per class in one transaction, linked by a group id.
//!
//! A rate for a class nobody holds on the record date is refused (422 naming the class):
//! such a distribution would have no lines, and a rate silently dropped would hide a typo.

use clearway_core::access::Permission;
use clearway_core::classes::{self as rules, partnership_error, unknown_class};
use clearway_core::distribution::{FundKind, Kind, Status};
use clearway_core::{FieldError, Invalid};
use clearway_store::classes::{self as store, ClassSummary, ShareClass};
use clearway_store::distributions::NewDistribution;
use clearway_store::distributions::{self as distributions, staleness, Distribution};
use clearway_store::funds::{self, Fund};
use clearway_store::{new_id, Actor, Tx};
use rust_decimal::Decimal;

use crate::distributions::lifecycle::{fund_named, plan};
use crate::distributions::{trail, DistributionCommand, DistributionInput};
use crate::AppResult;

/// Adds a class to an open-end fund (operators and admins); audited, event `fund.class_created`.
pub async fn create_class(
    tx: &mut Tx,
    actor: &Actor,
    fund_ref: &str,
    code: &str,
    name: &str,
) -> AppResult<ShareClass> {
    actor.require(Permission::Operate)?;
    let fund = funds::get_fund_tx(tx, actor, fund_ref).await?;
    let existing = store::list(tx, actor, &fund).await?;
    let codes: Vec<&str> = existing.iter().map(|c| c.code.as_str()).collect();
    let new = rules::check_new(fund.kind, code, name, &codes)?;
    Ok(store::create(tx, actor, &fund, &new).await?)
}

/// The fund and its classes with their latest NAV and holders on `date`.
pub async fn overview(
    tx: &mut Tx,
    actor: &Actor,
    fund_ref: &str,
    date: chrono::NaiveDate,
) -> AppResult<(Fund, Vec<ClassSummary>)> {
    let fund = funds::get_fund_tx(tx, actor, fund_ref).await?;
    let classes = store::summaries(tx, actor, &fund, date).await?;
    Ok((fund, classes))
}

/// A declaration request that can be restated at a per-share rate (for `classRates`).
pub trait ClassRequest: DistributionInput + Sized {
    /// This request paying `rate` per unit held, everything else (dates, components) kept.
    fn at_rate(&self, rate: Decimal) -> Self;
}

/// Which classes a declaration is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassTarget {
    /// One class, with the request's own allocation (field `shareClass`).
    One(String),
    /// Each class of the block at its rate per share (field `classRates`), as (class, rate).
    Rates(Vec<(String, String)>),
}

/// Declares DRAFT distributions of `req`'s fund for `target`'s classes, all or nothing: every
/// bad class, rate or field is reported at once and nothing is written. `Rates` links the
/// distributions by a new group id; they come back in the block's order.
pub async fn create_distributions<R: ClassRequest>(
    tx: &mut Tx,
    actor: &Actor,
    req: &R,
    target: &ClassTarget,
) -> AppResult<(Option<String>, Vec<Distribution>)> {
    actor.require(Permission::Operate)?;
    let fund = fund_named(tx, actor, req.fund_ref()).await?;
    let classes = store::list(tx, actor, &fund).await?;
    let codes: Vec<&str> = classes.iter().map(|c| c.code.as_str()).collect();
    let (requests, group) = match target {
        ClassTarget::One(class) => {
            check_one(fund.kind, class, &codes)?;
            (
                vec![("shareClass".to_string(), class.to_string(), None)],
                None,
            )
        }
        ClassTarget::Rates(rates) => {
            let parsed = rules::parse_rates("classRates", fund.kind, rates, &codes)?;
            let items = parsed
                .into_iter()
                .map(|(c, rate)| (format!("classRates.{c}"), c, Some(req.at_rate(rate))))
                .collect();
            (items, Some(new_id()))
        }
    };
    let mut errors = Vec::new();
    let mut planned = Vec::new();
    for (field, class, restated) in &requests {
        let r = restated.as_ref().unwrap_or(req);
        match prepare(tx, actor, &fund, field, class, r).await? {
            Ok(p) => planned.push((class, p)),
            Err(mut e) => errors.append(&mut e.0),
        }
    }
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    let mut out = Vec::new();
    for (class, (cmd, lines)) in planned {
        out.push(insert(tx, actor, &fund, class, group.as_deref(), cmd, lines).await?);
    }
    Ok((group, out))
}

fn check_one(kind: FundKind, class: &str, codes: &[&str]) -> Result<(), Invalid> {
    if kind == FundKind::Partnership {
        return Err(partnership_error("shareClass").into());
    }
    if !rules::is_known(class, codes) {
        return Err(unknown_class("shareClass", class).into());
    }
    Ok(())
}

type Prepared = (
    DistributionCommand,
    crate::distributions::lifecycle::Planned,
);

/// One class's command and lines, or the field errors that refuse it (the class's holders
/// on the record date are checked first: none is `field`'s error).
async fn prepare<R: DistributionInput>(
    tx: &mut Tx,
    actor: &Actor,
    fund: &Fund,
    field: &str,
    class: &str,
    req: &R,
) -> AppResult<Result<Prepared, Invalid>> {
    let cmd = match req.command(fund.currency) {
        Ok(cmd) => cmd,
        Err(e) => return Ok(Err(e)),
    };
    let held = funds::class_holdings_as_of(tx, actor, &fund.id, class, cmd.schedule.record).await?;
    if !held.iter().any(|h| h.units > Decimal::ZERO) {
        return Ok(Err(FieldError::new(
            field,
            format!(
                "nobody holds class {class} on the record date {}; a class with no holdings gets no distribution",
                cmd.schedule.record
            ),
        )
        .into()));
    }
    let planned = plan(tx, actor, fund, class, &cmd.schedule, &cmd.allocation).await?;
    Ok(Ok((cmd, planned)))
}

async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    fund: &Fund,
    class: &str,
    group: Option<&str>,
    cmd: DistributionCommand,
    planned: crate::distributions::lifecycle::Planned,
) -> AppResult<Distribution> {
    let new = NewDistribution {
        fund_id: fund.id.clone(),
        kind: Kind::Regular,
        status: Status::Draft,
        currency: fund.currency,
        schedule: cmd.schedule,
        description: cmd.description,
        allocation: cmd.allocation_record,
        reverses_id: None,
        corrects_id: None,
        reason: None,
    };
    let d = distributions::insert_in_class(tx, actor, &new, &planned.lines, class, group).await?;
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

/// Records holdings of one class of a fund as of a date (`DEFAULT` when `class` is None), and
/// flags the open distributions of that class they make stale. A class the fund does not
/// have, a class on a partnership, or an investor not of the organization is the `shareClass`
/// or `holdings` field's error; nothing is written then.
pub async fn record_holdings(
    tx: &mut Tx,
    actor: &Actor,
    fund_ref: &str,
    class: Option<&str>,
    as_of: chrono::NaiveDate,
    holdings: &[(String, Decimal)],
) -> AppResult<Fund> {
    actor.require(Permission::Operate)?;
    let fund = funds::get_fund_tx(tx, actor, fund_ref).await?;
    let class = match class {
        None => clearway_core::reinvestment::nav::DEFAULT_SHARE_CLASS,
        Some(c) => {
            let classes = store::list(tx, actor, &fund).await?;
            let codes: Vec<&str> = classes.iter().map(|c| c.code.as_str()).collect();
            if c != clearway_core::reinvestment::nav::DEFAULT_SHARE_CLASS {
                check_one(fund.kind, c, &codes)?;
            }
            c
        }
    };
    funds::record_class_holdings(tx, actor, &fund.id, class, as_of, holdings)
        .await
        .map_err(|e| match e {
            clearway_store::StoreError::NotFound("investor") => crate::AppError::field(
                "holdings",
                "names an investor that is not one of this organization's",
            ),
            other => other.into(),
        })?;
    Ok(fund)
}
