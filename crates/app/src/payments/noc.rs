//! Payee corrections suggested by notifications of change: accept (the payee is replaced,
//! its payments held or re-queued) or reject, each in one transaction.

use clearway_store::audit::{self, Change};
use clearway_store::bank_accounts::{self as bstore, BankAccount, PayeeDetails};
use clearway_store::payment_batches::{self as batches, Suggestion};
use clearway_store::payments as pstore;
use clearway_store::{outbox, Actor, Db};
use serde_json::json;

use super::service;
use crate::AppResult;

/// Accepts a suggested correction: the payee gets the corrected details (verified: the
/// correction comes from the investor's own bank), its pending payments are held, failed
/// ones re-queued if it is the default payee; audited and announced
/// (`bank_account.changed`). `view` renders a payee in the audit entry and the event.
/// Returns the corrected payee.
pub async fn accept(db: &Db, actor: &Actor, suggestion_id: &str) -> AppResult<BankAccount> {
    let view = super::bank_accounts::masked_view;
    let mut tx = db.begin().await?;
    let s = batches::suggestion_tx(&mut tx, actor, suggestion_id).await?;
    let payee = bstore::by_id_tx(&mut tx, actor, &s.bank_account_id).await?;
    let details = PayeeDetails {
        method: payee.method,
        holder_name: payee.holder_name.clone(),
        currency: payee.currency.clone(),
        routing_number: s.routing_number.clone().or(payee.routing_number.clone()),
        account_type: s.account_type.clone().or(payee.account_type.clone()),
        account: s.account.clone().or(payee.account.clone()),
        bic: payee.bic.clone(),
        bank_name: payee.bank_name.clone(),
        bank_address: payee.bank_address.clone(),
        address: payee.address.clone(),
    };
    // The correction comes from the investor's own bank: the corrected payee is verified.
    let (before, after) = bstore::replace(
        &mut tx,
        actor,
        &payee.investor_id,
        &payee.id,
        &details,
        Some("NOC"),
    )
    .await?;
    batches::decide(&mut tx, actor, suggestion_id, "ACCEPTED").await?;
    let held = pstore::hold_for_payee(&mut tx, actor, &payee.id, "BANK_DETAILS_CHANGED").await?;
    let requeued = if after.is_default {
        service::requeue_for_investor(&mut tx, actor, &payee.investor_id).await?
    } else {
        Vec::new()
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "bank_account.noc_accept",
            entity_type: "bank_account",
            entity_id: &payee.id,
            before: Some(view(&before)),
            after: Some(view(&after)),
        },
    )
    .await?;
    outbox::emit(&mut tx, actor, "bank_account.changed", "bank_account", &payee.id, json!({ "bankAccount": view(&after), "changeCode": s.change_code, "heldPayments": held, "requeuedPayments": requeued })).await?;
    tx.commit().await?;
    Ok(after)
}

/// Rejects a suggested correction (audited). Returns the suggestion as decided.
pub async fn reject(db: &Db, actor: &Actor, suggestion_id: &str) -> AppResult<Suggestion> {
    let mut tx = db.begin().await?;
    batches::suggestion_tx(&mut tx, actor, suggestion_id).await?;
    batches::decide(&mut tx, actor, suggestion_id, "REJECTED").await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "payee_change.reject",
            entity_type: "payee_change",
            entity_id: suggestion_id,
            before: None,
            after: Some(json!({ "status": "REJECTED" })),
        },
    )
    .await?;
    let s = batches::suggestion_tx(&mut tx, actor, suggestion_id).await?;
    tx.commit().await?;
    Ok(s)
}
