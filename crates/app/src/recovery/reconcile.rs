//! A bank statement credit clearing an expected recovery.
//!
//! Called at the start of every matching run (before the matcher sees the lines): an open
//! credit line of exactly the expected amount, in the receivable's currency, that quotes the
//! reversing entry's trace number is the money coming back. The recovery is RECEIVED on the
//! line's value date, the receivable reduced (RECOVERED when nothing is left), the line
//! MATCHED, all audited. Lines are never offered to the matcher afterwards, so a returned
//! credit of the same amount cannot be mistaken for the original payment's return.

use clearway_core::recovery::status_of;
use clearway_store::recovery::{self as store, Amounts};
use clearway_store::{Actor, StoreError, Tx};
use serde_json::json;

/// Clears the expected recoveries the organization's open credit lines pay; returns how many.
pub async fn clear_expected(tx: &mut Tx, actor: &Actor) -> Result<usize, StoreError> {
    let expected = store::expected_recoveries(tx, actor).await?;
    let mut cleared = 0;
    let mut taken: Vec<String> = Vec::new();
    for x in &expected {
        let lines = store::credit_lines_of(tx, actor, x.amount_minor).await?;
        let Some(line) = lines.into_iter().find(|l| {
            l.currency == x.currency && l.text.contains(&x.reference) && !taken.contains(&l.id)
        }) else {
            continue;
        };
        let current = store::get_tx(tx, actor, &x.receivable_id).await?;
        if !store::mark_received(tx, actor, &x.id, &line.value_date.to_string()).await? {
            continue;
        }
        store::mark_line_recovered(tx, actor, &line.id).await?;
        let outstanding = current.outstanding_minor - x.amount_minor;
        let expected_left = (current.expected_minor - x.amount_minor).max(0);
        let after = store::update(
            tx,
            actor,
            &current,
            &Amounts {
                outstanding_minor: outstanding,
                expected_minor: expected_left,
                written_off_minor: current.written_off_minor,
                status: status_of(current.amount_minor, outstanding, expected_left),
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
            json!({ "recoveryId": x.id, "recoveryMethod": current.method.as_str(), "recovered": current.currency.format_minor(x.amount_minor), "statementLineId": line.id, "receivedDate": line.value_date }),
        )
        .await?;
        taken.push(line.id);
        cleared += 1;
    }
    Ok(cleared)
}
