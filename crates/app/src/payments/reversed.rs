//! An original payment that came back after its line was reversed.
//!
//! When the bank returns (or fails) the payment a receivable was opened for, the money is
//! back: the receivable is reduced by that payment's amount with a RETURNED recovery (RECOVERED
//! when nothing is left). Whatever was already recovered beyond what is still owed is now owed
//! to the investor; the audit entry and event carry it as `refundDue` for a person to pay back.
//! Called after every recording of payment outcomes ([`crate::payments::settle_many`]); it lives
//! with payments so that settling never depends on the recovery services.

use clearway_core::recovery::{status_of, RecoveryMethod};
use clearway_store::recovery::{self as store, Amounts, NewRecovery};
use clearway_store::{Actor, StoreError, Tx};
use serde_json::json;

/// Closes the open receivables whose original payment came back; returns how many.
pub async fn close_returned(tx: &mut Tx, actor: &Actor) -> Result<usize, StoreError> {
    let found = store::returned_originals(tx, actor).await?;
    for (current, returned) in &found {
        let taken = (*returned).min(current.outstanding_minor);
        let refund_due = returned - taken;
        if taken > 0 {
            store::insert_recovery(
                tx,
                actor,
                &NewRecovery {
                    receivable_id: current.id.clone(),
                    investor_id: current.investor_id.clone(),
                    method: Some(RecoveryMethod::Returned),
                    received: true,
                    amount_minor: taken,
                    received_date: Some(chrono::Utc::now().date_naive().to_string()),
                    reference: current.original_payment_id.clone(),
                    ..NewRecovery::default()
                },
            )
            .await?;
        }
        let outstanding = current.outstanding_minor - taken;
        let after = store::update(
            tx,
            actor,
            current,
            &Amounts {
                outstanding_minor: outstanding,
                expected_minor: current.expected_minor,
                written_off_minor: current.written_off_minor,
                status: status_of(current.amount_minor, outstanding, current.expected_minor),
                method: current.method,
                write_off_reason: current.write_off_reason.clone(),
            },
        )
        .await?;
        if refund_due > 0 {
            tracing::warn!(receivable_id = %current.id, refund_due, "an original payment came back after part of its receivable was recovered: the investor is owed the difference");
        }
        clearway_store::recovery::trail(
            tx,
            actor,
            "receivable.recover",
            "receivable.recovered",
            Some(current),
            &after,
            json!({ "recoveryMethod": "RETURNED", "recovered": current.currency.format_minor(taken), "refundDue": current.currency.format_minor(refund_due) }),
        )
        .await?;
    }
    Ok(found.len())
}
