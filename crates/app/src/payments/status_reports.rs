//! Applying a pain.002 payment status report (the bank's answer to our pain.001) to our
//! wires, in one transaction with its audit entries and outbox event, once per file.
//!
//! Each reported transaction is found by its `OrgnlEndToEndId` among the organization's wire
//! payments. A payment-information block stated without its transactions (`PmtInfSts` only)
//! applies its status to every wire of the block, and a report that lists neither applies a
//! group status to every wire of the original message (our pain.001 message id is the batch
//! id without hyphens); a block whose wires cannot be told is reported unmatched. Then:
//! - `RJCT`: the payment fails with the reason code and text through the settlement path,
//!   which also decides the follow-up (retry or review), exactly as for a failed provider
//!   payment;
//! - `ACSC`/`ACCC`: the payment settles (COMPLETED) through the same path, value date the
//!   report's creation day;
//! - accepted or pending (`ACCP`, `ACTC`, `ACSP`, `ACWC`, `ACWP`, `PDNG`, `RCVD`): recorded in
//!   the payment's history and audit, status unchanged.
//!
//! Unknown end-to-end ids, and amounts or currencies that disagree with our payment, are
//! reported as unmatched with the reason and change nothing.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::payments::PaymentStatus as Status;
use clearway_formats::iso20022::pain002::{self, Outcome, StatusReason, StatusReport};
use clearway_store::audit::{self, Change};
use clearway_store::payments::status_reports::{self as store, Item, NewItem, NewReport, Report};
use clearway_store::payments::{self as pstore, Payment, Settlement};
use clearway_store::{outbox, Actor, Db, StoreError, Tx};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{AppError, AppResult};

/// What importing a report did.
#[derive(Debug, Clone)]
pub struct StatusReportOutcome {
    /// True when the same file was imported before: nothing was changed or added.
    pub duplicate: bool,
    /// The stored report (the earlier one for a duplicate).
    pub report: Report,
    /// Per transaction, what it did.
    pub items: Vec<Item>,
}

/// Reads and applies a pain.002 file in one transaction (operators and admins).
pub async fn import(db: &Db, actor: &Actor, bytes: &[u8]) -> AppResult<StatusReportOutcome> {
    actor.require(Permission::Operate)?;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| AppError::field("file", "is not UTF-8 text (a pain.002 is UTF-8 XML)"))?;
    let report = pain002::read(text).map_err(|e| {
        AppError::field("file", clearway_core::input::printable(&e.to_string(), 500))
    })?;
    let sha256 = hex::encode(Sha256::digest(bytes));
    let mut tx = db.begin().await?;
    let out = apply(&mut tx, actor, &report, &sha256).await?;
    tx.commit().await?;
    Ok(out)
}

/// One transaction to apply: what the report says, and our payment when already known.
struct Target {
    end_to_end_id: Option<String>,
    instruction_id: Option<String>,
    status: Option<pain002::PaymentStatus>,
    reasons: Vec<StatusReason>,
    amount: Option<rust_decimal::Decimal>,
    currency: Option<String>,
    line: usize,
    payment: Option<Payment>,
    /// Why it cannot be applied, known before any lookup.
    unmappable: Option<String>,
}

/// Applies `report` inside `tx`; a file already imported (same SHA-256) changes nothing.
pub async fn apply(
    tx: &mut Tx,
    actor: &Actor,
    report: &StatusReport,
    sha256: &str,
) -> AppResult<StatusReportOutcome> {
    let new = NewReport {
        sha256: sha256.to_string(),
        message_id: report.message_id.clone(),
        original_message_id: report.original_message_id.clone(),
        original_message_name: report.original_message_name.clone(),
        group_status: report.group_status.map(|s| s.code().to_string()),
    };
    let Some(id) = store::claim(tx, actor, &new).await? else {
        let (report, items) = store::by_sha256(tx, actor, sha256)
            .await?
            .ok_or(StoreError::NotFound("status report"))?;
        return Ok(StatusReportOutcome {
            duplicate: true,
            report,
            items,
        });
    };
    let value_date = report
        .created_at
        .as_deref()
        .and_then(|t| t.get(..10))
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut items = Vec::new();
    for t in targets(tx, actor, report).await? {
        items.push(apply_one(tx, actor, report, t, value_date).await?);
    }
    store::finish(tx, actor, &id, &items).await?;
    let count = |o: &str| items.iter().filter(|i| i.outcome == o).count();
    let summary = json!({
        "messageId": report.message_id, "originalMessageId": report.original_message_id,
        "groupStatus": new.group_status, "sha256": sha256, "transactions": items.len(),
        "applied": count("APPLIED"), "recorded": count("RECORDED"),
        "unchanged": count("UNCHANGED"), "unmatched": count("UNMATCHED"),
    });
    audit::record(
        tx,
        actor,
        Change {
            action: "payments.status_report_import",
            entity_type: "payment_status_report",
            entity_id: &id,
            before: None,
            after: Some(summary.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "payment.status_report.imported",
        "payment_status_report",
        &id,
        summary,
    )
    .await?;
    let (report, items) = store::by_sha256(tx, actor, sha256)
        .await?
        .ok_or(StoreError::NotFound("status report"))?;
    Ok(StatusReportOutcome {
        duplicate: false,
        report,
        items,
    })
}

/// The transactions the report speaks about. A payment-information block that lists none
/// speaks with its own status about every wire of that block; with neither, a group status
/// (other than `PART`) speaks about every wire of the original message.
async fn targets(tx: &mut Tx, actor: &Actor, r: &StatusReport) -> AppResult<Vec<Target>> {
    let mut out: Vec<Target> = r
        .transactions()
        .map(|t| Target {
            end_to_end_id: t.original_end_to_end_id.clone(),
            instruction_id: t.original_instruction_id.clone(),
            status: t.status,
            reasons: t.reasons.clone(),
            amount: t.amount,
            currency: t.currency.clone(),
            line: t.line,
            payment: None,
            unmappable: None,
        })
        .collect();
    let part = |s: &pain002::PaymentStatus| *s != pain002::PaymentStatus::Part;
    // Blocks stated with a status of their own and no transactions.
    let blocks: Vec<_> = r
        .payments
        .iter()
        .filter(|b| b.transactions.is_empty())
        .filter_map(|b| b.status.filter(part).map(|s| (b, s)))
        .collect();
    if blocks.is_empty() {
        if let (true, Some(status)) = (out.is_empty(), r.group_status.filter(part)) {
            let wires = store::wires_of_message(tx, actor, &r.original_message_id).await?;
            out.extend(whole(wires, status, &r.group_reasons, 1));
        }
        return Ok(out);
    }
    // The same message for every block: its wires are read once.
    let wires = store::wires_of_message(tx, actor, &r.original_message_id).await?;
    for (block, status) in blocks {
        match block_wires(
            &r.original_message_id,
            &block.original_payment_info_id,
            &wires,
        ) {
            Ok(wires) => out.extend(whole(wires, status, &block.reasons, block.line)),
            Err(why) => out.push(Target {
                end_to_end_id: None,
                instruction_id: Some(block.original_payment_info_id.clone()),
                status: Some(status),
                reasons: block.reasons.clone(),
                amount: None,
                currency: None,
                line: block.line,
                payment: None,
                unmappable: Some(why),
            }),
        }
    }
    Ok(out)
}

/// Every wire of `wires` as a target of one status stated for all of them.
fn whole(
    wires: Vec<Payment>,
    status: pain002::PaymentStatus,
    reasons: &[StatusReason],
    line: usize,
) -> impl Iterator<Item = Target> + '_ {
    wires.into_iter().map(move |p| Target {
        end_to_end_id: p.end_to_end_id.clone(),
        instruction_id: None,
        status: Some(status),
        reasons: reasons.to_vec(),
        amount: None,
        currency: None,
        line,
        payment: Some(p),
        unmappable: None,
    })
}

/// The wires of our payment-information block `block` of message `message` (`wires`: the
/// message's). Our pain.001 writes one block per currency, `<message id, 30 chars>-<n>`; the
/// report names the block only, so it maps to wires only when the message has one currency.
fn block_wires(message: &str, block: &str, wires: &[Payment]) -> Result<Vec<Payment>, String> {
    let first = format!("{}-1", &message[..message.len().min(30)]);
    let mut currencies: Vec<&str> = wires.iter().map(|p| p.currency.code()).collect();
    currencies.sort_unstable();
    currencies.dedup();
    if wires.is_empty() {
        return Err(format!(
            "payment-information block {block}: no wire of this organization was sent in message {message}"
        ));
    }
    if block != first || currencies.len() != 1 {
        return Err(format!(
            "payment-information block {block} is stated without its transactions, and message {message} has {} currency blocks: which wires it means is not known; ask the bank for the transaction statuses",
            currencies.len()
        ));
    }
    Ok(wires.to_vec())
}

fn item(t: &Target, payment: Option<&Payment>, outcome: &'static str, detail: String) -> NewItem {
    let text: Vec<String> = t.reasons.iter().map(StatusReason::describe).collect();
    NewItem {
        end_to_end_id: t.end_to_end_id.clone(),
        instruction_id: t.instruction_id.clone(),
        status: t.status.map(|s| s.code().to_string()),
        reason_code: t.reasons.iter().find_map(|r| r.code.clone()),
        reason_text: (!text.is_empty()).then(|| text.join("; ")),
        payment_id: payment.map(|p| p.id.clone()),
        outcome,
        detail: Some(detail),
        line: t.line,
    }
}

/// Why the report's amount or currency disagrees with our payment, if it does.
fn disagreement(t: &Target, p: &Payment) -> Option<String> {
    if let Some(c) = t.currency.as_deref().filter(|c| *c != p.currency.code()) {
        return Some(format!(
            "currency {c} disagrees with our payment's {}",
            p.currency.code()
        ));
    }
    let a = t.amount?;
    match p.currency.to_minor(a) {
        Ok(m) if m == p.amount_minor => None,
        _ => Some(format!(
            "amount {a} disagrees with our payment's {} {}",
            p.currency.format_minor(p.amount_minor),
            p.currency.code()
        )),
    }
}

async fn apply_one(
    tx: &mut Tx,
    actor: &Actor,
    report: &StatusReport,
    mut t: Target,
    value_date: NaiveDate,
) -> AppResult<NewItem> {
    let unmatched = |t: &Target, why: &str| Ok(item(t, None, "UNMATCHED", why.to_string()));
    if let Some(why) = t.unmappable.as_deref() {
        return unmatched(&t, why);
    }
    let Some(status) = t.status else {
        return unmatched(&t, "no status stated for this transaction");
    };
    let payment = match (t.payment.take(), t.end_to_end_id.as_deref()) {
        (Some(p), _) => Some(p),
        (None, Some(e2e)) => store::wire_by_end_to_end_id(tx, actor, e2e).await?,
        (None, None) => return unmatched(&t, "no OrgnlEndToEndId"),
    };
    let Some(p) = payment else {
        return unmatched(
            &t,
            "no wire payment of this organization has this end-to-end id",
        );
    };
    if let Some(why) = disagreement(&t, &p) {
        return unmatched(&t, &why);
    }
    let reasons: Vec<String> = t.reasons.iter().map(StatusReason::describe).collect();
    let (settlement, target) = match status.outcome() {
        Outcome::Pending => {
            record_pending(tx, actor, report, &p, status, &reasons).await?;
            let detail = format!(
                "{} recorded; status {} unchanged",
                status.code(),
                p.status.as_str()
            );
            return Ok(item(&t, Some(&p), "RECORDED", detail));
        }
        Outcome::Rejected => {
            let code = t.reasons.iter().find_map(|r| r.code.clone());
            let reason = if reasons.is_empty() {
                "rejected by the bank (pain.002 RJCT)".to_string()
            } else {
                reasons.join("; ")
            };
            let code = code.unwrap_or_else(|| "RJCT".to_string());
            (Settlement::Failed { code, reason }, Status::Failed)
        }
        Outcome::Settled => (Settlement::Cleared { value_date }, Status::Completed),
    };
    if p.status == target {
        let detail = format!("already {}", target.as_str());
        return Ok(item(&t, Some(&p), "UNCHANGED", detail));
    }
    if !p.status.can_become(target) {
        let why = format!(
            "our payment is {}: a {} cannot apply",
            p.status.as_str(),
            status.code()
        );
        return Ok(item(&t, Some(&p), "UNMATCHED", why));
    }
    let applied = crate::payments::settle(tx, actor, &p.id, &settlement).await?;
    let (outcome, detail) = if applied {
        (
            "APPLIED",
            format!("{} → {}", p.status.as_str(), target.as_str()),
        )
    } else {
        ("UNCHANGED", format!("already {}", target.as_str()))
    };
    Ok(item(&t, Some(&p), outcome, detail))
}

/// An accepted or pending status: a history row (status unchanged) and an audit entry.
async fn record_pending(
    tx: &mut Tx,
    actor: &Actor,
    report: &StatusReport,
    p: &Payment,
    status: pain002::PaymentStatus,
    reasons: &[String],
) -> AppResult<()> {
    let mut reason = format!("pain.002 {}: {}", report.message_id, status.code());
    if !reasons.is_empty() {
        reason = format!("{reason} ({})", reasons.join("; "));
    }
    pstore::log_attempt(tx, actor, p, status.code(), &reason).await?;
    audit::record(
        tx,
        actor,
        Change {
            action: "payment.bank_status",
            entity_type: "payment",
            entity_id: &p.id,
            before: Some(json!({ "status": p.status.as_str() })),
            after: Some(json!({
                "status": p.status.as_str(), "bankStatus": status.code(), "reasons": reasons,
                "statusReport": report.message_id,
            })),
        },
    )
    .await?;
    Ok(())
}
