//! Recording outcomes: `settle` and the set-based `settle_many` reconciliation relies on.

use std::collections::{HashMap, HashSet};

use clearway_core::access::Permission;
use clearway_core::payments::PaymentStatus;
use serde_json::{json, Value};

use crate::audit::{self, Change};
use crate::db::Arg;
use crate::{new_id, now_text, outbox, q, Actor, StoreError, Tx};

use super::*;

impl Settlement {
    /// The status this outcome leads to, what it writes, and the name of its audit action and
    /// outbox event.
    fn effect(&self) -> (PaymentStatus, Update, &'static str) {
        match self {
            Settlement::Cleared { value_date } => (
                PaymentStatus::Completed,
                Update {
                    cleared_date: Some(value_date.to_string()),
                    reason: Some("cleared".into()),
                    ..Update::default()
                },
                "payment.completed",
            ),
            Settlement::Returned { code, reason } => (
                PaymentStatus::Returned,
                Update {
                    code: Some(code.clone()),
                    reason: Some(reason.clone()),
                    ..Update::default()
                },
                "payment.returned",
            ),
            Settlement::Failed { code, reason } => (
                PaymentStatus::Failed,
                Update {
                    code: Some(code.clone()),
                    reason: Some(reason.clone()),
                    ..Update::default()
                },
                "payment.failed",
            ),
        }
    }
}

/// Records a payment's outcome inside `tx` (operators, admins and the system actor).
/// Settling a payment that already has this outcome is a no-op (returns `false`).
/// The same path as [`settle_many`] with one item.
pub async fn settle(
    tx: &mut Tx,
    actor: &Actor,
    payment_id: &str,
    settlement: &Settlement,
) -> Result<bool, StoreError> {
    let counts = settle_many(tx, actor, &[(payment_id.to_string(), settlement.clone())]).await?;
    Ok(counts.applied == 1)
}

/// What [`settle_many`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettledCounts {
    /// Outcomes recorded (the payment's status changed).
    pub applied: usize,
    /// Outcomes the payment already had: nothing written for them.
    pub unchanged: usize,
}

/// Scratch table of [`settle_many`] (migration `0006_bulk_settlement`).
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

/// What [`settle_many`] reads of a payment: what its outcomes check and change.
struct Settling {
    id: String,
    distribution_id: String,
    investor_id: String,
    status: PaymentStatus,
    attempt: i64,
    cleared_date: Option<String>,
    failure_code: Option<String>,
    failure_reason: Option<String>,
    version: i64,
}

/// Columns of [`Settling`].
const SETTLING_COLUMNS: &str = "id, distribution_id, investor_id, status, attempt, cleared_date, failure_code, failure_reason, version";

/// One status change planned by [`settle_many`].
struct Step {
    /// Index of the payment in the rows read.
    payment: usize,
    from: PaymentStatus,
    to: PaymentStatus,
    update: Update,
    event: &'static str,
}

/// Records many outcomes inside `tx`, with exactly the rows that calling [`settle`] once per
/// item, in order, would write: per applied outcome the payment's new status (conditional on
/// the version read), its line's status, a `payment_events` row, an audit entry and an outbox
/// event; then the failure follow-up ([`after_failure`]) of failed and returned payments.
/// Items apply in order, so a payment cleared and then returned in one call ends RETURNED
/// with both changes logged. An outcome the payment already has is skipped (counted as
/// unchanged); an unknown payment (not found in the actor's organization) or an outcome the
/// status machine refuses fails the whole call with the error `settle` gives for that item,
/// and nothing is written.
///
/// Set-based: the ids are staged with one bulk load and read with one query, the outcomes are
/// checked in memory, the new values are staged with a second bulk load and applied by one
/// `UPDATE … FROM` for payments and one for lines; events, audit entries and outbox rows are
/// bulk-loaded. Only the failure follow-up (rare: returns) is per payment.
pub async fn settle_many(
    tx: &mut Tx,
    actor: &Actor,
    items: &[(String, Settlement)],
) -> Result<SettledCounts, StoreError> {
    actor.require(Permission::Operate)?;
    let mut counts = SettledCounts::default();
    if items.is_empty() {
        return Ok(counts);
    }
    let org = actor.org_id.as_str();
    let clock = std::time::Instant::now();
    let mut phases: Vec<(&str, u128)> = Vec::new();
    let read_stage = new_id();
    let write_stage = new_id();
    let mut seen = HashSet::with_capacity(items.len());
    let keys: Vec<Vec<Arg>> = items
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| seen.insert(*id))
        .map(|id| vec![(&read_stage).into(), id.into()])
        .collect();
    tx.bulk_insert(STAGE, &STAGE_COLUMNS[..2], &keys).await?;
    phases.push(("stage_ids", clock.elapsed().as_millis()));
    // The staff view of the organization (as `get_tx` without an investor), whoever asks; only
    // the columns settling reads (decoding whole rows cost seconds per 100,000 on SQLite).
    let rows = tx
        .fetch_all(
            q(format!("SELECT {SETTLING_COLUMNS} FROM payments WHERE org_id = $1 AND id IN (SELECT payment_id FROM {STAGE} WHERE stage_id = $2)"))
                .bind(org)
                .bind(&read_stage),
        )
        .await?;
    let mut payments: Vec<Settling> = rows
        .iter()
        .map(|r| {
            Ok(Settling {
                id: r.text("id")?,
                distribution_id: r.text("distribution_id")?,
                investor_id: r.text("investor_id")?,
                status: r.parse("status")?,
                attempt: r.i64("attempt")?,
                cleared_date: r.opt_text("cleared_date")?,
                failure_code: r.opt_text("failure_code")?,
                failure_reason: r.opt_text("failure_reason")?,
                version: r.i64("version")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    drop(rows);
    phases.push(("read", clock.elapsed().as_millis()));
    let read_versions: Vec<i64> = payments.iter().map(|p| p.version).collect();
    let index: HashMap<String, usize> = payments
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.clone(), i))
        .collect();
    let now = now_text();
    // Each outcome against the state the previous ones left, as one `settle` after another.
    let mut steps: Vec<Step> = Vec::new();
    let mut refused: Option<StoreError> = None;
    for (id, settlement) in items {
        let Some(&i) = index.get(id.as_str()) else {
            refused = Some(StoreError::NotFound("payment"));
            break;
        };
        let (status, update, event) = settlement.effect();
        let p = &mut payments[i];
        if p.status == status {
            counts.unchanged += 1;
            continue;
        }
        if !p.status.can_become(status) {
            refused = Some(StoreError::Conflict(format!(
                "payment {id} is {}; it cannot become {status}",
                p.status
            )));
            break;
        }
        let from = p.status;
        // What `transition`'s UPDATE does to the row.
        if !status.is_live() {
            p.failure_code = update.code.clone();
            p.failure_reason = update.reason.clone();
        }
        if update.cleared_date.is_some() {
            p.cleared_date = update.cleared_date.clone();
        }
        p.status = status;
        p.version += 1;
        steps.push(Step {
            payment: i,
            from,
            to: status,
            update,
            event,
        });
        counts.applied += 1;
    }
    if refused.is_some() || steps.is_empty() {
        // Nothing to write: leave no scratch rows behind, whatever the caller does next.
        tx.execute(q(format!("DELETE FROM {STAGE} WHERE stage_id = $1")).bind(&read_stage))
            .await?;
        return match refused {
            Some(e) => Err(e),
            None => Ok(counts),
        };
    }
    // Payments changed, in order of their first change; each line takes the status of the
    // payment whose change came last (what the last `set_line_status` would have written).
    let mut touched: Vec<usize> = Vec::new();
    let mut is_touched = vec![false; payments.len()];
    let mut line_owner: HashMap<(&str, &str), usize> = HashMap::new();
    for step in &steps {
        if !is_touched[step.payment] {
            is_touched[step.payment] = true;
            touched.push(step.payment);
        }
        let p = &payments[step.payment];
        line_owner.insert(
            (p.distribution_id.as_str(), p.investor_id.as_str()),
            step.payment,
        );
    }
    let values: Vec<Vec<Arg>> = touched
        .iter()
        .map(|&i| {
            let p = &payments[i];
            let owns_line = line_owner[&(p.distribution_id.as_str(), p.investor_id.as_str())] == i;
            vec![
                (&write_stage).into(),
                (&p.id).into(),
                read_versions[i].into(),
                p.version.into(),
                p.status.as_str().into(),
                p.cleared_date.clone().into(),
                p.failure_code.clone().into(),
                p.failure_reason.clone().into(),
                (&p.distribution_id).into(),
                (&p.investor_id).into(),
                owns_line.then(|| p.status.line_status().as_str()).into(),
            ]
        })
        .collect();
    tx.bulk_insert(STAGE, &STAGE_COLUMNS, &values).await?;
    phases.push(("stage_values", clock.elapsed().as_millis()));
    let n = tx
        .execute(
            q(format!(
                "UPDATE payments SET status = s.status, cleared_date = s.cleared_date, failure_code = s.failure_code, failure_reason = s.failure_reason,
                     updated_at = $1, version = s.new_version
                 FROM {STAGE} s WHERE s.stage_id = $2 AND payments.id = s.payment_id AND payments.org_id = $3 AND payments.version = s.version"
            ))
            .bind(&now)
            .bind(&write_stage)
            .bind(org),
        )
        .await?;
    phases.push(("update_payments", clock.elapsed().as_millis()));
    if n as usize != touched.len() {
        // Changed by someone else since it was read (as `transition`'s version check).
        let stale: HashSet<String> = tx
            .fetch_all(
                q(format!(
                    "SELECT s.payment_id FROM {STAGE} s JOIN payments p ON p.id = s.payment_id
                           WHERE s.stage_id = $1 AND p.version <> s.new_version"
                ))
                .bind(&write_stage),
            )
            .await?
            .iter()
            .map(|r| r.text("payment_id"))
            .collect::<Result<_, _>>()?;
        let id = touched
            .iter()
            .map(|&i| &payments[i].id)
            .find(|id| stale.contains(*id))
            .cloned()
            .unwrap_or_default();
        tx.execute(
            q(format!("DELETE FROM {STAGE} WHERE stage_id IN ($1, $2)"))
                .bind(&read_stage)
                .bind(&write_stage),
        )
        .await?;
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
        .bind(&write_stage)
        .bind(org),
    )
    .await?;
    phases.push(("update_lines", clock.elapsed().as_millis()));
    tx.execute(
        q(format!("DELETE FROM {STAGE} WHERE stage_id IN ($1, $2)"))
            .bind(&read_stage)
            .bind(&write_stage),
    )
    .await?;
    phases.push(("unstage", clock.elapsed().as_millis()));
    let events: Vec<Vec<Arg>> = steps
        .iter()
        .map(|step| {
            let p = &payments[step.payment];
            vec![
                new_id().into(),
                org.into(),
                (&p.id).into(),
                p.attempt.into(),
                step.from.as_str().into(),
                step.to.as_str().into(),
                step.update.code.clone().into(),
                step.update.reason.clone().into(),
                (&now).into(),
            ]
        })
        .collect();
    tx.bulk_insert("payment_events", &EVENT_COLUMNS, &events)
        .await?;
    let results: Vec<Value> = steps
        .iter()
        .map(|step| json!({ "status": step.to.as_str(), "clearedDate": step.update.cleared_date, "failureCode": step.update.code, "failureReason": step.update.reason }))
        .collect();
    let changes: Vec<Change<'_>> = steps
        .iter()
        .zip(&results)
        .map(|(step, after)| Change {
            action: step.event,
            entity_type: "payment",
            entity_id: &payments[step.payment].id,
            before: Some(json!({ "status": step.from.as_str() })),
            after: Some(after.clone()),
        })
        .collect();
    audit::record_many(tx, actor, &changes).await?;
    let outbox_events: Vec<outbox::NewEvent<'_>> = steps
        .iter()
        .zip(results)
        .map(|(step, after)| {
            let p = &payments[step.payment];
            outbox::NewEvent {
                event_type: step.event,
                aggregate_type: "payment",
                aggregate_id: &p.id,
                payload: json!({ "paymentId": p.id, "distributionId": p.distribution_id, "investorId": p.investor_id, "attempt": p.attempt, "result": after }),
            }
        })
        .collect();
    outbox::emit_many(tx, actor, &outbox_events).await?;
    phases.push(("events_audit_outbox", clock.elapsed().as_millis()));
    // Failed and returned are final, so the row as it stands now is the row the change left.
    let staff = Actor {
        investor_id: None,
        ..actor.clone()
    };
    for step in steps.iter().filter(|s| !s.to.is_live()) {
        let p = &payments[step.payment];
        tracing::warn!(payment_id = %p.id, attempt = p.attempt, status = %p.status, code = ?step.update.code, reason = ?step.update.reason, "payment failed");
        let updated = get_tx(tx, &staff, &p.id).await?;
        after_failure(tx, org, &updated).await?;
    }
    phases.push(("after_failure", clock.elapsed().as_millis()));
    tracing::debug!(
        applied = counts.applied,
        unchanged = counts.unchanged,
        payments = touched.len(),
        phases_ms = ?phases,
        "payment outcomes settled"
    );
    Ok(counts)
}
