//! Status changes: the state machine, bulk sends, holds and review, after a failure, reopening.

use chrono::{NaiveDate, Utc};
use clearway_core::access::Permission;
use clearway_core::payments::returns::{failure_class, ReturnClass};
use clearway_core::payments::{retry_delay, Method, PaymentStatus};
use serde_json::{json, Value};

use crate::audit::{self, Change};
use crate::db::Arg;
use crate::{jobs, new_id, now_text, outbox, q, Actor, StoreError, Tx};

use super::*;

/// What changes with a status.
#[derive(Debug, Clone, Default)]
pub struct Update {
    /// Failure / return code.
    pub code: Option<String>,
    /// Reason (logged on the event; stored on the payment for failures).
    pub reason: Option<String>,
    /// Bank value date (COMPLETED).
    pub cleared_date: Option<String>,
    /// Provider connector used.
    pub provider: Option<String>,
    /// Provider's id for the payment.
    pub provider_ref: Option<String>,
    /// Expected date.
    pub expected_date: Option<String>,
    /// References.
    pub trace_number: Option<String>,
    /// Wire end-to-end id.
    pub end_to_end_id: Option<String>,
    /// Check number.
    pub check_number: Option<String>,
    /// Batch.
    pub batch_id: Option<String>,
}

/// Moves one payment to `to` (checked by the core machine, conditional on its version), keeps
/// the line in step and logs a `payment_events` row with the attempt and reason.
pub async fn transition(
    tx: &mut Tx,
    actor: &Actor,
    current: &Payment,
    to: PaymentStatus,
    update: &Update,
) -> Result<Payment, StoreError> {
    current
        .status
        .to(to)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let now = now_text();
    let is_failure = !to.is_live();
    let row = tx
        .fetch_optional(
            q(format!("UPDATE payments SET status = $1, failure_code = CASE WHEN $2 = 1 THEN $3 ELSE failure_code END, failure_reason = CASE WHEN $2 = 1 THEN $4 ELSE failure_reason END,
                         cleared_date = COALESCE($5, cleared_date), provider = COALESCE($6, provider), provider_ref = COALESCE($7, provider_ref),
                         expected_date = COALESCE($8, expected_date), trace_number = COALESCE($9, trace_number), end_to_end_id = COALESCE($10, end_to_end_id),
                         check_number = COALESCE($11, check_number), batch_id = COALESCE($12, batch_id), updated_at = $13, version = version + 1
                       WHERE id = $14 AND org_id = $15 AND version = $16 RETURNING {COLUMNS}"))
                .bind(to.as_str())
                .bind(i64::from(is_failure))
                .bind(update.code.clone())
                .bind(update.reason.clone())
                .bind(update.cleared_date.clone())
                .bind(update.provider.clone())
                .bind(update.provider_ref.clone())
                .bind(update.expected_date.clone())
                .bind(update.trace_number.clone())
                .bind(update.end_to_end_id.clone())
                .bind(update.check_number.clone())
                .bind(update.batch_id.clone())
                .bind(&now)
                .bind(&current.id)
                .bind(&actor.org_id)
                .bind(current.version),
        )
        .await?
        .ok_or_else(|| StoreError::Conflict(format!("payment {} changed meanwhile; retry", current.id)))?;
    let updated = from_row(&row)?;
    log_event(tx, actor, &updated, Some(current.status), update).await?;
    set_line_status(tx, actor, &updated).await?;
    Ok(updated)
}

async fn log_event(
    tx: &mut Tx,
    actor: &Actor,
    p: &Payment,
    from: Option<PaymentStatus>,
    update: &Update,
) -> Result<(), StoreError> {
    tx.execute(
        q("INSERT INTO payment_events (id, org_id, payment_id, attempt, from_status, to_status, code, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(new_id())
            .bind(&actor.org_id)
            .bind(&p.id)
            .bind(p.attempt)
            .bind(from.map(|s| s.as_str()))
            .bind(p.status.as_str())
            .bind(update.code.clone())
            .bind(update.reason.clone())
            .bind(now_text()),
    )
    .await?;
    if matches!(p.status, PaymentStatus::Failed | PaymentStatus::Returned) {
        tracing::warn!(payment_id = %p.id, attempt = p.attempt, status = %p.status, code = ?update.code, reason = ?update.reason, "payment failed");
    }
    Ok(())
}

/// Keeps the line's status in step with its payment.
async fn set_line_status(tx: &mut Tx, actor: &Actor, p: &Payment) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE distribution_lines SET status = $1 WHERE distribution_id = $2 AND investor_id = $3 AND org_id = $4")
            .bind(p.status.line_status().as_str())
            .bind(&p.distribution_id)
            .bind(&p.investor_id)
            .bind(&actor.org_id),
    )
    .await?;
    Ok(())
}

/// One payment handed to a rail: its references.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Payment id.
    pub id: String,
    /// ACH trace number / wire end-to-end id / check number (by method).
    pub reference: String,
    /// The payment's attempt number (logged on its event).
    pub attempt: i64,
}

/// Marks many PENDING payments SENT in one go (a file for the bank): references, batch and
/// expected date set, a `payment_events` row and a `payment.sent` outbox event each. Payments
/// no longer PENDING are refused (the whole transaction rolls back).
pub async fn mark_sent(
    tx: &mut Tx,
    actor: &Actor,
    method: Method,
    batch_id: &str,
    expected_date: NaiveDate,
    sent: &[Sent],
) -> Result<(), StoreError> {
    let reference_column = match method {
        Method::Ach => "trace_number",
        Method::Wire => "end_to_end_id",
        Method::Check => "check_number",
    };
    let now = now_text();
    let date = expected_date.to_string();
    let staged: Vec<Vec<Arg>> = sent
        .iter()
        .map(|s| vec![batch_id.into(), (&s.id).into(), (&s.reference).into()])
        .collect();
    tx.bulk_insert(
        "payment_handover",
        &["batch_id", "payment_id", "reference"],
        &staged,
    )
    .await?;
    // The organization is checked apart from the UPDATE: with it in the UPDATE, PostgreSQL
    // without statistics (autovacuum off, or a table that just grew) walks every PENDING payment
    // of the organization through its (org_id, status) index for each file, where the batch's
    // few staged rows and the primary key are all it needs.
    let foreign = tx
        .count(
            q("SELECT COUNT(*) AS n FROM payment_handover h JOIN payments p ON p.id = h.payment_id
               WHERE h.batch_id = $1 AND p.org_id <> $2")
            .bind(batch_id)
            .bind(&actor.org_id),
        )
        .await?;
    if foreign != 0 {
        return Err(StoreError::NotFound("payment"));
    }
    let n = tx
        .execute(
            q(format!(
                "UPDATE payments SET status = 'SENT', {reference_column} = h.reference, batch_id = $1, expected_date = $2, updated_at = $3, version = version + 1
                 FROM payment_handover h WHERE h.batch_id = $1 AND payments.id = h.payment_id AND payments.status = 'PENDING'"
            ))
            .bind(batch_id)
            .bind(&date)
            .bind(&now),
        )
        .await?;
    if n as usize != sent.len() {
        return Err(StoreError::Conflict(
            "some payments of the batch are no longer PENDING; the batch was not sent".into(),
        ));
    }
    tx.execute(q("DELETE FROM payment_handover WHERE batch_id = $1").bind(batch_id))
        .await?;
    let events: Vec<Vec<Arg>> = sent
        .iter()
        .map(|s| {
            vec![
                new_id().into(),
                (&actor.org_id).into(),
                (&s.id).into(),
                s.attempt.into(),
                "PENDING".into(),
                "SENT".into(),
                Arg::Text(None),
                format!("in batch {batch_id}").into(),
                (&now).into(),
            ]
        })
        .collect();
    tx.bulk_insert("payment_events", &EVENT_COLUMNS, &events)
        .await?;
    let payloads: Vec<Value> = sent
        .iter()
        .map(|s| json!({ "paymentId": s.id, "batchId": batch_id, "method": method.as_str(), "expectedDate": date }))
        .collect();
    let outbox_events: Vec<outbox::NewEvent<'_>> = sent
        .iter()
        .zip(payloads)
        .map(|(s, payload)| outbox::NewEvent {
            event_type: "payment.sent",
            aggregate_type: "payment",
            aggregate_id: &s.id,
            payload,
        })
        .collect();
    outbox::emit_many(tx, &Actor::system(&actor.org_id), &outbox_events).await
}

/// Sets or clears the review reason (manual-review queue).
pub async fn set_review(
    tx: &mut Tx,
    actor: &Actor,
    payment_id: &str,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE payments SET review_reason = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND org_id = $4")
            .bind(reason)
            .bind(now_text())
            .bind(payment_id)
            .bind(&actor.org_id),
    )
    .await?;
    Ok(())
}

/// Holds the PENDING payments `ids` for a person, with `reason` as both hold and review reason
/// (the manual-review queue): they stay PENDING, no rail picks them up, and nothing waits
/// silently. Returns how many were held (already-held or no-longer-pending ones are skipped).
pub async fn hold_for_review(
    tx: &mut Tx,
    actor: &Actor,
    ids: &[String],
    reason: &str,
) -> Result<u64, StoreError> {
    let now = now_text();
    let mut held = 0;
    for chunk in ids.chunks(4_000) {
        let mut query = q(format!(
            "UPDATE payments SET hold_reason = $1, review_reason = $1, updated_at = $2, version = version + 1
             WHERE org_id = $3 AND status = 'PENDING' AND hold_reason IS NULL AND id IN ({})",
            crate::db::placeholders(4, chunk.len())
        ))
        .bind(reason)
        .bind(&now)
        .bind(&actor.org_id);
        for id in chunk {
            query.push(id.as_str());
        }
        held += tx.execute(query).await?;
    }
    Ok(held)
}

/// Holds every not-yet-sent payment instructed to `bank_account_id` (its details changed),
/// and flags the ones already sent to the old details for review. Returns the held ids.
pub async fn hold_for_payee(
    tx: &mut Tx,
    actor: &Actor,
    bank_account_id: &str,
    reason: &str,
) -> Result<Vec<String>, StoreError> {
    let now = now_text();
    let held = tx
        .fetch_all(
            q("UPDATE payments SET hold_reason = $1, review_reason = $1, updated_at = $2, version = version + 1
               WHERE org_id = $3 AND bank_account_id = $4 AND status = 'PENDING' AND hold_reason IS NULL RETURNING id")
                .bind(reason)
                .bind(&now)
                .bind(&actor.org_id)
                .bind(bank_account_id),
        )
        .await?
        .iter()
        .map(|r| r.text("id"))
        .collect::<Result<Vec<_>, _>>()?;
    tx.execute(
        q(
            "UPDATE payments SET review_reason = $1, updated_at = $2, version = version + 1
           WHERE org_id = $3 AND bank_account_id = $4 AND status IN ('PROCESSING','SENT')",
        )
        .bind(format!("{reason} after it was sent"))
        .bind(&now)
        .bind(&actor.org_id)
        .bind(bank_account_id),
    )
    .await?;
    Ok(held)
}

/// After a payment failed or came back: schedule the automatic retry (only failures known to
/// be temporary, while attempts remain) or put it in the manual-review queue, saying why. A
/// bank return that needs a changed instruction (bad account details, a code we do not know,
/// any returned wire) also blocks the payee until its details are replaced.
pub async fn after_failure(tx: &mut Tx, actor: &Actor, p: &Payment) -> Result<(), StoreError> {
    let code = p.failure_code.clone().unwrap_or_default();
    let reason = p.failure_reason.clone().unwrap_or_default();
    let class = failure_class(&code);
    if blocks_instruction(p, &code, class) {
        block_payee(tx, actor, p, &code, &reason).await?;
        let review = format!("BAD_ACCOUNT: {} {reason}", shown(&code));
        return set_review(tx, actor, &p.id, Some(&review)).await;
    }
    match class {
        ReturnClass::BadAccount => {
            let review = format!("BAD_ACCOUNT: {} {reason}", shown(&code));
            set_review(tx, actor, &p.id, Some(&review)).await
        }
        ReturnClass::Refused => {
            let review = format!("REFUSED: {} {reason}", shown(&code));
            set_review(tx, actor, &p.id, Some(&review)).await
        }
        ReturnClass::Transient => match retry_delay(p.attempt) {
            Some(delay) => {
                // why: retry delays are at most a day, far inside chrono's range
                let run_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                jobs::enqueue_at(
                    tx,
                    &Actor::system(&actor.org_id),
                    RETRY_JOB,
                    json!({ "paymentId": p.id }),
                    Some(&format!("{RETRY_JOB}:{}", p.id)),
                    4,
                    run_at,
                )
                .await?;
                Ok(())
            }
            None => {
                set_review(
                    tx,
                    actor,
                    &p.id,
                    Some(&format!(
                        "RETRIES_EXHAUSTED: attempt {} failed with {code}",
                        p.attempt
                    )),
                )
                .await
            }
        },
    }
}

/// A code as shown in a review reason: an empty one says so.
fn shown(code: &str) -> &str {
    if code.trim().is_empty() {
        "(no code)"
    } else {
        code
    }
}

/// Whether a failure needs the payee's details changed before anything is sent there again:
/// a credit the bank returned, unless the return is known to be temporary or a refusal by
/// its receiver (a known R-code); a returned wire, for any reason.
fn blocks_instruction(p: &Payment, code: &str, class: ReturnClass) -> bool {
    if p.status != PaymentStatus::Returned || p.bank_account_id.is_none() {
        return false;
    }
    p.method == Method::Wire
        || class == ReturnClass::BadAccount
        || (class == ReturnClass::Refused
            && !clearway_core::payments::returns::is_return_code(code.trim()))
}

/// Blocks the payee `p` was sent to (see [`bank_accounts::block`]), audited and emitted once.
async fn block_payee(
    tx: &mut Tx,
    actor: &Actor,
    p: &Payment,
    code: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let Some(account_id) = &p.bank_account_id else {
        return Ok(());
    };
    let why = format!(
        "RETURNED: {} {reason} (payment {}, attempt {})",
        shown(code),
        p.id,
        p.attempt
    );
    if !super::bank_accounts::block(tx, actor, account_id, &why).await? {
        return Ok(());
    }
    let after = json!({ "blockedReason": why, "paymentId": p.id, "investorId": p.investor_id });
    audit::record(
        tx,
        actor,
        Change {
            action: "bank_account.block",
            entity_type: "bank_account",
            entity_id: account_id,
            before: Some(json!({ "blockedReason": null })),
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "bank_account.blocked",
        "bank_account",
        account_id,
        after,
    )
    .await?;
    Ok(())
}

/// Undoes a recorded outcome inside `tx` (used when a person unmatches a reconciliation):
/// COMPLETED → SENT (line PAYMENT_INITIATED, cleared date removed); RETURNED → COMPLETED when
/// the payment had cleared, else SENT (return code removed). Audited with `reason`; emits
/// `payment.reopened`. Refused (409) from any other status, or when another payment has
/// become live for the same line meanwhile (a retry).
pub async fn reopen(
    tx: &mut Tx,
    actor: &Actor,
    payment_id: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    actor.require(Permission::Operate)?;
    let staff = Actor {
        investor_id: None,
        ..actor.clone()
    };
    let current = get_tx(tx, &staff, payment_id).await?;
    // An undo of a recorded outcome, not a step of the payment's life: the status machine has
    // no such edge, so it is decided here, and logged like any other change.
    let (status, keep_cleared) = match (current.status, &current.cleared_date) {
        (PaymentStatus::Completed, _) => (PaymentStatus::Sent, 0i64),
        (PaymentStatus::Returned, Some(_)) => (PaymentStatus::Completed, 1),
        (PaymentStatus::Returned, None) => (PaymentStatus::Sent, 0),
        (other, _) => {
            return Err(StoreError::Conflict(format!(
            "payment {payment_id} is {other}; only a COMPLETED or RETURNED payment can be reopened"
        )))
        }
    };
    let row = tx
        .fetch_optional(
            q(format!("UPDATE payments SET status = $1, cleared_date = CASE WHEN $2 = 1 THEN cleared_date ELSE NULL END, failure_code = NULL, failure_reason = NULL, updated_at = $3, version = version + 1
               WHERE id = $4 AND org_id = $5 AND version = $6 RETURNING {COLUMNS}"))
                .bind(status.as_str())
                .bind(keep_cleared)
                .bind(now_text())
                .bind(payment_id)
                .bind(&actor.org_id)
                .bind(current.version),
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                StoreError::Conflict(format!(
                    "payment {payment_id} cannot be reopened: another payment is live for its line"
                ))
            } else {
                e
            }
        })?
        .ok_or_else(|| StoreError::Conflict(format!("payment {payment_id} changed concurrently")))?;
    let updated = from_row(&row)?;
    let update = Update {
        reason: Some(format!("reopened: {reason}")),
        ..Update::default()
    };
    log_event(tx, actor, &updated, Some(current.status), &update).await?;
    set_line_status(tx, actor, &updated).await?;
    let after = json!({ "status": status.as_str(), "reason": reason });
    audit::record(
        tx,
        actor,
        Change {
            action: "payment.reopened",
            entity_type: "payment",
            entity_id: payment_id,
            before: Some(
                json!({ "status": current.status.as_str(), "clearedDate": current.cleared_date }),
            ),
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "payment.reopened",
        "payment",
        payment_id,
        json!({ "paymentId": payment_id, "distributionId": updated.distribution_id, "investorId": updated.investor_id, "result": after }),
    )
    .await?;
    Ok(true)
}

/// Records a provider webhook delivery; `false` if it was seen before (a replay).
pub async fn record_provider_event(
    tx: &mut Tx,
    provider: &str,
    event_id: &str,
) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            q("INSERT INTO provider_events (provider, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT (provider, event_id) DO NOTHING")
                .bind(provider)
                .bind(event_id)
                .bind(now_text()),
        )
        .await?;
    Ok(n == 1)
}

/// Logs an attempt that did not change the payment's status (a provider call that failed and
/// will be retried): a `payment_events` row from and to its current status.
pub async fn log_attempt(
    tx: &mut Tx,
    actor: &Actor,
    p: &Payment,
    code: &str,
    reason: &str,
) -> Result<(), StoreError> {
    visible(actor)?;
    tx.execute(
        q("INSERT INTO payment_events (id, org_id, payment_id, attempt, from_status, to_status, code, reason, at) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)")
            .bind(new_id())
            .bind(&actor.org_id)
            .bind(&p.id)
            .bind(p.attempt)
            .bind(p.status.as_str())
            .bind(code)
            .bind(reason)
            .bind(now_text()),
    )
    .await?;
    Ok(())
}

/// Switches a PROCESSING payment to another provider (the primary could not be reached), with
/// its audit entry. Returns whether it was switched (`false`: no longer PROCESSING).
pub async fn switch_provider(
    tx: &mut Tx,
    actor: &Actor,
    p: &Payment,
    provider: &str,
) -> Result<bool, StoreError> {
    actor.require(Permission::Operate)?;
    let n = tx
        .execute(
            q("UPDATE payments SET provider = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND org_id = $4 AND status = 'PROCESSING'")
                .bind(provider)
                .bind(now_text())
                .bind(&p.id)
                .bind(&actor.org_id),
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    audit::record(
        tx,
        actor,
        Change {
            action: "payment.switch_provider",
            entity_type: "payment",
            entity_id: &p.id,
            before: Some(json!({ "provider": p.provider })),
            after: Some(json!({ "provider": provider })),
        },
    )
    .await?;
    Ok(true)
}
