//! The audit entry and event of a receivable change, written in the caller's transaction (as
//! the payments store logs its settlements): shared by the recovery services and by payments,
//! which close a receivable when its original payment comes back.

use serde_json::{json, Value};

use super::Receivable;
use crate::audit::{self, Change};
use crate::{outbox, Actor, StoreError, Tx};

/// A receivable as an audit entry and event body sees it.
pub fn body(r: &Receivable) -> Value {
    let f = |m: i64| r.currency.format_minor(m);
    json!({
        "receivableId": r.id,
        "investorId": r.investor_id,
        "originalDistributionId": r.original_distribution_id,
        "reversalDistributionId": r.reversal_distribution_id,
        "originalPaymentId": r.original_payment_id,
        "currency": r.currency.code(),
        "amount": f(r.amount_minor),
        "outstanding": f(r.outstanding_minor),
        "expected": f(r.expected_minor),
        "writtenOff": f(r.written_off_minor),
        "status": r.status.as_str(),
        "method": r.method.as_str(),
    })
}

/// Audits a receivable change and emits its event, in `tx`.
pub async fn trail(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    event: &str,
    before: Option<&Receivable>,
    after: &Receivable,
    extra: Value,
) -> Result<(), StoreError> {
    let mut after_body = body(after);
    if let (Value::Object(map), Value::Object(more)) = (&mut after_body, extra) {
        map.extend(more);
    }
    audit::record(
        tx,
        actor,
        Change {
            action,
            entity_type: "receivable",
            entity_id: &after.id,
            before: before.map(body),
            after: Some(after_body.clone()),
        },
    )
    .await?;
    outbox::emit(tx, actor, event, "receivable", &after.id, after_body).await?;
    Ok(())
}
