//! Applying records: every row is checked and compared with what Clearway holds first (a plan,
//! read-only), then — when no row was refused and this is not a dry run — the owned changes are
//! written through each domain's own store and the unowned ones open conflicts.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use clearway_core::reinvestment::nav::DEFAULT_SHARE_CLASS;
use clearway_core::reinvestment::{Election, Percentage};
use clearway_core::sync::{
    canonical, classify, Change, Domain, HoldingRecord, NavRecord, Outcome, Ownership,
    PreferenceRecord, Records, RowError, Side, Source,
};
use clearway_store::funds::{self, Fund};
use clearway_store::reinvestment::nav::NavPoint;
use clearway_store::reinvestment::{self as reinvestment};
use clearway_store::sync::{self as store, NewConflict};
use clearway_store::{bank_accounts, classes, Actor, StoreError, Tx};
use rust_decimal::Decimal;

use crate::AppResult;

/// What applying records did (or, in a dry run, would do).
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Every difference found, in row order (callers cap what they keep).
    pub changes: Vec<Change>,
    /// Refused rows; when any, nothing was written.
    pub errors: Vec<RowError>,
    pub rows_applied: i64,
    pub rows_unchanged: i64,
    /// Conflicts opened or refreshed (in a dry run: that would be).
    pub conflicts_opened: i64,
}

/// A fund, share class and date (the holdings held then, per investor).
type ClassAt = (String, String, NaiveDate);
/// An investor's units to write, and whether the row replaces one of the same date.
type HoldingWrite = (String, Decimal, bool);

/// A planned change with the row it came from.
pub(super) struct Planned {
    pub(super) row: usize,
    pub(super) change: Change,
}

/// Checks and compares `records` from `side`, then (unless `dry_run` or a row is refused)
/// writes the owned changes and opens the conflicts, naming `file_id` on them.
pub async fn apply_records(
    tx: &mut Tx,
    actor: &Actor,
    source: Source,
    side: Side,
    records: &Records,
    dry_run: bool,
    file_id: Option<&str>,
) -> AppResult<Applied> {
    store::staff(actor, clearway_core::access::Permission::Operate)?;
    let ownership = store::ownership_tx(tx, actor).await?;
    let mut errors = Vec::new();
    let planned = match records {
        Records::Navs(r) => plan_navs(tx, actor, &ownership, side, r, &mut errors).await?,
        Records::Holdings(r) => plan_holdings(tx, actor, &ownership, side, r, &mut errors).await?,
        Records::Preferences(r) => plan_prefs(tx, actor, &ownership, side, r, &mut errors).await?,
        Records::Schedules(r) => {
            super::schedules::plan(tx, actor, &ownership, side, r, &mut errors).await?
        }
    };
    let mut out = summarize(&planned);
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        errors.truncate(clearway_core::sync::MAX_ERRORS);
        out.errors = errors;
        out.rows_applied = 0;
        return Ok(out);
    }
    if !dry_run {
        write(tx, actor, source, &planned, file_id).await?;
        if let Some(opened) = open(tx, actor, source, &planned, file_id).await? {
            out.conflicts_opened = opened;
        }
    }
    Ok(out)
}

fn summarize(planned: &[Planned]) -> Applied {
    let mut by_row: HashMap<usize, (bool, bool)> = HashMap::new();
    let mut out = Applied::default();
    for p in planned {
        let e = by_row.entry(p.row).or_insert((false, true));
        e.0 |= p.change.outcome == Outcome::Apply;
        e.1 &= p.change.outcome == Outcome::Unchanged;
        if p.change.outcome == Outcome::Conflict {
            out.conflicts_opened += 1;
        }
    }
    out.rows_applied = by_row.values().filter(|(a, _)| *a).count() as i64;
    out.rows_unchanged = by_row.values().filter(|(_, u)| *u).count() as i64;
    out.changes = planned.iter().map(|p| p.change.clone()).collect();
    out
}

/// The funds named by the records, by the id as written; unknown ones (or another
/// organization's) are row errors.
pub(super) async fn funds_of<'a>(
    tx: &mut Tx,
    actor: &Actor,
    rows: impl Iterator<Item = (usize, &'a str)>,
    errors: &mut Vec<RowError>,
) -> AppResult<HashMap<String, (Fund, Vec<String>)>> {
    let mut out: HashMap<String, (Fund, Vec<String>)> = HashMap::new();
    let mut unknown = HashSet::new();
    for (row, id) in rows {
        if out.contains_key(id) {
            continue;
        }
        if !unknown.contains(id) {
            match funds::get_fund_tx(tx, actor, id).await {
                Ok(f) => {
                    let codes = classes::list(tx, actor, &f).await?;
                    let codes = codes.into_iter().map(|c| c.code).collect();
                    out.insert(id.to_string(), (f, codes));
                    continue;
                }
                Err(StoreError::NotFound(_)) => {
                    unknown.insert(id.to_string());
                }
                Err(e) => return Err(e.into()),
            }
        }
        errors.push(RowError::new(
            row,
            "fund_id",
            format!("unknown fund '{id}'"),
        ));
    }
    Ok(out)
}

/// The funds and the known investors the rows (row, fund id, investor id) name; unknown
/// funds are row errors (see [`funds_of`]).
async fn funds_and_investors<'a>(
    tx: &mut Tx,
    actor: &Actor,
    rows: impl Iterator<Item = (usize, &'a str, &'a str)> + Clone,
    errors: &mut Vec<RowError>,
) -> AppResult<(HashMap<String, (Fund, Vec<String>)>, HashSet<String>)> {
    let funds = funds_of(tx, actor, rows.clone().map(|(row, f, _)| (row, f)), errors).await?;
    let ids: HashSet<&str> = rows.map(|(_, _, i)| i).collect();
    let known = store::known_investors(tx, actor, &ids).await?;
    Ok((funds, known))
}

/// Whether the row's investor exists; an unknown one is a row error.
fn known_investor(
    known: &HashSet<String>,
    row: usize,
    investor_id: &str,
    errors: &mut Vec<RowError>,
) -> bool {
    let ok = known.contains(investor_id);
    if !ok {
        errors.push(RowError::new(
            row,
            "investor_id",
            format!("unknown investor '{investor_id}'"),
        ));
    }
    ok
}

fn class_ok(codes: &[String], class: &str) -> bool {
    class == DEFAULT_SHARE_CLASS || codes.iter().any(|c| c == class)
}

pub(super) fn plan_one(
    ownership: &Ownership,
    side: Side,
    domain: Domain,
    row: usize,
    key: (String, String, &str),
    ours: Option<String>,
    theirs: String,
) -> Planned {
    let outcome = classify(ownership.owner(domain), side, ours.as_deref(), &theirs);
    Planned {
        row,
        change: Change {
            domain,
            entity_id: key.0,
            label: key.1,
            field: key.2.into(),
            before: ours,
            after: theirs,
            outcome,
        },
    }
}

async fn plan_navs(
    tx: &mut Tx,
    actor: &Actor,
    ownership: &Ownership,
    side: Side,
    records: &[NavRecord],
    errors: &mut Vec<RowError>,
) -> AppResult<Vec<Planned>> {
    let funds = funds_of(
        tx,
        actor,
        records.iter().map(|r| (r.row, r.fund_id.as_str())),
        errors,
    )
    .await?;
    let mut existing = HashMap::new();
    for (id, (fund, _)) in &funds {
        let dates = records
            .iter()
            .filter(|r| &r.fund_id == id)
            .map(|r| r.nav_date);
        let (Some(first), Some(last)) = (dates.clone().min(), dates.max()) else {
            continue;
        };
        existing.insert(
            id.clone(),
            store::navs_between(tx, actor, &fund.id, first, last).await?,
        );
    }
    let mut out = Vec::new();
    for r in records {
        let Some((fund, codes)) = funds.get(&r.fund_id) else {
            continue;
        };
        if r.currency != fund.currency.to_string() {
            errors.push(RowError::new(
                r.row,
                "currency",
                format!(
                    "fund {} is in {}, not {}",
                    fund.code, fund.currency, r.currency
                ),
            ));
            continue;
        }
        if !class_ok(codes, &r.share_class) {
            errors.push(RowError::new(
                r.row,
                "share_class",
                format!("fund {} has no class '{}'", fund.code, r.share_class),
            ));
            continue;
        }
        let ours = existing[&r.fund_id]
            .get(&(r.share_class.clone(), r.nav_date))
            .map(|d| canonical(*d));
        let key = (
            format!("{}/{}/{}", fund.id, r.share_class, r.nav_date),
            format!("{} {} {}", fund.code, r.share_class, r.nav_date),
            "nav_per_share",
        );
        out.push(plan_one(
            ownership,
            side,
            Domain::Nav,
            r.row,
            key,
            ours,
            canonical(r.nav_per_share),
        ));
    }
    Ok(out)
}

async fn plan_holdings(
    tx: &mut Tx,
    actor: &Actor,
    ownership: &Ownership,
    side: Side,
    records: &[HoldingRecord],
    errors: &mut Vec<RowError>,
) -> AppResult<Vec<Planned>> {
    let (funds, known) = funds_and_investors(
        tx,
        actor,
        records
            .iter()
            .map(|r| (r.row, r.fund_id.as_str(), r.investor_id.as_str())),
        errors,
    )
    .await?;
    let mut held: HashMap<ClassAt, HashMap<String, (NaiveDate, Decimal)>> = HashMap::new();
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        let Some((fund, codes)) = funds.get(&r.fund_id) else {
            continue;
        };
        if !class_ok(codes, &r.share_class) {
            errors.push(RowError::new(
                r.row,
                "share_class",
                format!("fund {} has no class '{}'", fund.code, r.share_class),
            ));
            continue;
        }
        if !known_investor(&known, r.row, &r.investor_id, errors) {
            continue;
        }
        let group = (fund.id.clone(), r.share_class.clone(), r.as_of);
        if !held.contains_key(&group) {
            let units = store::units_as_of(tx, actor, &fund.id, &r.share_class, r.as_of).await?;
            held.insert(group.clone(), units);
        }
        let ours = held[&group].get(&r.investor_id).map(|(_, u)| canonical(*u));
        let key = (
            format!(
                "{}/{}/{}/{}",
                fund.id, r.share_class, r.investor_id, r.as_of
            ),
            format!(
                "{} {} {} {}",
                fund.code, r.share_class, r.investor_id, r.as_of
            ),
            "units",
        );
        out.push(plan_one(
            ownership,
            side,
            Domain::Holdings,
            r.row,
            key,
            ours,
            canonical(r.units),
        ));
    }
    Ok(out)
}

/// The percentage an election reinvests, as compared.
fn percent_of(e: &Election) -> String {
    canonical(e.percentage().value())
}

async fn plan_prefs(
    tx: &mut Tx,
    actor: &Actor,
    ownership: &Ownership,
    side: Side,
    records: &[PreferenceRecord],
    errors: &mut Vec<RowError>,
) -> AppResult<Vec<Planned>> {
    let (funds, known) = funds_and_investors(
        tx,
        actor,
        records
            .iter()
            .map(|r| (r.row, r.fund_id.as_str(), r.investor_id.as_str())),
        errors,
    )
    .await?;
    let default = percent_of(&reinvestment::settings_tx(tx, actor).await?.default_election);
    let today = chrono::Utc::now().date_naive();
    let mut elections = HashMap::new();
    let mut accounts: HashMap<String, (usize, String)> = HashMap::new();
    let mut out = Vec::new();
    for r in records {
        let Some((fund, _)) = funds.get(&r.fund_id) else {
            continue;
        };
        if !known_investor(&known, r.row, &r.investor_id, errors) {
            continue;
        }
        if let Some(p) = r.reinvest_percent {
            if !elections.contains_key(&fund.id) {
                let e = reinvestment::elections_at_tx(tx, actor, &fund.id, today).await?;
                elections.insert(fund.id.clone(), e);
            }
            let ours = elections[&fund.id]
                .get(&r.investor_id)
                .map_or(default.clone(), percent_of);
            let key = (
                format!("{}/{}", r.investor_id, fund.id),
                format!("{} {}", r.investor_id, fund.code),
                "reinvest_percent",
            );
            out.push(plan_one(
                ownership,
                side,
                Domain::Elections,
                r.row,
                key,
                Some(ours),
                canonical(p),
            ));
        }
        if let (Some(rail), Some(account)) = (&r.payment_rail, &r.bank_account_id) {
            if let Some(p) = plan_account(
                tx,
                actor,
                ownership,
                side,
                r,
                rail,
                account,
                &mut accounts,
                errors,
            )
            .await?
            {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// The investor's default payee (BANK_DETAILS is per investor, whatever the fund of the row).
#[allow(clippy::too_many_arguments)]
async fn plan_account(
    tx: &mut Tx,
    actor: &Actor,
    ownership: &Ownership,
    side: Side,
    r: &PreferenceRecord,
    rail: &str,
    account: &str,
    seen: &mut HashMap<String, (usize, String)>,
    errors: &mut Vec<RowError>,
) -> AppResult<Option<Planned>> {
    if let Some((row, other)) = seen.get(&r.investor_id) {
        if other != account {
            errors.push(RowError::new(r.row, "bank_account_id", format!("row {row} names another account for investor {}; an investor has one default payee", r.investor_id)));
        }
        return Ok(None);
    }
    seen.insert(r.investor_id.clone(), (r.row, account.to_string()));
    let payee = match bank_accounts::get_tx(tx, actor, &r.investor_id, account).await {
        Ok(p) => p,
        Err(StoreError::NotFound(_)) => {
            errors.push(RowError::new(
                r.row,
                "bank_account_id",
                format!(
                    "unknown bank account '{account}' of investor {}",
                    r.investor_id
                ),
            ));
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    if payee.method.as_str() != rail {
        errors.push(RowError::new(
            r.row,
            "payment_rail",
            format!(
                "account {account} is paid by {}, not {rail}",
                payee.method.as_str()
            ),
        ));
        return Ok(None);
    }
    if payee.status == "DISABLED" {
        errors.push(RowError::new(
            r.row,
            "bank_account_id",
            format!("account {account} is disabled"),
        ));
        return Ok(None);
    }
    let ours = bank_accounts::default_of(tx, actor, &r.investor_id)
        .await?
        .map(|b| b.id);
    let key = (
        r.investor_id.clone(),
        r.investor_id.clone(),
        "bank_account_id",
    );
    Ok(Some(plan_one(
        ownership,
        side,
        Domain::BankDetails,
        r.row,
        key,
        ours,
        account.to_string(),
    )))
}

/// Writes the APPLY changes, grouped so that NAVs and holdings go in bulk.
async fn write(
    tx: &mut Tx,
    actor: &Actor,
    source: Source,
    planned: &[Planned],
    file_id: Option<&str>,
) -> AppResult<()> {
    let applies = planned
        .iter()
        .filter(|p| p.change.outcome == Outcome::Apply)
        .map(|p| &p.change);
    let origin = format!("sync:{}", file_id.unwrap_or(source.as_str()));
    write_changes(tx, actor, applies, &origin).await
}

/// Writes values (APPLY changes, or a resolved conflict's value) through each domain's store.
pub(crate) async fn write_changes<'a>(
    tx: &mut Tx,
    actor: &Actor,
    changes: impl Iterator<Item = &'a Change>,
    origin: &str,
) -> AppResult<()> {
    let mut navs: HashMap<&str, Vec<NavPoint>> = HashMap::new();
    let mut holdings: HashMap<(&str, &str, NaiveDate), Vec<HoldingWrite>> = HashMap::new();
    let mut schedules = Vec::new();
    for c in changes {
        if c.domain == Domain::Schedules {
            schedules.push(c);
            continue;
        }
        let bad = || StoreError::Corrupt(format!("sync entity id '{}'", c.entity_id));
        let parts: Vec<&str> = c.entity_id.split('/').collect();
        let value = || c.after.parse::<Decimal>().map_err(|_| bad());
        match (c.domain, parts.as_slice()) {
            (Domain::Nav, [fund, class, date]) => navs.entry(fund).or_default().push(NavPoint {
                share_class: class.to_string(),
                date: date.parse().map_err(|_| bad())?,
                nav: value()?,
            }),
            (Domain::Holdings, [fund, class, investor, date]) => {
                let key = (*fund, *class, date.parse().map_err(|_| bad())?);
                holdings.entry(key).or_default().push((
                    investor.to_string(),
                    value()?,
                    c.before.is_some(),
                ));
            }
            (Domain::Elections, [investor, fund]) => {
                write_election(tx, actor, investor, fund, value()?).await?
            }
            (Domain::BankDetails, [investor]) => {
                bank_accounts::make_default(tx, actor, investor, &c.after).await?;
            }
            _ => return Err(bad().into()),
        }
    }
    for (fund_id, points) in navs {
        let fund = funds::get_fund_tx(tx, actor, fund_id).await?;
        reinvestment::nav::import(tx, actor, &fund, &points, origin, true).await?;
    }
    for ((fund_id, class, as_of), rows) in holdings {
        write_holdings(tx, actor, fund_id, class, as_of, &rows).await?;
    }
    super::schedules::write(tx, actor, schedules.into_iter()).await
}

/// Holdings of one fund, class and date; rows that may exist at exactly that date (a value
/// was held) are removed first, since the date is part of the holdings key.
async fn write_holdings(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    class: &str,
    as_of: NaiveDate,
    rows: &[(String, Decimal, bool)],
) -> AppResult<()> {
    let held: Vec<&str> = rows.iter().filter(|r| r.2).map(|r| r.0.as_str()).collect();
    store::clear_holdings_at(tx, actor, fund_id, class, as_of, &held).await?;
    let values: Vec<(String, Decimal)> = rows.iter().map(|(i, u, _)| (i.clone(), *u)).collect();
    funds::record_class_holdings(tx, actor, fund_id, class, as_of, &values).await?;
    Ok(())
}

async fn write_election(
    tx: &mut Tx,
    actor: &Actor,
    investor: &str,
    fund_id: &str,
    percent: Decimal,
) -> AppResult<()> {
    let election = if percent.is_zero() {
        Election::Cash
    } else if percent == Decimal::ONE_HUNDRED {
        Election::Automatic
    } else {
        Election::Partial(
            Percentage::new(percent).map_err(|e| crate::AppError::field("reinvest_percent", e))?,
        )
    };
    let fund = funds::get_fund_tx(tx, actor, fund_id).await?;
    let today = chrono::Utc::now().date_naive();
    reinvestment::put_election(tx, actor, investor, &fund, &election, today, today).await?;
    Ok(())
}

async fn open(
    tx: &mut Tx,
    actor: &Actor,
    source: Source,
    planned: &[Planned],
    file_id: Option<&str>,
) -> AppResult<Option<i64>> {
    let conflicts: Vec<NewConflict<'_>> = planned
        .iter()
        .filter(|p| p.change.outcome == Outcome::Conflict)
        .map(|p| NewConflict {
            domain: p.change.domain,
            entity_id: &p.change.entity_id,
            label: &p.change.label,
            field: &p.change.field,
            ours: p.change.before.as_deref(),
            theirs: &p.change.after,
            source: source.as_str(),
            file_id,
        })
        .collect();
    if conflicts.is_empty() {
        return Ok(None);
    }
    store::open_conflicts(tx, actor, &conflicts).await?;
    Ok(Some(conflicts.len() as i64))
}
