//! Recording outcomes: the reads and bulk writes of settling a set of payment outcomes. The
//! planning (which status each payment goes to, which line status follows, the counts) is
//! [`clearway_core::payments::settlement::plan`]; the orchestration is
//! `clearway_app::payments::settle_many`, which composes these functions.

use std::collections::HashSet;

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::payments::settlement::{self as plan, PlanError, SettlementPlan};
use serde_json::{json, Value};

use crate::audit::{self, Change};
use crate::db::Arg;
use crate::{new_id, now_text, outbox, q, Actor, StoreError, Tx};

use super::*;

pub use clearway_core::payments::settlement::{SettledCounts, Settling};

/// The core's plan of `items`, its refusals as the store's errors (as `transition` gives them).
pub fn plan_settlements(
    payments: &mut [Settling],
    items: &[(String, Settlement)],
) -> Result<SettlementPlan, StoreError> {
    plan::plan(payments, items).map_err(|e| match e {
        PlanError::NotFound(_) => StoreError::NotFound("payment"),
        refused @ PlanError::Refused { .. } => StoreError::Conflict(refused.to_string()),
    })
}

/// Scratch table of settling many outcomes at once (migration `0006_bulk_settlement`).
const STAGE: &str = "payment_settlement_stage";

const STAGE_COLUMNS: [&str; 11] = [
    "stage_id",
    "payment_id",
    "version",
    "new_version",
    "status",
    "cleared_date",
    "failure_code",
    "failure_reason",
    "distribution_id",
    "investor_id",
    "line_status",
];

/// Columns of [`Settling`].
const SETTLING_COLUMNS: &str = "id, distribution_id, investor_id, status, attempt, cleared_date, failure_code, failure_reason, version";

/// The payments of `ids` as settling reads them: the staff view of the actor's organization
/// (as `get_tx` without an investor), whoever asks; unknown ids are absent. Only the columns
/// settling reads (decoding whole rows cost seconds per 100,000 on SQLite); the ids are
/// staged with one bulk load and read with one query.
pub async fn settling(
    tx: &mut Tx,
    actor: &Actor,
    ids: &[&str],
) -> Result<Vec<Settling>, StoreError> {
    actor.require(Permission::Operate)?;
    let stage = new_id();
    let mut seen = HashSet::with_capacity(ids.len());
    let keys: Vec<Vec<Arg>> = ids
        .iter()
        .filter(|id| seen.insert(**id))
        .map(|id| vec![(&stage).into(), (*id).into()])
        .collect();
    tx.bulk_insert(STAGE, &STAGE_COLUMNS[..2], &keys).await?;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {SETTLING_COLUMNS} FROM payments WHERE org_id = $1 AND id IN (SELECT payment_id FROM {STAGE} WHERE stage_id = $2)"))
                .bind(&actor.org_id)
                .bind(&stage),
        )
        .await?;
    let payments = rows
        .iter()
        .map(|r| {
            Ok(Settling {
                id: r.text("id")?,
                distribution_id: r.text("distribution_id")?,
                investor_id: r.text("investor_id")?,
                status: r.parse("status")?,
                attempt: r.i64("attempt")?,
                cleared_date: opt_date(r.opt_text("cleared_date")?)?,
                failure_code: r.opt_text("failure_code")?,
                failure_reason: r.opt_text("failure_reason")?,
                version: r.i64("version")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    // Leave no scratch rows behind, whatever the caller does next.
    unstage(tx, &[&stage]).await?;
    Ok(payments)
}

fn opt_date(text: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    text.map(|t| {
        NaiveDate::parse_from_str(&t, "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(format!("date '{t}': {e}")))
    })
    .transpose()
}

async fn unstage(tx: &mut Tx, stages: &[&str]) -> Result<(), StoreError> {
    for stage in stages {
        tx.execute(q(format!("DELETE FROM {STAGE} WHERE stage_id = $1")).bind(*stage))
            .await?;
    }
    Ok(())
}

/// Writes a plan's new payment rows (conditional on the versions read: a payment changed
/// meanwhile refuses the whole write) and line statuses: the new values staged with one bulk
/// load, applied by one `UPDATE … FROM` for payments and one for lines.
pub async fn write_settlements(
    tx: &mut Tx,
    actor: &Actor,
    payments: &[Settling],
    plan: &SettlementPlan,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let org = actor.org_id.as_str();
    let stage = new_id();
    let values: Vec<Vec<Arg>> = plan
        .touched
        .iter()
        .map(|t| {
            let p = &payments[t.payment];
            vec![
                (&stage).into(),
                (&p.id).into(),
                t.read_version.into(),
                p.version.into(),
                p.status.as_str().into(),
                p.cleared_date.map(|d| d.to_string()).into(),
                p.failure_code.clone().into(),
                p.failure_reason.clone().into(),
                (&p.distribution_id).into(),
                (&p.investor_id).into(),
                t.owns_line.then(|| p.status.line_status().as_str()).into(),
            ]
        })
        .collect();
    tx.bulk_insert(STAGE, &STAGE_COLUMNS, &values).await?;
    let n = tx
        .execute(
            q(format!(
                "UPDATE payments SET status = s.status, cleared_date = s.cleared_date, failure_code = s.failure_code, failure_reason = s.failure_reason,
                     updated_at = $1, version = s.new_version
                 FROM {STAGE} s WHERE s.stage_id = $2 AND payments.id = s.payment_id AND payments.org_id = $3 AND payments.version = s.version"
            ))
            .bind(now_text())
            .bind(&stage)
            .bind(org),
        )
        .await?;
    if n as usize != plan.touched.len() {
        let id = stale_payment(tx, &stage, payments, plan).await?;
        unstage(tx, &[&stage]).await?;
        return Err(StoreError::Conflict(format!(
            "payment {id} changed meanwhile; retry"
        )));
    }
    tx.execute(
        q(format!(
            "UPDATE distribution_lines SET status = s.line_status FROM {STAGE} s
             WHERE s.stage_id = $1 AND s.line_status IS NOT NULL AND distribution_lines.distribution_id = s.distribution_id
               AND distribution_lines.investor_id = s.investor_id AND distribution_lines.org_id = $2"
        ))
        .bind(&stage)
        .bind(org),
    )
    .await?;
    unstage(tx, &[&stage]).await
}

/// The first payment of the plan changed by someone else since it was read (as
/// `transition`'s version check).
async fn stale_payment(
    tx: &mut Tx,
    stage: &str,
    payments: &[Settling],
    plan: &SettlementPlan,
) -> Result<String, StoreError> {
    let stale: HashSet<String> = tx
        .fetch_all(
            q(format!(
                "SELECT s.payment_id FROM {STAGE} s JOIN payments p ON p.id = s.payment_id
                       WHERE s.stage_id = $1 AND p.version <> s.new_version"
            ))
            .bind(stage),
        )
        .await?
        .iter()
        .map(|r| r.text("payment_id"))
        .collect::<Result<_, _>>()?;
    // Empty only if the row vanished, which the version check also refuses.
    Ok(plan
        .touched
        .iter()
        .map(|t| &payments[t.payment].id)
        .find(|id| stale.contains(*id))
        .cloned()
        .unwrap_or_default())
}

/// Logs a plan's changes: per step a `payment_events` row, an audit entry and an outbox
/// event, each set bulk-loaded.
pub async fn log_settlements(
    tx: &mut Tx,
    actor: &Actor,
    payments: &[Settling],
    plan: &SettlementPlan,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let org = actor.org_id.as_str();
    let now = now_text();
    let events: Vec<Vec<Arg>> = plan
        .steps
        .iter()
        .map(|step| {
            let p = &payments[step.payment];
            vec![
                new_id().into(),
                org.into(),
                (&p.id).into(),
                p.attempt.into(),
                step.from.as_str().into(),
                step.effect.to.as_str().into(),
                step.effect.code.clone().into(),
                step.effect.reason.clone().into(),
                (&now).into(),
            ]
        })
        .collect();
    tx.bulk_insert("payment_events", &EVENT_COLUMNS, &events)
        .await?;
    let results: Vec<Value> = plan
        .steps
        .iter()
        .map(|step| {
            let e = &step.effect;
            json!({ "status": e.to.as_str(), "clearedDate": e.cleared_date.map(|d| d.to_string()), "failureCode": e.code, "failureReason": e.reason })
        })
        .collect();
    let changes: Vec<Change<'_>> = plan
        .steps
        .iter()
        .zip(&results)
        .map(|(step, after)| Change {
            action: step.effect.event,
            entity_type: "payment",
            entity_id: &payments[step.payment].id,
            before: Some(json!({ "status": step.from.as_str() })),
            after: Some(after.clone()),
        })
        .collect();
    audit::record_many(tx, actor, &changes).await?;
    let outbox_events: Vec<outbox::NewEvent<'_>> = plan
        .steps
        .iter()
        .zip(results)
        .map(|(step, after)| {
            let p = &payments[step.payment];
            outbox::NewEvent {
                event_type: step.effect.event,
                aggregate_type: "payment",
                aggregate_id: &p.id,
                payload: json!({ "paymentId": p.id, "distributionId": p.distribution_id, "investorId": p.investor_id, "attempt": p.attempt, "result": after }),
            }
        })
        .collect();
    outbox::emit_many(tx, actor, &outbox_events).await
}

/// The failure follow-up ([`after_failure`]: retry or review) of every payment a plan failed
/// or returned. Failed and returned are final, so the row as it stands now is the row the
/// change left.
pub async fn follow_up_failures(
    tx: &mut Tx,
    actor: &Actor,
    payments: &[Settling],
    plan: &SettlementPlan,
) -> Result<(), StoreError> {
    let staff = Actor {
        investor_id: None,
        ..actor.clone()
    };
    for step in plan.steps.iter().filter(|s| !s.effect.to.is_live()) {
        let p = &payments[step.payment];
        tracing::warn!(payment_id = %p.id, attempt = p.attempt, status = %p.status, code = ?step.effect.code, reason = ?step.effect.reason, "payment failed");
        let updated = get_tx(tx, &staff, &p.id).await?;
        after_failure(tx, actor, &updated).await?;
    }
    Ok(())
}
