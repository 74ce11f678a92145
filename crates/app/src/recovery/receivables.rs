//! Opening receivables when a reversal is processed.
//!
//! For each reversal line still PENDING, the original line's live payment decides: money that
//! left (SENT, COMPLETED, or being handed over) becomes a receivable for its fund-currency
//! amount; a payment still PENDING is cancelled instead (money that never left is not
//! recovered, and the rail no longer picks it up). Cash of the original line that settled an
//! earlier receivable by offset left too, and is owed back with it. The reversal's lines then
//! point at their receivable (RECEIVABLE) or are NOTHING_OWED. Re-running finds no PENDING
//! line and does nothing; the unique key (reversal, investor) guards the rows too.

use clearway_core::payments::PaymentStatus;
use clearway_store::audit::{self, Change};
use clearway_store::distributions::Distribution;
use clearway_store::payments::{self as pstore, Update};
use clearway_store::recovery::{self as store, NewReceivable, ReversedLine};
use clearway_store::{outbox, Actor, StoreError, Tx};
use serde_json::json;

/// Opens the receivables of reversal `d` (see the module docs), in `tx`.
pub async fn open_receivables(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
) -> Result<(), StoreError> {
    let Some(original) = d.reverses_id.clone() else {
        return Ok(());
    };
    let lines = store::reversed_lines_tx(tx, actor, &d.id).await?;
    let mut new = Vec::new();
    for line in &lines {
        let left = match &line.payment {
            Some((id, PaymentStatus::Pending, _)) => {
                cancel_unsent(tx, actor, id, d).await?;
                0
            }
            Some((_, _, fund_amount)) => *fund_amount,
            None => 0,
        };
        let amount = left + line.original_offset_minor;
        if amount > 0 {
            new.push(receivable_for(line, &original, d, amount));
        }
    }
    let opened = store::insert_receivables(tx, actor, &new).await?;
    for r in &opened {
        super::trail(
            tx,
            actor,
            "receivable.open",
            "receivable.opened",
            None,
            r,
            json!({}),
        )
        .await?;
    }
    store::settle_reversal_lines(tx, actor, &d.id).await?;
    Ok(())
}

fn receivable_for(
    line: &ReversedLine,
    original: &str,
    d: &Distribution,
    amount: i64,
) -> NewReceivable {
    NewReceivable {
        investor_id: line.investor_id.clone(),
        original_distribution_id: original.to_string(),
        reversal_distribution_id: d.id.clone(),
        original_payment_id: line.payment.as_ref().map(|(id, _, _)| id.clone()),
        currency: d.currency,
        amount_minor: amount,
    }
}

/// Cancels an original payment that has not left yet, audited and emitted.
async fn cancel_unsent(
    tx: &mut Tx,
    actor: &Actor,
    payment_id: &str,
    reversal: &Distribution,
) -> Result<(), StoreError> {
    let current = pstore::get_tx(tx, actor, payment_id).await?;
    let reason = format!(
        "the line was reversed (distribution {}) before the payment left",
        reversal.id
    );
    let cancelled = pstore::transition(
        tx,
        actor,
        &current,
        PaymentStatus::Cancelled,
        &Update {
            code: Some("REVERSED".into()),
            reason: Some(reason.clone()),
            ..Update::default()
        },
    )
    .await?;
    let body = json!({ "paymentId": cancelled.id, "distributionId": cancelled.distribution_id, "investorId": cancelled.investor_id, "status": cancelled.status.as_str(), "reversalId": reversal.id, "reason": reason });
    audit::record(
        tx,
        actor,
        Change {
            action: "payment.cancel",
            entity_type: "payment",
            entity_id: &cancelled.id,
            before: Some(json!({ "paymentId": current.id, "status": current.status.as_str() })),
            after: Some(body.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "payment.cancelled",
        "payment",
        &cancelled.id,
        body,
    )
    .await?;
    Ok(())
}
