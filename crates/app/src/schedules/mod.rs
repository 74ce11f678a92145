//! Recurring schedules: create, edit, pause/resume (audited, with an event), and
//! materialization of their due periods into DRAFT distributions through the normal creation
//! path ([`crate::distributions::create`]: same validation, audit and outbox).
//!
//! Idempotency: each (schedule, period) is claimed by inserting its `schedule_occurrences`
//! row in the same transaction as the draft; a second or concurrent run conflicts on that key
//! and creates nothing. Due periods follow [`clearway_core::schedules::due`] (no back-fill).

use chrono::NaiveDate;
use clearway_core::schedules::{due, Occurrence};
use clearway_store::audit::{self, Change};
use clearway_store::schedules::{self as store, Schedule, ScheduleSpec, ACTIVE, PAUSED};
use clearway_store::{outbox, Actor, Db, Tx};
use serde_json::{json, Value};

use crate::distributions::command::DistributionInput;
use crate::distributions::lifecycle::fund_named;
use crate::{AppError, AppResult};

/// The audited view of a schedule.
pub fn snapshot(s: &Schedule) -> Value {
    let r = &s.spec.rules;
    let (rule, day) = store::record_rule_parts(r.record);
    json!({
        "fundId": s.fund_id, "status": s.status, "frequency": r.frequency.as_str(),
        "calendar": r.calendar.as_str(), "roll": r.roll.as_str(), "recordRule": rule,
        "recordDay": day, "declarationBusinessDays": r.declaration_days,
        "exRule": store::ex_rule_text(r.ex), "payableBusinessDays": r.payable_days,
        "startDate": r.start, "endDate": r.end, "leadDays": s.spec.lead_days,
        "allocation": s.spec.allocation, "description": s.spec.description,
        "administratorScheduleId": s.spec.admin_ref,
    })
}

async fn trail(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    event: &str,
    before: Option<&Schedule>,
    after: &Schedule,
) -> AppResult<()> {
    let after_json = snapshot(after);
    audit::record(
        tx,
        actor,
        Change {
            action,
            entity_type: "schedule",
            entity_id: &after.id,
            before: before.map(snapshot),
            after: Some(after_json.clone()),
        },
    )
    .await?;
    outbox::emit(tx, actor, event, "schedule", &after.id, after_json).await?;
    Ok(())
}

/// Creates an ACTIVE schedule for the fund `fund_ref` (id or code) inside `tx`.
pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    fund_ref: &str,
    spec: &ScheduleSpec,
) -> AppResult<Schedule> {
    spec.rules.check()?;
    let fund = fund_named(tx, actor, fund_ref).await?;
    admin_ref_free(tx, actor, spec, None).await?;
    let s = store::insert(tx, actor, &fund.id, spec).await?;
    trail(tx, actor, "schedule.create", "schedule.created", None, &s).await?;
    Ok(s)
}

/// The administrator's id `spec` links to is not another schedule's (a 422 naming the field;
/// the unique index still refuses a concurrent twin, as a conflict).
async fn admin_ref_free(
    tx: &mut Tx,
    actor: &Actor,
    spec: &ScheduleSpec,
    this: Option<&str>,
) -> AppResult<()> {
    let Some(r) = spec.admin_ref.as_deref() else {
        return Ok(());
    };
    match store::by_admin_refs(tx, actor, &[r]).await?.remove(r) {
        Some(other) if Some(other.id.as_str()) != this => Err(AppError::field(
            "administratorScheduleId",
            format!(
                "schedule {} already mirrors administrator schedule '{r}'",
                other.id
            ),
        )),
        _ => Ok(()),
    }
}

/// Replaces a schedule's settings; drafts already created are left as they are.
pub async fn update(db: &Db, actor: &Actor, id: &str, spec: &ScheduleSpec) -> AppResult<Schedule> {
    let mut tx = db.begin().await?;
    let s = update_tx(&mut tx, actor, id, spec).await?;
    tx.commit().await?;
    Ok(s)
}

/// [`update`] inside `tx`.
pub async fn update_tx(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    spec: &ScheduleSpec,
) -> AppResult<Schedule> {
    spec.rules.check()?;
    let before = store::get_tx(tx, actor, id).await?;
    admin_ref_free(tx, actor, spec, Some(id)).await?;
    let s = store::update(tx, actor, id, spec).await?;
    trail(
        tx,
        actor,
        "schedule.update",
        "schedule.updated",
        Some(&before),
        &s,
    )
    .await?;
    Ok(s)
}

/// Pauses (`true`) or resumes a schedule; a no-op change is still answered with the schedule.
pub async fn set_paused(db: &Db, actor: &Actor, id: &str, paused: bool) -> AppResult<Schedule> {
    let mut tx = db.begin().await?;
    let before = store::get_tx(&mut tx, actor, id).await?;
    let status = if paused { PAUSED } else { ACTIVE };
    if before.status == status {
        return Ok(before);
    }
    let s = store::set_status(&mut tx, actor, id, status).await?;
    let (action, event) = if paused {
        ("schedule.pause", "schedule.paused")
    } else {
        ("schedule.resume", "schedule.resumed")
    };
    trail(&mut tx, actor, action, event, Some(&before), &s).await?;
    tx.commit().await?;
    Ok(s)
}

/// What one materialization run did.
#[derive(Debug, Clone, Default)]
pub struct Materialized {
    /// Drafts created: (schedule id, period, distribution id).
    pub created: Vec<(String, String, String)>,
    /// Due periods that already had their draft.
    pub existing: usize,
    /// Schedules whose drafts could not be created (e.g. a fund without holdings on the
    /// record date), with the error; their transaction was rolled back and the next run
    /// tries again.
    pub failed: Vec<(String, String)>,
}

/// Creates the DRAFT distributions of every ACTIVE schedule of the actor's organization due
/// on `today`. `draft` builds the normal creation request of one occurrence. One transaction
/// per schedule, so one bad schedule does not hold back the others.
pub async fn materialize<R, F>(
    db: &Db,
    actor: &Actor,
    today: NaiveDate,
    draft: F,
) -> AppResult<Materialized>
where
    R: DistributionInput,
    F: Fn(&Schedule, &Occurrence) -> R,
{
    let schedules = {
        let mut tx = db.begin().await?;
        let list = store::active(&mut tx, actor).await?;
        tx.commit().await?;
        list
    };
    let mut out = Materialized::default();
    for s in &schedules {
        let periods = due(&s.spec.rules, today, s.spec.lead_days);
        if periods.is_empty() {
            continue;
        }
        match materialize_one(db, actor, s, &periods, &draft).await {
            Ok((created, existing)) => {
                out.existing += existing;
                out.created.extend(created);
            }
            Err(e) => out.failed.push((s.id.clone(), e.to_string())),
        }
    }
    Ok(out)
}

type Created = Vec<(String, String, String)>;

async fn materialize_one<R, F>(
    db: &Db,
    actor: &Actor,
    s: &Schedule,
    periods: &[Occurrence],
    draft: &F,
) -> AppResult<(Created, usize)>
where
    R: DistributionInput,
    F: Fn(&Schedule, &Occurrence) -> R,
{
    let mut tx = db.begin().await?;
    let have = store::existing_periods(&mut tx, actor, &s.id).await?;
    let (mut created, mut existing) = (Vec::new(), 0);
    for o in periods {
        // The claim, not the read above, is what makes a concurrent run skip the period.
        if have.contains(&o.period) || !store::claim(&mut tx, actor, &s.id, o).await? {
            existing += 1;
            continue;
        }
        let d = crate::distributions::create(&mut tx, actor, &draft(s, o)).await?;
        store::link(&mut tx, actor, &s.id, &o.period, &d.id).await?;
        created.push((s.id.clone(), o.period.clone(), d.id));
    }
    tx.commit().await?;
    Ok((created, existing))
}
