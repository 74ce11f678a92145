//! The invariant "nothing waits with nothing pointing at it": every payment not yet sent is
//! either moved by a live job (its rail job, its provider send, its retry) or sits in the
//! review queue with a reason. [`orphans`] lists the exceptions (none, when all is well);
//! [`hold_after_dead_job`] is the safety net that keeps it so when a payment job dies.

use clearway_core::payments::{Method, PaymentStatus};
use clearway_store::audit::{self, Change};
use clearway_store::jobs::Job;
use clearway_store::payments::{self as pstore, Payment};
use clearway_store::{outbox, Actor, Db, StoreError, Tx};
use serde_json::json;

use super::rails;

/// A job error as kept in a review reason: the first 300 characters.
const REASON_CHARS: usize = 300;

/// PENDING/PROCESSING payments of the actor's organization (or of one distribution) with no
/// hold or review reason and no live job that will move them, at most `limit`, by id.
pub async fn orphans(
    db: &Db,
    actor: &Actor,
    distribution_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Payment>, StoreError> {
    let mut tx = db.begin().await?;
    let out = pstore::orphans(&mut tx, actor, distribution_id, limit).await?;
    tx.commit().await?;
    Ok(out)
}

/// Called, in the transaction that parks a `payment.*` job as DEAD (failed for good or out
/// of retries): the payments it would have moved are put in the review queue with the job's
/// error (`RAIL_FAILED: …`), audited and emitted, so none is left PENDING with nothing
/// pointing at it. Returns how many payments were held or flagged.
pub async fn hold_after_dead_job(tx: &mut Tx, job: &Job, error: &str) -> Result<u64, StoreError> {
    let actor = Actor::system(&job.org_id);
    let short: String = error.chars().take(REASON_CHARS).collect();
    let reason = format!("RAIL_FAILED: {}: {short}", job.kind);
    let text = |field: &str| job.payload.get(field).and_then(|v| v.as_str());
    let ids: Vec<String> = match (job.kind.as_str(), text("distributionId"), text("paymentId")) {
        (rails::ACH_JOB | rails::WIRE_JOB | rails::CHECK_JOB, Some(d), _) => {
            let method = match job.kind.as_str() {
                rails::ACH_JOB => Method::Ach,
                rails::WIRE_JOB => Method::Wire,
                _ => Method::Check,
            };
            let pending = pstore::pending_for_rail(tx, &actor, d, method, None).await?;
            let ids: Vec<String> = pending.into_iter().map(|p| p.id).collect();
            pstore::hold_for_review(tx, &actor, &ids, &reason).await?;
            ids
        }
        (_, _, Some(id)) => flag_one(tx, &actor, id, &reason).await?,
        _ => Vec::new(),
    };
    if ids.is_empty() {
        return Ok(0);
    }
    let after = json!({ "jobId": job.id, "kind": job.kind, "error": short, "payments": ids.len(), "paymentIds": ids.iter().take(100).collect::<Vec<_>>() });
    audit::record(
        tx,
        &actor,
        Change {
            action: "payments.hold_after_failed_job",
            entity_type: "job",
            entity_id: &job.id,
            before: None,
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(tx, &actor, "payments.held", "job", &job.id, after).await?;
    // why: a count of payments in memory fits a u64
    Ok(ids.len() as u64)
}

/// One payment a dead send or retry job named: held when PENDING, flagged for review when
/// PROCESSING (its outcome at the provider unknown) or FAILED without a reason (its retry
/// died). Returns its id when it was changed.
async fn flag_one(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    reason: &str,
) -> Result<Vec<String>, StoreError> {
    let p = match pstore::get_tx(tx, actor, id).await {
        Ok(p) => p,
        Err(StoreError::NotFound(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let changed = match p.status {
        PaymentStatus::Pending if p.hold_reason.is_none() => {
            pstore::hold_for_review(tx, actor, std::slice::from_ref(&p.id), reason).await? == 1
        }
        PaymentStatus::Processing | PaymentStatus::Failed if p.review_reason.is_none() => {
            pstore::set_review(tx, actor, &p.id, Some(reason)).await?;
            true
        }
        _ => false,
    };
    Ok(if changed { vec![p.id] } else { Vec::new() })
}
