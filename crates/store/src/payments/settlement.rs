//! Recording outcomes: the reads and bulk writes of settling a set of payment outcomes. The
//! planning (which status each payment goes to, which line status follows, the counts) is
//! [`clearway_core::payments::settlement::plan`]; the orchestration is
//! `clearway_app::payments::settle_many`, which composes these functions.

use std::collections::HashSet;

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::payments::settlement::{self as plan, PlanError, SettlementPlan, Touched};
use serde_json::Value;
use tracing::Instrument;

use crate::audit::{self, ChangeText};
use crate::db::{Arg, RowSink, RowSource};
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

/// The columns `settling` stages its ids in (the table's others were for the staged settlement
/// write, now a prepared UPDATE on SQLite and `UNNEST` on PostgreSQL; they stay nullable).
const STAGE_COLUMNS: [&str; 2] = ["stage_id", "payment_id"];

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
    tx.bulk_insert(STAGE, &STAGE_COLUMNS, &keys).await?;
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
    unstage(tx, &stage).await?;
    Ok(payments)
}

fn opt_date(text: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    text.map(|t| {
        NaiveDate::parse_from_str(&t, "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(format!("date '{t}': {e}")))
    })
    .transpose()
}

async fn unstage(tx: &mut Tx, stage: &str) -> Result<(), StoreError> {
    tx.execute(q(format!("DELETE FROM {STAGE} WHERE stage_id = $1")).bind(stage))
        .await?;
    Ok(())
}

/// Writes a plan's new payment rows (conditional on the versions read: a payment changed
/// meanwhile refuses the whole write) and line statuses. SQLite: one prepared UPDATE stepped
/// per payment and one per line (a scratch table loaded, joined and emptied cost three times
/// as much at 200,000 payments); PostgreSQL: arrays joined through `UNNEST`.
pub async fn write_settlements(
    tx: &mut Tx,
    actor: &Actor,
    payments: &[Settling],
    plan: &SettlementPlan,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let now = now_text();
    let org = actor.org_id.as_str();
    // In key order: a million updates in the order of the matches touched pages at random
    // and ran out of page cache (51 s at 1,000,000 payments).
    let mut touched: Vec<&Touched> = plan.touched.iter().collect();
    touched.sort_unstable_by_key(|t| payments[t.payment].id.as_str());
    let rows = PaymentUpdates {
        payments,
        touched,
        org,
        now: &now,
    };
    let Some(stale) = tx
        .sqlite_each(PAYMENT_UPDATE, &rows)
        .instrument(tracing::debug_span!("payments"))
        .await?
    else {
        return write_settlements_pg(tx, actor, payments, &rows.touched).await;
    };
    if let Some(&at) = stale.first() {
        let id = &payments[rows.touched[at].payment].id;
        return Err(StoreError::Conflict(format!(
            "payment {id} changed meanwhile; retry"
        )));
    }
    let mut owners: Vec<&Settling> = plan
        .touched
        .iter()
        .filter(|t| t.owns_line)
        .map(|t| &payments[t.payment])
        .collect();
    owners.sort_unstable_by_key(|p| (p.distribution_id.as_str(), p.investor_id.as_str()));
    tx.sqlite_each(LINE_UPDATE, &LineUpdates { owners, org })
        .instrument(tracing::debug_span!("distribution_lines"))
        .await?;
    Ok(())
}

/// One touched payment's new values, conditional on the version read ([`PaymentUpdates`]).
const PAYMENT_UPDATE: &str = "UPDATE payments SET status = ?, cleared_date = ?, failure_code = ?, failure_reason = ?, updated_at = ?, version = ?
     WHERE id = ? AND org_id = ? AND version = ?";

/// The line status of a payment that owns its line ([`LineUpdates`]).
const LINE_UPDATE: &str =
    "UPDATE distribution_lines SET status = ? WHERE distribution_id = ? AND investor_id = ? AND org_id = ?";

/// The parameters of [`PAYMENT_UPDATE`], one row per touched payment.
struct PaymentUpdates<'a> {
    payments: &'a [Settling],
    touched: Vec<&'a Touched>,
    org: &'a str,
    now: &'a str,
}

impl RowSource for PaymentUpdates<'_> {
    fn len(&self) -> usize {
        self.touched.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        let t = self.touched[at];
        let p = &self.payments[t.payment];
        sink.text(p.status.as_str());
        match p.cleared_date {
            Some(d) => sink.plain(d),
            None => sink.null(),
        };
        sink.opt_text(p.failure_code.as_deref())
            .opt_text(p.failure_reason.as_deref())
            .text(self.now)
            .int(p.version)
            .text(&p.id)
            .text(self.org)
            .int(t.read_version);
        sink.end_row();
    }
}

/// The parameters of [`LINE_UPDATE`], one row per payment that owns its line.
struct LineUpdates<'a> {
    owners: Vec<&'a Settling>,
    org: &'a str,
}

impl RowSource for LineUpdates<'_> {
    fn len(&self) -> usize {
        self.owners.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        let p = self.owners[at];
        sink.text(p.status.line_status().as_str())
            .text(&p.distribution_id)
            .text(&p.investor_id)
            .text(self.org);
        sink.end_row();
    }
}
/// [`write_settlements`] on PostgreSQL: the new values cross as arrays and join through
/// `UNNEST`, with no scratch rows. A freshly loaded stage has no statistics, and PostgreSQL
/// planned its join with 100,000 payments as scans (25 s); an `UNNEST` is planned as the
/// small side, probing the payments' and lines' keys. The lines' ids are `COLLATE "C"`, so
/// the arrays' values are compared as such, or the key could not serve the join.
async fn write_settlements_pg(
    tx: &mut Tx,
    actor: &Actor,
    payments: &[Settling],
    touched: &[&Touched],
) -> Result<(), StoreError> {
    let n = touched.len();
    let (mut ids, mut versions, mut new_versions) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut statuses, mut cleared, mut codes, mut reasons) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut dists, mut investors, mut line_statuses) = (Vec::new(), Vec::new(), Vec::new());
    for t in touched {
        let p = &payments[t.payment];
        ids.push(p.id.as_str());
        versions.push(t.read_version);
        new_versions.push(p.version);
        statuses.push(p.status.as_str());
        cleared.push(p.cleared_date.map(|d| d.to_string()));
        codes.push(p.failure_code.as_deref());
        reasons.push(p.failure_reason.as_deref());
        if t.owns_line {
            dists.push(p.distribution_id.as_str());
            investors.push(p.investor_id.as_str());
            line_statuses.push(p.status.line_status().as_str());
        }
    }
    let now = now_text();
    let org = actor.org_id.as_str();
    let Some(pg) = tx.raw_postgres() else {
        return Err(StoreError::Corrupt("not a PostgreSQL transaction".into()));
    };
    let updated = sqlx::query(
        "UPDATE payments SET status = s.status, cleared_date = s.cleared_date, failure_code = s.failure_code, failure_reason = s.failure_reason,
             updated_at = $1, version = s.new_version
         FROM UNNEST($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[])
              AS s(payment_id, version, new_version, status, cleared_date, failure_code, failure_reason)
         WHERE payments.id = s.payment_id AND payments.org_id = $9 AND payments.version = s.version",
    )
    .bind(&now)
    .bind(&ids)
    .bind(&versions)
    .bind(&new_versions)
    .bind(&statuses)
    .bind(&cleared)
    .bind(&codes)
    .bind(&reasons)
    .bind(org)
    .execute(&mut **pg)
    .await?
    .rows_affected();
    if updated as usize != n {
        // Not reached by the update stamped `now` (see `stale_payment`).
        let stale: HashSet<String> = sqlx::query_scalar(
            "SELECT p.id FROM payments p JOIN UNNEST($1::text[]) AS s(payment_id)
               ON p.id = s.payment_id WHERE p.updated_at <> $2",
        )
        .bind(&ids)
        .bind(&now)
        .fetch_all(&mut **pg)
        .await?
        .into_iter()
        .collect();
        let id = ids
            .iter()
            .find(|id| stale.contains(**id))
            .copied()
            .unwrap_or_default();
        return Err(StoreError::Conflict(format!(
            "payment {id} changed meanwhile; retry"
        )));
    }
    sqlx::query(
        "UPDATE distribution_lines SET status = s.line_status
         FROM UNNEST($1::text[], $2::text[], $3::text[]) AS s(distribution_id, investor_id, line_status)
         WHERE distribution_lines.distribution_id = s.distribution_id COLLATE \"C\"
           AND distribution_lines.investor_id = s.investor_id COLLATE \"C\" AND distribution_lines.org_id = $4",
    )
    .bind(&dists)
    .bind(&investors)
    .bind(&line_statuses)
    .bind(org)
    .execute(&mut **pg)
    .await?;
    Ok(())
}

/// `value` as a JSON string, exactly as `serde_json` writes it (escaped only when needed).
fn push_json_str(out: &mut String, value: &str) {
    if value.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(&Value::from(value).to_string());
    } else {
        out.push('"');
        out.push_str(value);
        out.push('"');
    }
}

fn push_json_opt(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) => push_json_str(out, v),
        None => out.push_str("null"),
    }
}

/// A step's result as JSON text: what `json!({"status", "clearedDate", "failureCode",
/// "failureReason"}).to_string()` gives (keys sorted, as `serde_json` orders its maps), built
/// without a `Value` (a run settles a million of these).
fn result_text(e: &plan::Effect) -> String {
    let mut out = String::with_capacity(96);
    out.push_str("{\"clearedDate\":");
    let date = e.cleared_date.map(|d| d.to_string());
    push_json_opt(&mut out, date.as_deref());
    out.push_str(",\"failureCode\":");
    push_json_opt(&mut out, e.code.as_deref());
    out.push_str(",\"failureReason\":");
    push_json_opt(&mut out, e.reason.as_deref());
    out.push_str(",\"status\":");
    push_json_str(&mut out, e.to.as_str());
    out.push('}');
    out
}

/// The outbox payload of a step (as `json!` with sorted keys would write it).
fn payload_text(p: &Settling, result: &str) -> String {
    let mut out = String::with_capacity(160 + result.len());
    out.push_str("{\"attempt\":");
    out.push_str(&p.attempt.to_string());
    out.push_str(",\"distributionId\":");
    push_json_str(&mut out, &p.distribution_id);
    out.push_str(",\"investorId\":");
    push_json_str(&mut out, &p.investor_id);
    out.push_str(",\"paymentId\":");
    push_json_str(&mut out, &p.id);
    out.push_str(",\"result\":");
    out.push_str(result);
    out.push('}');
    out
}

/// `payment_events` rows of a plan's steps ([`EVENT_COLUMNS`]).
struct EventRows<'a> {
    payments: &'a [Settling],
    /// The plan's steps by payment id (a payment's own steps in their order), so the
    /// events' index on `payment_id` is written in key order.
    steps: Vec<&'a plan::Step>,
    org: &'a str,
    now: &'a str,
}

impl RowSource for EventRows<'_> {
    fn len(&self) -> usize {
        self.steps.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        let step = self.steps[at];
        let p = &self.payments[step.payment];
        sink.text(&new_id())
            .text(self.org)
            .text(&p.id)
            .int(p.attempt)
            .text(step.from.as_str())
            .text(step.effect.to.as_str())
            .opt_text(step.effect.code.as_deref())
            .opt_text(step.effect.reason.as_deref())
            .text(self.now);
        sink.end_row();
    }
}

/// Logs a plan's changes: per step a `payment_events` row, an audit entry and an outbox
/// event, each set bulk-loaded; the JSON is written as text directly (a `Value` per entry
/// cost seconds per million).
pub async fn log_settlements(
    tx: &mut Tx,
    actor: &Actor,
    payments: &[Settling],
    plan: &SettlementPlan,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let org = actor.org_id.as_str();
    let now = now_text();
    let mut steps: Vec<&plan::Step> = plan.steps.iter().collect();
    steps.sort_by_key(|s| payments[s.payment].id.as_str());
    let events = EventRows {
        payments,
        steps,
        org,
        now: &now,
    };
    tx.bulk_load("payment_events", &EVENT_COLUMNS, &events)
        .instrument(tracing::debug_span!("payment_events"))
        .await?;
    let results: Vec<String> = plan.steps.iter().map(|s| result_text(&s.effect)).collect();
    let changes: Vec<ChangeText<'_>> = plan
        .steps
        .iter()
        .zip(&results)
        .map(|(step, after)| ChangeText {
            action: step.effect.event,
            entity_type: "payment",
            entity_id: &payments[step.payment].id,
            before: Some(format!("{{\"status\":\"{}\"}}", step.from.as_str())),
            after: Some(after.clone()),
        })
        .collect();
    audit::record_many_text(tx, actor, changes);
    let outbox_events: Vec<outbox::NewEventText<'_>> = plan
        .steps
        .iter()
        .zip(&results)
        .map(|(step, after)| {
            let p = &payments[step.payment];
            outbox::NewEventText {
                event_type: step.effect.event,
                aggregate_type: "payment",
                aggregate_id: &p.id,
                payload: payload_text(p, after),
            }
        })
        .collect();
    outbox::emit_many_text(tx, actor, &outbox_events)
        .instrument(tracing::debug_span!("outbox"))
        .await
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

#[cfg(test)]
mod tests {
    use super::*;
    use clearway_core::payments::PaymentStatus;
    use serde_json::json;

    /// The JSON written as text is byte for byte what `json!` wrote before (audit hashes
    /// and webhook bodies depend on it), escapes included.
    #[test]
    fn json_texts_are_what_serde_json_writes() {
        let effect = plan::Effect {
            to: PaymentStatus::Returned,
            code: Some("R03".into()),
            reason: Some("line \"7\"\tback\\ é\n".into()),
            cleared_date: None,
            event: "payment.returned",
        };
        let p = Settling {
            id: "p-1".into(),
            distribution_id: "d\"1".into(),
            investor_id: "i-1".into(),
            status: PaymentStatus::Returned,
            attempt: 2,
            cleared_date: None,
            failure_code: None,
            failure_reason: None,
            version: 3,
        };
        let after = json!({ "status": effect.to.as_str(), "clearedDate": effect.cleared_date.map(|d| d.to_string()), "failureCode": effect.code, "failureReason": effect.reason });
        assert_eq!(result_text(&effect), after.to_string());
        let payload = json!({ "paymentId": p.id, "distributionId": p.distribution_id, "investorId": p.investor_id, "attempt": p.attempt, "result": after });
        assert_eq!(payload_text(&p, &result_text(&effect)), payload.to_string());
        let cleared = plan::Effect {
            to: PaymentStatus::Completed,
            code: None,
            reason: None,
            cleared_date: NaiveDate::from_ymd_opt(2024, 1, 2),
            event: "payment.completed",
        };
        let after = json!({ "status": "COMPLETED", "clearedDate": "2024-01-02", "failureCode": null, "failureReason": null });
        assert_eq!(result_text(&cleared), after.to_string());
    }
}
