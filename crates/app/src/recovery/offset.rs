//! Offsetting a later distribution's cash against what its investors owe.
//!
//! Before payments are created (processing, after reinvestment), each line paying cash to an
//! investor with open receivables recovered by offset, in the distribution's currency and
//! organization, gives up as much of its cash as they owe, oldest receivable first. The line
//! keeps its cash part (total = reinvested + cash + withholding still ties out) and records
//! the offset; its payment carries cash − offset, and a line offset in full is OFFSET with no
//! payment. Each offset is a recovery row (method OFFSET, the distribution), audited.

use std::collections::HashMap;

use clearway_core::distribution::Kind;
use clearway_core::recovery::{plan_offsets, status_of, Owed};
use clearway_store::distributions::Distribution;
use clearway_store::recovery::{self as store, Amounts, NewRecovery, Receivable};
use clearway_store::{Actor, StoreError, Tx};
use serde_json::json;

/// Offsets the cash of `d`'s lines against open receivables (see the module docs), in `tx`.
pub async fn offset_lines(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), StoreError> {
    if d.kind == Kind::Reversal || d.total_minor <= 0 {
        return Ok(());
    }
    // Usually nobody owes anything: one indexed read, and the lines are not scanned.
    let open = store::open_for_offset(tx, actor, d.currency.code()).await?;
    if open.is_empty() {
        return Ok(());
    }
    let lines = store::lines_to_offset(tx, actor, &d.id, d.currency.code()).await?;
    let mut owed: HashMap<String, Vec<Receivable>> = HashMap::new();
    for r in open {
        owed.entry(r.investor_id.clone()).or_default().push(r);
    }
    for line in &lines {
        let Some(theirs) = owed.get(&line.investor_id) else {
            continue;
        };
        let plan: Vec<Owed> = theirs
            .iter()
            .map(|r| Owed {
                id: r.id.clone(),
                outstanding: r.outstanding_minor,
            })
            .collect();
        let takes = plan_offsets(line.cash_minor, &plan);
        let Some((first, _)) = takes.first().cloned() else {
            continue;
        };
        let mut total = 0;
        for (id, amount) in &takes {
            // why: plan_offsets only names receivables it was given
            let Some(r) = theirs.iter().find(|r| &r.id == id) else {
                continue;
            };
            take(tx, actor, d, r, *amount).await?;
            total += amount;
        }
        store::set_line_offset(tx, actor, &d.id, &line.investor_id, total, &first).await?;
    }
    Ok(())
}

/// Records one offset of `amount` from `d` against receivable `r`.
async fn take(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    r: &Receivable,
    amount: i64,
) -> Result<(), StoreError> {
    let recovery = store::insert_recovery(
        tx,
        actor,
        &NewRecovery {
            receivable_id: r.id.clone(),
            investor_id: r.investor_id.clone(),
            method: Some(clearway_core::recovery::RecoveryMethod::Offset),
            received: true,
            amount_minor: amount,
            distribution_id: Some(d.id.clone()),
            received_date: Some(d.schedule.payable.to_string()),
            ..NewRecovery::default()
        },
    )
    .await?;
    let outstanding = r.outstanding_minor - amount;
    let after = store::update(
        tx,
        actor,
        r,
        &Amounts {
            outstanding_minor: outstanding,
            expected_minor: r.expected_minor,
            written_off_minor: r.written_off_minor,
            status: status_of(r.amount_minor, outstanding, r.expected_minor),
            method: r.method,
            write_off_reason: r.write_off_reason.clone(),
        },
    )
    .await?;
    super::trail(
        tx,
        actor,
        "receivable.recover",
        "receivable.recovered",
        Some(r),
        &after,
        json!({ "recoveryId": recovery.id, "recoveryMethod": "OFFSET", "recovered": r.currency.format_minor(amount), "distributionId": d.id }),
    )
    .await
}
