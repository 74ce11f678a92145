//! The JSON recorded in audit entries and outbox events of reconciliation (the same shapes
//! the API shows, without the decimal amount twins).

use clearway_store::reconciliation::{MatchRecord, RunSummary};
use serde_json::{json, Value};

/// A run as recorded in its audit entry and `reconciliation.run_completed` event.
pub fn run_json(r: &RunSummary) -> Value {
    json!({
        "id": r.id,
        "trigger": r.trigger,
        "linesConsidered": r.lines_considered,
        "paymentsConsidered": r.payments_considered,
        "matchedLines": r.matched_lines,
        "returnedLines": r.returned_lines,
        "exceptions": r.exceptions,
        "startedAt": r.started_at,
        "finishedAt": r.finished_at,
    })
}

/// A match as recorded in audit entries and `reconciliation.matched`/`unmatched` events.
pub fn match_json(m: &MatchRecord) -> Value {
    json!({
        "id": m.id,
        "kind": m.kind,
        "outcome": m.outcome,
        "score": m.score,
        "reasons": m.reasons,
        "accountId": m.account_id,
        "currency": m.currency.code(),
        "amountMinor": m.amount_minor,
        "valueDate": m.value_date.to_string(),
        "live": m.live,
        "lineIds": m.line_ids,
        "paymentIds": m.payment_ids,
        "runId": m.run_id,
        "createdBy": m.created_by,
        "createdAt": m.created_at,
        "undoneBy": m.undone_by,
        "undoneAt": m.undone_at,
        "undoReason": m.undo_reason,
    })
}
