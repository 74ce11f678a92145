//! SCHEDULES rows: an administrator's distribution schedule (frequency, next record date,
//! amount per unit) against the Clearway schedule that mirrors it (linked by the
//! administrator's schedule id, `schedules.admin_ref`).
//!
//! - A linked schedule is compared field by field (`frequency`, `next_record_date` — ours is
//!   the schedule's next record date from today — and `amount_per_unit`, ours the per-share
//!   rate). Applying rewrites the schedule's record rule and start date from the next record
//!   date ([`rules_for_next`]) and its allocation to that rate per share, through
//!   [`crate::schedules::update_tx`] (audit, `schedule.updated`).
//! - An administrator id no schedule mirrors is one change of the field `schedule`, valued as
//!   the whole terms ([`ScheduleTerms`]): applying creates the schedule (the API's defaults for
//!   everything else) linked to that id, so a conflict about it is resolved in one step.
//! - Rows Clearway cannot keep are refused with the reason: a next record date in the past,
//!   out of the frequency's period-end months, on a closed day, or after the schedule's end; a
//!   currency other than the fund's; an id linked to another fund's schedule.

use std::collections::HashMap;

use chrono::NaiveDate;
use clearway_core::schedules::{rules_for_next, upcoming, DateRules, Frequency, LEAD_DEFAULT_DAYS};
use clearway_core::sync::{
    canonical, parse_positive, Change, Domain, Ownership, RowError, ScheduleRecord, ScheduleTerms,
    Side,
};
use clearway_store::schedules::{self as store, Schedule, ScheduleSpec};
use clearway_store::{Actor, StoreError, Tx};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::apply::{funds_of, plan_one, Planned};
use crate::{AppError, AppResult};

/// The fields of a linked schedule, in the order they are written.
const FIELDS: [&str; 3] = ["frequency", "next_record_date", "amount_per_unit"];
/// The field of a schedule Clearway does not have yet (its whole terms).
const NEW: &str = "schedule";

/// Checks and compares SCHEDULES rows (see the module rules).
pub(super) async fn plan(
    tx: &mut Tx,
    actor: &Actor,
    ownership: &Ownership,
    side: Side,
    records: &[ScheduleRecord],
    errors: &mut Vec<RowError>,
) -> AppResult<Vec<Planned>> {
    let funds = funds_of(
        tx,
        actor,
        records.iter().map(|r| (r.row, r.fund_id.as_str())),
        errors,
    )
    .await?;
    let refs: Vec<&str> = records.iter().map(|r| r.schedule_id.as_str()).collect();
    let linked = store::by_admin_refs(tx, actor, &refs).await?;
    let today = chrono::Utc::now().date_naive();
    let mut out = Vec::new();
    for r in records {
        let Some((fund, _)) = funds.get(&r.fund_id) else {
            continue;
        };
        let refuse = |errors: &mut Vec<RowError>, field: &str, reason: String| {
            errors.push(RowError::new(r.row, field, reason));
        };
        if r.currency != fund.currency.to_string() {
            let why = format!(
                "fund {} is in {}, not {}",
                fund.code, fund.currency, r.currency
            );
            refuse(errors, "currency", why);
            continue;
        }
        let frequency: Frequency = match r.frequency.parse() {
            Ok(f) => f,
            Err(e) => {
                refuse(errors, "frequency", e);
                continue;
            }
        };
        if r.next_record_date < today {
            let why = format!(
                "{} is in the past: the next record date must be today or later",
                r.next_record_date
            );
            refuse(errors, "next_record_date", why);
            continue;
        }
        let current = linked.get(&r.schedule_id);
        if current.is_some_and(|s| s.fund_id != fund.id) {
            let why = format!(
                "administrator schedule '{}' is linked to a schedule of another fund",
                r.schedule_id
            );
            refuse(errors, "schedule_id", why);
            continue;
        }
        let base = current.map_or(DateRules::defaults(frequency, today), |s| s.spec.rules);
        if let Err(why) = rules_for_next(&base, frequency, r.next_record_date) {
            refuse(errors, "next_record_date", why);
            continue;
        }
        let change = |field: &str, ours: Option<String>, theirs: String| {
            let key = (
                format!("{}/{}", fund.id, r.schedule_id),
                format!("{} schedule {}", fund.code, r.schedule_id),
                field,
            );
            plan_one(ownership, side, Domain::Schedules, r.row, key, ours, theirs)
        };
        let Some(s) = current else {
            let terms = ScheduleTerms {
                frequency,
                next_record_date: r.next_record_date,
                amount_per_unit: r.amount_per_unit,
            };
            out.push(change(NEW, None, terms.text()));
            continue;
        };
        let ours = [
            Some(s.spec.rules.frequency.as_str().to_string()),
            next_record_date(&s.spec.rules, today).map(|d| d.to_string()),
            Some(amount_of(&s.spec.allocation)),
        ];
        let theirs = [
            frequency.as_str().to_string(),
            r.next_record_date.to_string(),
            canonical(r.amount_per_unit),
        ];
        for ((field, ours), theirs) in FIELDS.into_iter().zip(ours).zip(theirs) {
            out.push(change(field, ours, theirs));
        }
    }
    Ok(out)
}

/// The schedule's next record date on or after `today`, if it has one.
fn next_record_date(rules: &DateRules, today: NaiveDate) -> Option<NaiveDate> {
    upcoming(rules, today, 1).first().map(|o| o.record_date)
}

/// A schedule's amount per unit as compared: the per-share rate, or what it allocates instead.
fn amount_of(allocation: &Value) -> String {
    let text = |k: &str| allocation.get(k).and_then(Value::as_str);
    match (text("method"), text("rate"), text("total")) {
        (Some("per_share"), Some(rate), _) => rate
            .parse::<Decimal>()
            .map(canonical)
            .unwrap_or_else(|_| rate.to_string()),
        (_, _, Some(total)) => format!("pro rata total {total}"),
        _ => allocation.to_string(),
    }
}

/// Writes the schedule changes (owned changes of a file, or a resolved conflict), one update
/// (or creation) per schedule.
pub(super) async fn write<'a>(
    tx: &mut Tx,
    actor: &Actor,
    changes: impl Iterator<Item = &'a Change>,
) -> AppResult<()> {
    let mut by_entity: HashMap<&str, HashMap<&str, &str>> = HashMap::new();
    for c in changes {
        let fields = by_entity.entry(c.entity_id.as_str()).or_default();
        fields.insert(c.field.as_str(), c.after.as_str());
    }
    let mut entities: Vec<_> = by_entity.into_iter().collect();
    entities.sort_by_key(|(e, _)| *e);
    for (entity, fields) in entities {
        let bad = || StoreError::Corrupt(format!("sync entity id '{entity}'"));
        let (fund_id, admin_ref) = entity.split_once('/').ok_or_else(bad)?;
        match fields.get(NEW) {
            Some(terms) => create(tx, actor, fund_id, admin_ref, terms).await?,
            None => update(tx, actor, fund_id, admin_ref, &fields).await?,
        }
    }
    Ok(())
}

/// A value that does not fit the schedule is the value's fault (a 422 on `value`).
fn refused(e: String) -> AppError {
    AppError::field("value", e)
}

async fn create(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    admin_ref: &str,
    terms: &str,
) -> AppResult<()> {
    let t = ScheduleTerms::parse(terms).map_err(refused)?;
    let defaults = DateRules::defaults(t.frequency, t.next_record_date);
    let rules = rules_for_next(&defaults, t.frequency, t.next_record_date).map_err(refused)?;
    let spec = ScheduleSpec {
        rules,
        lead_days: LEAD_DEFAULT_DAYS,
        allocation: per_share(&Value::Null, t.amount_per_unit),
        description: format!("Administrator schedule {admin_ref}"),
        admin_ref: Some(admin_ref.to_string()),
    };
    crate::schedules::create(tx, actor, fund_id, &spec).await?;
    Ok(())
}

async fn update(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    admin_ref: &str,
    fields: &HashMap<&str, &str>,
) -> AppResult<()> {
    let s: Schedule = store::by_admin_refs(tx, actor, &[admin_ref])
        .await?
        .remove(admin_ref)
        .filter(|s| s.fund_id == fund_id)
        .ok_or(StoreError::NotFound("schedule"))?;
    let mut spec = s.spec.clone();
    let today = chrono::Utc::now().date_naive();
    let frequency = match fields.get("frequency") {
        Some(f) => f.parse::<Frequency>().map_err(refused)?,
        None => spec.rules.frequency,
    };
    let next = match fields.get("next_record_date") {
        Some(d) => Some(clearway_core::sync::parse_date(d).map_err(refused)?),
        // A new frequency keeps the next record date the schedule has.
        None if frequency != spec.rules.frequency => next_record_date(&spec.rules, today),
        None => None,
    };
    if let Some(next) = next {
        spec.rules = rules_for_next(&spec.rules, frequency, next).map_err(refused)?;
    } else if frequency != spec.rules.frequency {
        return Err(refused(format!(
            "schedule {} has no next record date to keep",
            s.id
        )));
    }
    if let Some(amount) = fields.get("amount_per_unit") {
        let amount = parse_positive(amount).map_err(refused)?;
        spec.allocation = per_share(&spec.allocation, amount);
    }
    crate::schedules::update_tx(tx, actor, &s.id, &spec).await?;
    Ok(())
}

/// A per-share allocation at `rate`, keeping the components `old` splits it into.
fn per_share(old: &Value, rate: Decimal) -> Value {
    let mut a = json!({"method": "per_share", "rate": canonical(rate)});
    if let Some(c) = old.get("components").filter(|c| !c.is_null()) {
        a["components"] = c.clone();
    }
    a
}

/// An edited value of a SCHEDULES conflict, parsed for its field.
pub(super) fn edited(field: &str, v: &str) -> Result<String, String> {
    match field {
        "frequency" => v.parse::<Frequency>().map(|f| f.as_str().to_string()),
        "next_record_date" => clearway_core::sync::parse_date(v).map(|d| d.to_string()),
        NEW => ScheduleTerms::parse(v).map(|t| t.text()),
        _ => parse_positive(v).map(canonical),
    }
}
