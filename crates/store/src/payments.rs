//! Payments to investors (money out). The table is created by migration `0003_payments`.
//!
//! Contract used by reconciliation: [`settle`] is the one way a payment's final outcome
//! (cleared by the bank, returned, failed) is recorded; it moves the payment, its line,
//! and writes the audit entry and outbox event in the caller's transaction.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use serde_json::json;

use crate::audit::{self, Change};
use crate::{now_text, outbox, q, Actor, StoreError, Tx};

/// A final outcome reported for a payment (by the bank statement, a return file or a provider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// The money left the account on `value_date`: COMPLETED, line PAID.
    Cleared {
        /// Bank value date.
        value_date: NaiveDate,
    },
    /// The money came back (NACHA return, bounced wire, credit back): RETURNED, line FAILED.
    Returned {
        /// Return code (e.g. `R03`).
        code: String,
        /// Human-readable reason.
        reason: String,
    },
    /// The payment never left (rejected by the provider or bank): FAILED, line FAILED.
    Failed {
        /// Failure code.
        code: String,
        /// Human-readable reason.
        reason: String,
    },
}

/// Records a payment's outcome inside `tx` (operators, admins and the system actor).
/// Settling a payment that already has this outcome is a no-op (returns `false`).
pub async fn settle(
    tx: &mut Tx,
    actor: &Actor,
    payment_id: &str,
    settlement: &Settlement,
) -> Result<bool, StoreError> {
    actor.require(Permission::Operate)?;
    let row = tx
        .fetch_optional(
            q("SELECT status, distribution_id, investor_id FROM payments WHERE id = $1 AND org_id = $2")
                .bind(payment_id)
                .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("payment"))?;
    let before = row.text("status")?;
    let (status, line_status, cleared, code, reason, event) = match settlement {
        Settlement::Cleared { value_date } => (
            "COMPLETED",
            "PAID",
            Some(value_date.to_string()),
            None,
            None,
            "payment.completed",
        ),
        Settlement::Returned { code, reason } => (
            "RETURNED",
            "FAILED",
            None,
            Some(code.clone()),
            Some(reason.clone()),
            "payment.returned",
        ),
        Settlement::Failed { code, reason } => (
            "FAILED",
            "FAILED",
            None,
            Some(code.clone()),
            Some(reason.clone()),
            "payment.failed",
        ),
    };
    if before == status {
        return Ok(false);
    }
    let allowed = match status {
        "COMPLETED" => matches!(before.as_str(), "PROCESSING" | "SENT"),
        "RETURNED" => matches!(before.as_str(), "SENT" | "COMPLETED"),
        _ => matches!(before.as_str(), "PENDING" | "PROCESSING" | "SENT"),
    };
    if !allowed {
        return Err(StoreError::Conflict(format!(
            "payment {payment_id} is {before}; it cannot become {status}"
        )));
    }
    let now = now_text();
    tx.execute(
        q("UPDATE payments SET status = $1, cleared_date = COALESCE($2, cleared_date), failure_code = COALESCE($3, failure_code), failure_reason = COALESCE($4, failure_reason), updated_at = $5, version = version + 1
           WHERE id = $6 AND org_id = $7 AND status = $8")
            .bind(status)
            .bind(cleared.clone())
            .bind(code.clone())
            .bind(reason.clone())
            .bind(&now)
            .bind(payment_id)
            .bind(&actor.org_id)
            .bind(&before),
    )
    .await?;
    let distribution_id = row.text("distribution_id")?;
    let investor_id = row.text("investor_id")?;
    tx.execute(
        q("UPDATE distribution_lines SET status = $1 WHERE distribution_id = $2 AND investor_id = $3 AND org_id = $4")
            .bind(line_status)
            .bind(&distribution_id)
            .bind(&investor_id)
            .bind(&actor.org_id),
    )
    .await?;
    let after = json!({ "status": status, "clearedDate": cleared, "failureCode": code, "failureReason": reason });
    audit::record(
        tx,
        actor,
        Change {
            action: event,
            entity_type: "payment",
            entity_id: payment_id,
            before: Some(json!({ "status": before })),
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        &actor.org_id,
        event,
        "payment",
        payment_id,
        json!({ "paymentId": payment_id, "distributionId": distribution_id, "investorId": investor_id, "result": after }),
    )
    .await?;
    Ok(true)
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
    let row = tx
        .fetch_optional(
            q("SELECT status, cleared_date, distribution_id, investor_id FROM payments WHERE id = $1 AND org_id = $2")
                .bind(payment_id)
                .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("payment"))?;
    let before = row.text("status")?;
    let cleared = row.opt_text("cleared_date")?;
    let (status, line_status, keep_cleared) = match (before.as_str(), &cleared) {
        ("COMPLETED", _) => ("SENT", "PAYMENT_INITIATED", 0i64),
        ("RETURNED", Some(_)) => ("COMPLETED", "PAID", 1),
        ("RETURNED", None) => ("SENT", "PAYMENT_INITIATED", 0),
        _ => {
            return Err(StoreError::Conflict(format!(
                "payment {payment_id} is {before}; only a COMPLETED or RETURNED payment can be reopened"
            )))
        }
    };
    let updated = tx
        .execute(
            q("UPDATE payments SET status = $1, cleared_date = CASE WHEN $2 = 1 THEN cleared_date ELSE NULL END, failure_code = NULL, failure_reason = NULL, updated_at = $3, version = version + 1
               WHERE id = $4 AND org_id = $5 AND status = $6")
                .bind(status)
                .bind(keep_cleared)
                .bind(now_text())
                .bind(payment_id)
                .bind(&actor.org_id)
                .bind(&before),
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
        })?;
    if updated != 1 {
        return Err(StoreError::Conflict(format!(
            "payment {payment_id} changed concurrently"
        )));
    }
    let distribution_id = row.text("distribution_id")?;
    let investor_id = row.text("investor_id")?;
    tx.execute(
        q("UPDATE distribution_lines SET status = $1 WHERE distribution_id = $2 AND investor_id = $3 AND org_id = $4")
            .bind(line_status)
            .bind(&distribution_id)
            .bind(&investor_id)
            .bind(&actor.org_id),
    )
    .await?;
    let after = json!({ "status": status, "reason": reason });
    audit::record(
        tx,
        actor,
        Change {
            action: "payment.reopened",
            entity_type: "payment",
            entity_id: payment_id,
            before: Some(json!({ "status": before, "clearedDate": cleared })),
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        &actor.org_id,
        "payment.reopened",
        "payment",
        payment_id,
        json!({ "paymentId": payment_id, "distributionId": distribution_id, "investorId": investor_id, "result": after }),
    )
    .await?;
    Ok(true)
}
