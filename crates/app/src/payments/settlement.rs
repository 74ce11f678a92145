//! Recording payment outcomes (cleared by the bank, returned, failed): the one way a payment's
//! final outcome is recorded, for reconciliation, return files and provider webhooks. Runs the
//! store's reads, the core's plan and the store's bulk writes in the caller's transaction.

use clearway_core::access::Permission;
use clearway_store::payments::{self as pstore, SettledCounts, Settlement, Settling};
use clearway_store::{Actor, StoreError, Tx};
use tracing::Instrument;

/// Records many outcomes inside `tx`, with exactly the rows that calling [`settle`] once per
/// item, in order, would write: per applied outcome the payment's new status (conditional on
/// the version read), its line's status, a `payment_events` row, an audit entry and an outbox
/// event; then the failure follow-up (automatic retry or review) of failed and returned
/// payments. Items apply in order, so a payment cleared and then returned in one call ends
/// RETURNED with both changes logged. An outcome the payment already has is skipped (counted
/// as unchanged); an unknown payment (not found in the actor's organization) or an outcome the
/// status machine refuses fails the whole call with the error `settle` gives for that item,
/// and nothing is written.
///
/// Set-based: one staged read ([`pstore::settling`]), the plan in memory
/// ([`clearway_core::payments::settlement::plan`]), one `UPDATE … FROM` for payments and one
/// for lines ([`pstore::write_settlements`]), bulk-loaded events, audit entries and outbox
/// rows ([`pstore::log_settlements`]); only the failure follow-up (rare: returns) is per
/// payment ([`pstore::follow_up_failures`]). Each phase is a debug-level `tracing` span.
pub async fn settle_many(
    tx: &mut Tx,
    actor: &Actor,
    items: &[(String, Settlement)],
) -> Result<SettledCounts, StoreError> {
    actor.require(Permission::Operate)?;
    if items.is_empty() {
        return Ok(SettledCounts::default());
    }
    let ids: Vec<&str> = items.iter().map(|(id, _)| id.as_str()).collect();
    let payments = pstore::settling(tx, actor, &ids)
        .instrument(tracing::debug_span!("read"))
        .await?;
    settle_read(tx, actor, payments, items).await
}

/// [`settle_many`] for a caller that has already read, inside `tx`, the payments of `items`
/// (as [`pstore::settling`] reads them; others may be among them): a matching run reads them
/// with its candidates, and reading a million again cost seconds. The write stays
/// conditional on the versions read, so a payment changed since refuses the whole call.
pub async fn settle_read(
    tx: &mut Tx,
    actor: &Actor,
    mut payments: Vec<Settling>,
    items: &[(String, Settlement)],
) -> Result<SettledCounts, StoreError> {
    actor.require(Permission::Operate)?;
    if items.is_empty() {
        return Ok(SettledCounts::default());
    }
    let span = tracing::debug_span!("settle_many", items = items.len());
    async move {
        let plan = tracing::debug_span!("plan")
            .in_scope(|| pstore::plan_settlements(&mut payments, items))?;
        if plan.steps.is_empty() {
            return Ok(plan.counts);
        }
        pstore::write_settlements(tx, actor, &payments, &plan)
            .instrument(tracing::debug_span!("write", payments = plan.touched.len()))
            .await?;
        pstore::log_settlements(tx, actor, &payments, &plan)
            .instrument(tracing::debug_span!("events_audit_outbox"))
            .await?;
        pstore::follow_up_failures(tx, actor, &payments, &plan)
            .instrument(tracing::debug_span!("after_failure"))
            .await?;
        // A returned payment whose line was reversed: the money is back, the receivable closes.
        super::reversed::close_returned(tx, actor).await?;
        tracing::debug!(
            applied = plan.counts.applied,
            unchanged = plan.counts.unchanged,
            "payment outcomes settled"
        );
        Ok(plan.counts)
    }
    .instrument(span)
    .await
}

/// Records one payment's outcome inside `tx` (operators, admins and the system actor): the
/// same path as [`settle_many`] with one item. Settling a payment that already has this
/// outcome is a no-op (returns `false`).
pub async fn settle(
    tx: &mut Tx,
    actor: &Actor,
    payment_id: &str,
    settlement: &Settlement,
) -> Result<bool, StoreError> {
    let counts = settle_many(tx, actor, &[(payment_id.to_string(), settlement.clone())]).await?;
    Ok(counts.applied == 1)
}
