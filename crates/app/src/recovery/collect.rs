//! Money owed back, collected by wire or check and recorded by hand; write-offs.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::recovery::{status_of, ReceivableStatus, RecoveryMethod};
use clearway_store::recovery::{self as store, Amounts, NewRecovery, Receivable, Recovery};
use clearway_store::{Actor, Tx};
use serde_json::json;

use crate::{AppError, AppResult};

/// A collection to record.
#[derive(Debug, Clone)]
pub struct Collection {
    /// WIRE or CHECK.
    pub method: RecoveryMethod,
    /// Amount in the receivable's currency, minor units (> 0, ≤ what may still be collected).
    pub amount_minor: i64,
    /// Day the money arrived.
    pub received_date: NaiveDate,
    /// The payer's reference (wire reference, check number).
    pub reference: String,
}

/// Records a collection against receivable `id` (operators and admins), reducing it; audited.
pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    c: &Collection,
) -> AppResult<(Receivable, Recovery)> {
    actor.require(Permission::Operate)?;
    let current = store::get_tx(tx, actor, id).await?;
    if !matches!(c.method, RecoveryMethod::Wire | RecoveryMethod::Check) {
        return Err(AppError::field("method", "must be WIRE or CHECK"));
    }
    if !current.status.is_open() && current.status != ReceivableStatus::Recovering {
        return Err(AppError::conflict(format!(
            "the receivable is {}; nothing is left to collect",
            current.status
        )));
    }
    let collectable = current.outstanding_minor - current.expected_minor;
    if c.amount_minor > collectable {
        return Err(AppError::field(
            "amount",
            format!(
                "must not exceed what is still owed and not already on its way back ({})",
                current.currency.format_minor(collectable)
            ),
        ));
    }
    let recovery = store::insert_recovery(
        tx,
        actor,
        &NewRecovery {
            receivable_id: current.id.clone(),
            investor_id: current.investor_id.clone(),
            method: Some(c.method),
            received: true,
            amount_minor: c.amount_minor,
            received_date: Some(c.received_date.to_string()),
            reference: Some(c.reference.clone()),
            ..NewRecovery::default()
        },
    )
    .await?;
    let outstanding = current.outstanding_minor - c.amount_minor;
    let after = store::update(
        tx,
        actor,
        &current,
        &Amounts {
            outstanding_minor: outstanding,
            expected_minor: current.expected_minor,
            written_off_minor: current.written_off_minor,
            status: status_of(current.amount_minor, outstanding, current.expected_minor),
            method: current.method,
            write_off_reason: None,
        },
    )
    .await?;
    super::trail(
        tx,
        actor,
        "receivable.recover",
        "receivable.recovered",
        Some(&current),
        &after,
        json!({ "recoveryId": recovery.id, "recoveryMethod": c.method.as_str(), "recovered": current.currency.format_minor(c.amount_minor), "reference": c.reference, "receivedDate": c.received_date }),
    )
    .await?;
    Ok((after, recovery))
}

/// Writes off what is still owed on receivable `id` (approvers and admins), with a reason.
pub async fn write_off(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    reason: &str,
) -> AppResult<Receivable> {
    actor.require(Permission::Approve)?;
    if reason.trim().is_empty() {
        return Err(AppError::field("reason", "must not be empty"));
    }
    let current = store::get_tx(tx, actor, id).await?;
    if !current.status.is_open() {
        return Err(AppError::conflict(format!(
            "the receivable is {}; only an OPEN or PARTIALLY_RECOVERED receivable can be written off",
            current.status
        )));
    }
    let after = store::update(
        tx,
        actor,
        &current,
        &Amounts {
            outstanding_minor: 0,
            expected_minor: 0,
            written_off_minor: current.written_off_minor + current.outstanding_minor,
            status: ReceivableStatus::WrittenOff,
            method: current.method,
            write_off_reason: Some(reason.to_string()),
        },
    )
    .await?;
    super::trail(
        tx,
        actor,
        "receivable.write_off",
        "receivable.written_off",
        Some(&current),
        &after,
        json!({ "reason": reason }),
    )
    .await?;
    Ok(after)
}
