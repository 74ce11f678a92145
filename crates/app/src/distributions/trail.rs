//! The audit entry and outbox event of a change to a distribution.

use clearway_store::audit::{self, Change};
use clearway_store::distributions::Distribution;
use clearway_store::{outbox, Actor, Tx};
use serde_json::{json, Value};

use crate::AppResult;

/// The JSON of `d` in its audit entries and events: the same object as the API's
/// distribution view (the server's tests hold the two equal).
pub fn snapshot(d: &Distribution) -> Value {
    json!({
        "id": d.id,
        "fundId": d.fund_id,
        "kind": d.kind.as_str(),
        "status": d.status.as_str(),
        "currency": d.currency.code(),
        "declarationDate": d.schedule.declaration.to_string(),
        "exDate": d.schedule.ex.map(|x| x.to_string()),
        "recordDate": d.schedule.record.to_string(),
        "payableDate": d.schedule.payable.to_string(),
        "description": d.description,
        "allocation": d.allocation,
        "totalAmount": d.currency.format_minor(d.total_minor),
        "lineCount": d.line_count,
        "reversesId": d.reverses_id,
        "correctsId": d.corrects_id,
        "reason": d.reason,
        "createdBy": d.created_by,
        "approvedBy": d.approved_by,
        "approvedAt": d.approved_at,
        "createdAt": d.created_at,
        "updatedAt": d.updated_at,
        "version": d.version,
        "holdingsFingerprint": d.holdings_fingerprint,
        "stale": d.stale_reason.is_some(),
        "staleReason": d.stale_reason,
        "shareClass": d.share_class,
        "classGroupId": d.class_group_id,
    })
}

/// Writes the audit entry and outbox event of a change to a distribution.
pub async fn trail(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    event: &str,
    before: Option<&Distribution>,
    after: &Distribution,
) -> AppResult<()> {
    let after_json = snapshot(after);
    audit::record(
        tx,
        actor,
        Change {
            action,
            entity_type: "distribution",
            entity_id: &after.id,
            before: before.map(snapshot),
            after: Some(after_json.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        event,
        "distribution",
        &after.id,
        json!({ "distribution": after_json, "actorId": actor.user_id }),
    )
    .await?;
    Ok(())
}
