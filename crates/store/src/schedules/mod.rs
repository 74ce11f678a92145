//! Recurring schedules and their occurrences (the drafts they created), per organization.

use std::collections::HashMap;

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::calendar::{Calendar, Roll};
use clearway_core::schedules::{DateRules, ExRule, Frequency, Occurrence, RecordRule};
use serde_json::Value;

use crate::{new_id, now_text, q, Actor, Db, Row, StoreError, Tx};

/// Whether a schedule creates drafts.
pub const ACTIVE: &str = "ACTIVE";
/// A paused schedule creates nothing.
pub const PAUSED: &str = "PAUSED";

/// A schedule's settings, as created or replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSpec {
    /// Date rules (frequency, calendar, offsets, start/end).
    pub rules: DateRules,
    /// Days ahead of the declaration date a draft is created.
    pub lead_days: u32,
    /// The distribution API's `allocation` object (method, rate or total, components).
    pub allocation: Value,
    /// Description given to each draft.
    pub description: String,
    /// The fund administrator's id of this schedule, when it mirrors one (sync); unique per
    /// organization.
    pub admin_ref: Option<String>,
}

/// A stored schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Id.
    pub id: String,
    /// Fund.
    pub fund_id: String,
    /// ACTIVE or PAUSED.
    pub status: String,
    /// Settings.
    pub spec: ScheduleSpec,
    /// Created at.
    pub created_at: String,
    /// Last changed at.
    pub updated_at: String,
    /// Optimistic version.
    pub version: i64,
}

/// An occurrence: a period of a schedule and the draft created for it.
#[derive(Debug, Clone, PartialEq)]
pub struct OccurrenceRecord {
    /// Period key, e.g. "2026-06".
    pub period: String,
    /// The draft (None only inside the creating transaction).
    pub distribution_id: Option<String>,
    /// The distribution's status now (None if it no longer exists).
    pub distribution_status: Option<String>,
    /// Dates the draft was created with.
    pub declaration_date: String,
    /// Record date.
    pub record_date: String,
    /// Payable date.
    pub payable_date: String,
    /// When it was created.
    pub created_at: String,
}

const COLUMNS: &str = "id, fund_id, status, frequency, calendar, roll, record_rule, record_day, declaration_days, ex_rule, payable_days, start_date, end_date, lead_days, allocation, description, created_at, updated_at, version, admin_ref";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn u32_of(r: &Row, col: &str) -> Result<u32, StoreError> {
    u32::try_from(r.i64(col)?).map_err(corrupt)
}

fn from_row(r: &Row) -> Result<Schedule, StoreError> {
    let record = match r.text("record_rule")?.as_str() {
        "LAST_BUSINESS_DAY" => RecordRule::LastBusinessDay,
        _ => RecordRule::DayOfMonth(
            u32::try_from(r.opt_i64("record_day")?.unwrap_or(1)).map_err(corrupt)?,
        ),
    };
    let rules = DateRules {
        frequency: r.parse::<Frequency>("frequency")?,
        calendar: r.parse::<Calendar>("calendar")?,
        roll: r.parse::<Roll>("roll")?,
        record,
        declaration_days: u32_of(r, "declaration_days")?,
        ex: if r.text("ex_rule")? == "NONE" {
            ExRule::None
        } else {
            ExRule::RecordDate
        },
        payable_days: u32_of(r, "payable_days")?,
        start: r.parse::<NaiveDate>("start_date")?,
        end: r
            .opt_text("end_date")?
            .map(|t| t.parse())
            .transpose()
            .map_err(corrupt)?,
    };
    Ok(Schedule {
        id: r.text("id")?,
        fund_id: r.text("fund_id")?,
        status: r.text("status")?,
        spec: ScheduleSpec {
            rules,
            lead_days: u32_of(r, "lead_days")?,
            allocation: serde_json::from_str(&r.text("allocation")?).map_err(corrupt)?,
            description: r.text("description")?,
            admin_ref: r.opt_text("admin_ref")?,
        },
        created_at: r.text("created_at")?,
        updated_at: r.text("updated_at")?,
        version: r.i64("version")?,
    })
}

/// The stored spelling of a record rule and its day.
pub fn record_rule_parts(rule: RecordRule) -> (&'static str, Option<i64>) {
    match rule {
        RecordRule::LastBusinessDay => ("LAST_BUSINESS_DAY", None),
        RecordRule::DayOfMonth(n) => ("DAY_OF_MONTH", Some(i64::from(n))),
    }
}

/// The stored spelling of an ex rule.
pub fn ex_rule_text(rule: ExRule) -> &'static str {
    match rule {
        ExRule::RecordDate => "RECORD_DATE",
        ExRule::None => "NONE",
    }
}

/// Inserts a schedule (ACTIVE) for `fund_id` (already checked to be the org's).
pub async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    spec: &ScheduleSpec,
) -> Result<Schedule, StoreError> {
    actor.require(Permission::Operate)?;
    let id = new_id();
    let now = now_text();
    let r = &spec.rules;
    let (rule, day) = record_rule_parts(r.record);
    tx.execute(
        q("INSERT INTO schedules (id, org_id, fund_id, status, frequency, calendar, roll, record_rule, record_day, declaration_days, ex_rule, payable_days, start_date, end_date, lead_days, allocation, description, created_at, updated_at, version, admin_ref)
           VALUES ($1, $2, $3, 'ACTIVE', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, 1, $18)")
            .bind(&id)
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(r.frequency.as_str())
            .bind(r.calendar.as_str())
            .bind(r.roll.as_str())
            .bind(rule)
            .bind(day)
            .bind(i64::from(r.declaration_days))
            .bind(ex_rule_text(r.ex))
            .bind(i64::from(r.payable_days))
            .bind(r.start.to_string())
            .bind(r.end.map(|d| d.to_string()))
            .bind(i64::from(spec.lead_days))
            .bind(spec.allocation.to_string())
            .bind(&spec.description)
            .bind(&now)
            .bind(spec.admin_ref.as_deref()),
    )
    .await
    .map_err(|e| taken(e, spec))?;
    get_tx(tx, actor, &id).await
}

/// Replaces a schedule's settings (not its fund or status).
pub async fn update(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    spec: &ScheduleSpec,
) -> Result<Schedule, StoreError> {
    actor.require(Permission::Operate)?;
    let r = &spec.rules;
    let (rule, day) = record_rule_parts(r.record);
    let n = tx
        .execute(
            q("UPDATE schedules SET frequency = $3, calendar = $4, roll = $5, record_rule = $6, record_day = $7, declaration_days = $8, ex_rule = $9,
                 payable_days = $10, start_date = $11, end_date = $12, lead_days = $13, allocation = $14, description = $15, updated_at = $16, version = version + 1,
                 admin_ref = $17
               WHERE org_id = $1 AND id = $2")
                .bind(&actor.org_id)
                .bind(id)
                .bind(r.frequency.as_str())
                .bind(r.calendar.as_str())
                .bind(r.roll.as_str())
                .bind(rule)
                .bind(day)
                .bind(i64::from(r.declaration_days))
                .bind(ex_rule_text(r.ex))
                .bind(i64::from(r.payable_days))
                .bind(r.start.to_string())
                .bind(r.end.map(|d| d.to_string()))
                .bind(i64::from(spec.lead_days))
                .bind(spec.allocation.to_string())
                .bind(&spec.description)
                .bind(now_text())
                .bind(spec.admin_ref.as_deref()),
        )
        .await
        .map_err(|e| taken(e, spec))?;
    if n == 0 {
        return Err(StoreError::NotFound("schedule"));
    }
    get_tx(tx, actor, id).await
}

/// An administrator id another schedule of the organization already mirrors is a conflict.
fn taken(e: StoreError, spec: &ScheduleSpec) -> StoreError {
    match &spec.admin_ref {
        Some(r) if e.is_unique_violation() => StoreError::Conflict(format!(
            "another schedule already mirrors administrator schedule '{r}'"
        )),
        _ => e,
    }
}

/// Sets ACTIVE or PAUSED.
pub async fn set_status(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    status: &str,
) -> Result<Schedule, StoreError> {
    actor.require(Permission::Operate)?;
    let n = tx
        .execute(
            q("UPDATE schedules SET status = $3, updated_at = $4, version = version + 1 WHERE org_id = $1 AND id = $2")
                .bind(&actor.org_id)
                .bind(id)
                .bind(status)
                .bind(now_text()),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound("schedule"));
    }
    get_tx(tx, actor, id).await
}

/// One schedule of the organization, inside a transaction.
pub async fn get_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Schedule, StoreError> {
    actor.require(Permission::Read)?;
    let row = tx
        .fetch_optional(
            q(format!(
                "SELECT {COLUMNS} FROM schedules WHERE org_id = $1 AND id = $2"
            ))
            .bind(&actor.org_id)
            .bind(id),
        )
        .await?
        .ok_or(StoreError::NotFound("schedule"))?;
    from_row(&row)
}

/// One schedule of the organization.
pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<Schedule, StoreError> {
    let mut tx = db.begin().await?;
    let s = get_tx(&mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(s)
}

/// A page of the organization's schedules by id, after `cursor`, optionally of one fund.
pub async fn list(
    db: &Db,
    actor: &Actor,
    fund_id: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Vec<Schedule>, StoreError> {
    actor.require(Permission::Read)?;
    let rows = db
        .fetch_all(
            q(format!(
                "SELECT {COLUMNS} FROM schedules WHERE org_id = $1 AND id > $2 AND ($3 = '' OR fund_id = $3) ORDER BY id LIMIT {}",
                limit.clamp(1, 1000)
            ))
            .bind(&actor.org_id)
            .bind(cursor.unwrap_or(""))
            .bind(fund_id.unwrap_or("")),
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// The organization's ACTIVE schedules (for materialization).
pub async fn active(tx: &mut Tx, actor: &Actor) -> Result<Vec<Schedule>, StoreError> {
    actor.require(Permission::Read)?;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM schedules WHERE org_id = $1 AND status = 'ACTIVE' ORDER BY id"))
                .bind(&actor.org_id),
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// The organization's schedules that mirror the administrator's `refs`, by administrator id.
pub async fn by_admin_refs(
    tx: &mut Tx,
    actor: &Actor,
    refs: &[&str],
) -> Result<HashMap<String, Schedule>, StoreError> {
    actor.require(Permission::Read)?;
    let mut out = HashMap::new();
    for chunk in refs.chunks(4_000) {
        let mut query = q(format!(
            "SELECT {COLUMNS} FROM schedules WHERE org_id = $1 AND admin_ref IN ({})",
            crate::db::placeholders(2, chunk.len())
        ))
        .bind(&actor.org_id);
        for r in chunk {
            query.push(*r);
        }
        for row in tx.fetch_all(query).await? {
            let s = from_row(&row)?;
            if let Some(r) = s.spec.admin_ref.clone() {
                out.insert(r, s);
            }
        }
    }
    Ok(out)
}

/// Organizations with at least one ACTIVE schedule (system use: the worker tick).
pub async fn orgs_with_active(db: &Db) -> Result<Vec<String>, StoreError> {
    let rows = db
        .fetch_all(q(
            "SELECT DISTINCT org_id FROM schedules WHERE status = 'ACTIVE' ORDER BY org_id",
        ))
        .await?;
    rows.iter().map(|r| r.text("org_id")).collect()
}

/// Periods of `schedule_id` that already have an occurrence, among `periods`.
pub async fn existing_periods(
    tx: &mut Tx,
    actor: &Actor,
    schedule_id: &str,
) -> Result<Vec<String>, StoreError> {
    let rows = tx
        .fetch_all(
            q("SELECT period FROM schedule_occurrences WHERE org_id = $1 AND schedule_id = $2")
                .bind(&actor.org_id)
                .bind(schedule_id),
        )
        .await?;
    rows.iter().map(|r| r.text("period")).collect()
}

/// Claims the period for this transaction: true when this call inserted the occurrence,
/// false when it existed (a concurrent or earlier run has it; on PostgreSQL the insert waits
/// for a concurrent claimer to commit, then conflicts).
pub async fn claim(
    tx: &mut Tx,
    actor: &Actor,
    schedule_id: &str,
    o: &Occurrence,
) -> Result<bool, StoreError> {
    actor.require(Permission::Operate)?;
    let n = tx
        .execute(
            q("INSERT INTO schedule_occurrences (schedule_id, period, org_id, distribution_id, declaration_date, record_date, payable_date, created_at)
               VALUES ($1, $2, $3, NULL, $4, $5, $6, $7) ON CONFLICT (schedule_id, period) DO NOTHING")
                .bind(schedule_id)
                .bind(&o.period)
                .bind(&actor.org_id)
                .bind(o.declaration_date.to_string())
                .bind(o.record_date.to_string())
                .bind(o.payable_date.to_string())
                .bind(now_text()),
        )
        .await?;
    Ok(n == 1)
}

/// Points a claimed occurrence at the draft created for it.
pub async fn link(
    tx: &mut Tx,
    actor: &Actor,
    schedule_id: &str,
    period: &str,
    distribution_id: &str,
) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE schedule_occurrences SET distribution_id = $4 WHERE org_id = $1 AND schedule_id = $2 AND period = $3")
            .bind(&actor.org_id)
            .bind(schedule_id)
            .bind(period)
            .bind(distribution_id),
    )
    .await?;
    Ok(())
}

/// The schedule's occurrences, newest period first, with their distribution's status.
pub async fn occurrences(
    db: &Db,
    actor: &Actor,
    schedule_id: &str,
) -> Result<Vec<OccurrenceRecord>, StoreError> {
    actor.require(Permission::Read)?;
    let rows = db
        .fetch_all(
            q("SELECT o.period, o.distribution_id, d.status, o.declaration_date, o.record_date, o.payable_date, o.created_at
               FROM schedule_occurrences o LEFT JOIN distributions d ON d.id = o.distribution_id AND d.org_id = o.org_id
               WHERE o.org_id = $1 AND o.schedule_id = $2 ORDER BY o.period DESC LIMIT 500")
                .bind(&actor.org_id)
                .bind(schedule_id),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(OccurrenceRecord {
                period: r.text("period")?,
                distribution_id: r.opt_text("distribution_id")?,
                distribution_status: r.opt_text("status")?,
                declaration_date: r.text("declaration_date")?,
                record_date: r.text("record_date")?,
                payable_date: r.text("payable_date")?,
                created_at: r.text("created_at")?,
            })
        })
        .collect()
}
