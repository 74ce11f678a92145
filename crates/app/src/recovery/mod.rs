//! Recovering money after a reversal: receivables opened when a reversal is processed,
//! offsets against the investor's later distributions, collections recorded by hand, write-offs,
//! ACH reversing entries, and reconciliation clearing an expected recovery.
//!
//! # Layout
//! - this file: the processing hook [`step`] and the shared trail of a receivable change.
//! - [`receivables`]: opening receivables when a reversal is processed.
//! - [`offset`]: offsetting a later distribution's cash against open receivables.
//! - [`collect`]: wires and checks recorded by hand; write-offs.
//! - [`ach`]: the NACHA reversing entry of an erroneous ACH credit.
//! - [`reconcile`]: a bank statement credit clearing an expected recovery.
//! - [`returned`]: an original payment that came back closes its receivable.

pub mod ach;
pub mod collect;
pub mod offset;
pub mod receivables;
pub mod reconcile;
pub mod returned;

use clearway_core::distribution::Kind;
use clearway_store::audit::{self, Change};
use clearway_store::distributions::Distribution;
use clearway_store::recovery::Receivable;
use clearway_store::{outbox, Actor, StoreError, Tx};
use serde_json::{json, Value};

use crate::jobs::JobError;

pub use offset::offset_lines;
pub use receivables::open_receivables;

/// Processing step between reinvestment and payments, in the processing transaction: a
/// reversal turns the cash its lines undo into receivables (or nothing owed); any other
/// distribution paying cash first offsets what its investors owe.
pub async fn step(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), JobError> {
    match d.kind {
        Kind::Reversal => open_receivables(tx, actor, d).await?,
        _ => offset_lines(tx, actor, d).await?,
    }
    Ok(())
}

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
pub(crate) async fn trail(
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
