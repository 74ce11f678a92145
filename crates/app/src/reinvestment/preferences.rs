//! Reinvestment preferences: an investor's election for a fund, and the organization's
//! settings (default election, NAV staleness), each written in its own transaction with its
//! audit entry and event.

use chrono::NaiveDate;
use clearway_core::access::{Permission, Role};
use clearway_core::reinvestment::Election;
use clearway_core::Invalid;
use clearway_store::funds;
use clearway_store::reinvestment::{self as store, ElectionRecord, Settings};
use clearway_store::{Actor, Db};

use crate::AppResult;

/// An election to put in force for an investor and a fund.
#[derive(Debug, Clone)]
pub struct ElectionChange {
    /// Investor.
    pub investor_id: String,
    /// Fund id or code.
    pub fund_id: String,
    /// The election and its effective date, as the caller parsed them. A refusal here is
    /// reported only after the role, investor and fund checks, so that a stranger learns
    /// nothing from validation errors.
    pub parsed: Result<(Election, NaiveDate), Invalid>,
    /// Today (an investor may not back-date an election).
    pub today: NaiveDate,
}

/// Puts an election in force (or schedules it); returns the stored record and whether
/// anything changed (an identical election is not written again, and emits no event).
pub async fn put_election(
    db: &Db,
    actor: &Actor,
    change: &ElectionChange,
) -> AppResult<(ElectionRecord, bool)> {
    let mut tx = db.begin().await?;
    // Role and investor first, so a stranger learns nothing from validation errors.
    if actor.role != Role::Investor {
        actor.require(Permission::Operate)?;
    }
    store::check_investor_tx(&mut tx, actor, &change.investor_id).await?;
    let fund = funds::get_fund_tx(&mut tx, actor, &change.fund_id).await?;
    let (election, effective) = change.parsed.clone()?;
    let (record, changed) = store::put_election(
        &mut tx,
        actor,
        &change.investor_id,
        &fund,
        &election,
        effective,
        change.today,
    )
    .await?;
    tx.commit().await?;
    Ok((record, changed))
}

/// Sets the organization's default election and NAV staleness (in business days).
pub async fn put_settings(
    db: &Db,
    actor: &Actor,
    default_election: &Election,
    nav_staleness_days: u32,
) -> AppResult<Settings> {
    let mut tx = db.begin().await?;
    let settings =
        store::put_settings(&mut tx, actor, default_election, nav_staleness_days).await?;
    tx.commit().await?;
    Ok(settings)
}
