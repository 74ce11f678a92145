//! Matches by hand: manual match (settling the payments) and unmatch (reopening them), each
//! audited with its event, in the caller's transaction.

use std::collections::HashSet;

use clearway_core::access::Permission;
use clearway_core::Currency;
use clearway_store::reconciliation::{
    self as store, MatchRecord, MatchRequest, NewMatch, NewMatchRequest, OpenLine, PaymentRow,
};
use clearway_store::{audit, outbox, payments, Actor, Db, Tx};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::settlement::write_and_settle;
use super::views::match_json;
use crate::{AppError, AppResult};

/// A manual match request.
#[derive(Debug, Clone)]
pub struct ManualMatch {
    /// Statement lines.
    pub line_ids: Vec<String>,
    /// Payments.
    pub payment_ids: Vec<String>,
    /// `CLEARED` (the lines paid the payments) or `RETURNED` (the lines brought them back).
    pub outcome: String,
    /// Why (kept with the match).
    pub note: Option<String>,
    /// The approved request this match carries out (needed above the four-eyes amount).
    pub request_id: Option<String>,
}

/// What a manual match did.
#[derive(Debug, Clone)]
pub enum ManualOutcome {
    /// Matched: the payments are settled.
    Matched(MatchRecord),
    /// Above the four-eyes amount and not yet approved: stored as a request that a different
    /// user with the Approve permission approves; then the match is sent again with its id.
    Pending(MatchRequest),
}

fn check_ids(field: &str, ids: &[String], max: usize) -> AppResult<()> {
    if ids.is_empty() || ids.len() > max {
        return Err(AppError::field(field, format!("give 1 to {max} ids")));
    }
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id.as_str()) {
            return Err(AppError::field(field, format!("'{id}' is listed twice")));
        }
    }
    Ok(())
}

fn outcome(text: &str) -> AppResult<&'static str> {
    match text {
        "CLEARED" => Ok("CLEARED"),
        "RETURNED" => Ok("RETURNED"),
        other => Err(AppError::field(
            "outcome",
            format!("'{other}' is not CLEARED or RETURNED"),
        )),
    }
}

/// Lines are unmatched, debits for a clearing and credits for a return.
fn check_lines(lines: &[OpenLine], outcome: &str) -> AppResult<()> {
    for l in lines {
        if l.status == "MATCHED" {
            return Err(AppError::conflict(format!(
                "statement line {} is already matched; unmatch it first",
                l.id
            )));
        }
        if outcome == "CLEARED" && l.amount_minor >= 0 {
            return Err(AppError::field("lineIds", format!("line {} is not a debit; a payment clears against debits (use outcome RETURNED for money coming back)", l.id)));
        }
        if outcome == "RETURNED" && l.amount_minor <= 0 {
            return Err(AppError::field(
                "lineIds",
                format!(
                    "line {} is not a credit; a return is money coming back",
                    l.id
                ),
            ));
        }
    }
    Ok(())
}

/// Lines and payments in one currency.
fn check_currency(lines: &[OpenLine], pays: &[PaymentRow]) -> AppResult<()> {
    let mut all = lines
        .iter()
        .map(|l| l.currency)
        .chain(pays.iter().map(|p| p.currency));
    if let Some(cur) = all.next() {
        if let Some(x) = all.find(|c| *c != cur) {
            return Err(AppError::field(
                "paymentIds",
                format!("currencies differ ({cur} and {x})"),
            ));
        }
    }
    Ok(())
}

/// Payments that can take the outcome, and amounts that add up exactly.
fn check_payments(lines: &[OpenLine], pays: &[PaymentRow], outcome: &str) -> AppResult<()> {
    for p in pays {
        let ok = match outcome {
            "CLEARED" => matches!(p.status.as_str(), "SENT" | "COMPLETED"),
            _ => p.status == "COMPLETED",
        };
        if !ok {
            return Err(AppError::conflict(format!(
                "payment {} is {}; it cannot be {}",
                p.id,
                p.status,
                outcome.to_lowercase()
            )));
        }
    }
    let lines_total: i64 = lines.iter().map(|l| l.amount_minor.abs()).sum();
    let pays_total: i64 = pays.iter().map(|p| p.amount_minor).sum();
    if lines_total != pays_total {
        return Err(AppError::field(
            "paymentIds",
            format!(
                "amounts differ: statement lines total {lines_total}, payments total {pays_total} (minor units of {})",
                lines.first().map_or("", |l| l.currency.code())
            ),
        ));
    }
    Ok(())
}

/// Matches lines to payments by hand (operators and admins), settling the payments; audited.
/// Four eyes above `four_eyes_above` (in the lines' currency): without an approved request
/// (`request_id`) it only stores a pending request, and writes nothing else.
pub async fn manual_match(
    tx: &mut Tx,
    actor: &Actor,
    req: &ManualMatch,
    four_eyes_above: Decimal,
) -> AppResult<ManualOutcome> {
    actor.require(Permission::Operate)?;
    check_ids("lineIds", &req.line_ids, 100)?;
    check_ids("paymentIds", &req.payment_ids, 1000)?;
    let outcome = outcome(&req.outcome)?;
    store::lock(tx, actor).await?;
    let lines = store::lines_by_ids(tx, actor, &req.line_ids).await?;
    let pays = store::payments_by_ids(tx, actor, &req.payment_ids).await?;
    check_lines(&lines, outcome)?;
    check_currency(&lines, &pays)?;
    if let Some(live) = store::live_outcomes(tx, actor, &req.payment_ids, Some(outcome))
        .await?
        .first()
    {
        return Err(AppError::conflict(format!(
            "payment {} is already {} by match {}",
            live.payment_id,
            outcome.to_lowercase(),
            live.match_id
        )));
    }
    check_payments(&lines, &pays, outcome)?;
    let amount: i64 = lines.iter().map(|l| l.amount_minor.abs()).sum();
    let currency = lines
        .first()
        .map(|l| l.currency)
        .ok_or_else(|| AppError::field("lineIds", "give 1 to 100 ids"))?;
    match &req.request_id {
        Some(id) => check_approved(tx, actor, id, req, outcome).await?,
        None if currency.from_minor(amount) > four_eyes_above => {
            let pending = request_approval(tx, actor, req, outcome, (currency, amount)).await?;
            return Ok(ManualOutcome::Pending(pending));
        }
        None => {}
    }
    let made = write_manual(tx, actor, req, outcome, &lines, &pays).await?;
    if let Some(id) = &req.request_id {
        store::use_match_request(tx, actor, id, &made.id).await?;
    }
    Ok(ManualOutcome::Matched(made))
}

/// Stores a pending request for a match above the four-eyes amount; audited.
async fn request_approval(
    tx: &mut Tx,
    actor: &Actor,
    req: &ManualMatch,
    outcome: &str,
    (currency, amount_minor): (Currency, i64),
) -> AppResult<MatchRequest> {
    let new = NewMatchRequest {
        line_ids: &req.line_ids,
        payment_ids: &req.payment_ids,
        outcome,
        note: req.note.as_deref(),
        currency,
        amount_minor,
    };
    let made = store::insert_match_request(tx, actor, &new).await?;
    audit_request(tx, actor, "reconciliation.match_requested", &made, None).await?;
    Ok(made)
}

/// The request `id` is approved, unused, and for exactly these lines, payments and outcome.
async fn check_approved(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    req: &ManualMatch,
    outcome: &str,
) -> AppResult<()> {
    let r = store::match_request(tx, actor, id).await?;
    if let Some(made) = &r.match_id {
        return Err(AppError::conflict(format!(
            "match request {id} was already carried out by match {made}"
        )));
    }
    if r.status != "APPROVED" {
        return Err(AppError::conflict(format!(
            "match request {id} is {}; it needs a second user's approval first",
            r.status
        )));
    }
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    if sorted(&r.line_ids) != sorted(&req.line_ids)
        || sorted(&r.payment_ids) != sorted(&req.payment_ids)
        || r.outcome != outcome
    {
        return Err(AppError::field(
            "requestId",
            "the approved request was for other lines, payments or outcome",
        ));
    }
    Ok(())
}

/// Approves a pending manual-match request (a user with the Approve permission who is not its
/// maker); the maker then sends the match again with the request's id. Audited.
pub async fn approve_match_request(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
) -> AppResult<MatchRequest> {
    actor.require(Permission::Approve)?;
    let before = store::match_request(tx, actor, id).await?;
    let after = store::approve_match_request(tx, actor, &before).await?;
    audit_request(
        tx,
        actor,
        "reconciliation.match_approved",
        &after,
        Some(&before),
    )
    .await?;
    Ok(after)
}

async fn audit_request(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    after: &MatchRequest,
    before: Option<&MatchRequest>,
) -> AppResult<()> {
    let json = |r: &MatchRequest| {
        json!({
            "id": r.id, "lineIds": r.line_ids, "paymentIds": r.payment_ids, "outcome": r.outcome,
            "currency": r.currency.code(), "amount": r.currency.format_minor(r.amount_minor),
            "status": r.status, "requestedBy": r.requested_by, "approvedBy": r.approved_by,
        })
    };
    audit::record(
        tx,
        actor,
        audit::Change {
            action,
            entity_type: "reconciliation_match_request",
            entity_id: &after.id,
            before: before.map(json),
            after: Some(json(after)),
        },
    )
    .await?;
    Ok(())
}

/// Writes and settles a checked manual match; audited with its event.
async fn write_manual(
    tx: &mut Tx,
    actor: &Actor,
    req: &ManualMatch,
    outcome: &'static str,
    lines: &[OpenLine],
    pays: &[PaymentRow],
) -> AppResult<MatchRecord> {
    let m = NewMatch {
        kind: "MANUAL",
        outcome,
        score: None,
        reasons: json!([{ "code": "MANUAL", "note": req.note }]).to_string(),
        lines: lines.iter().collect(),
        payments: pays.iter().collect(),
    };
    let ids = write_and_settle(tx, actor, None, std::slice::from_ref(&m), None).await?;
    let made = store::match_in(tx, actor, &ids[0]).await?;
    let before = json!({
        "lines": lines.iter().map(|l| json!({"id": l.id, "status": l.status})).collect::<Vec<_>>(),
        "payments": pays.iter().map(|p| json!({"id": p.id, "status": p.status})).collect::<Vec<_>>(),
    });
    let change = (Some(before), match_json(&made));
    record(
        tx,
        actor,
        "reconciliation.match",
        "reconciliation.matched",
        &made.id,
        change,
    )
    .await?;
    Ok(made)
}

/// Undoes a match (operators and admins): payments it settled are reopened, its lines go back
/// to the exceptions queue for people only (an automatic run would only redo the same match).
pub async fn unmatch(
    tx: &mut Tx,
    actor: &Actor,
    match_id: &str,
    reason: &str,
) -> AppResult<MatchRecord> {
    actor.require(Permission::Operate)?;
    if reason.trim().is_empty() || reason.len() > 1000 {
        return Err(AppError::field(
            "reason",
            "give a reason (1 to 1000 characters)",
        ));
    }
    store::lock(tx, actor).await?;
    let before = store::match_in(tx, actor, match_id).await?;
    if !before.live {
        return Err(AppError::conflict(match &before.undone_at {
            Some(at) => format!("match {match_id} was already undone at {at}"),
            None => format!("match {match_id} was already undone"),
        }));
    }
    reopen_payments(tx, actor, &before, reason).await?;
    store::undo_match(tx, actor, &before, reason).await?;
    let after = store::match_in(tx, actor, match_id).await?;
    let change = (Some(match_json(&before)), match_json(&after));
    record(
        tx,
        actor,
        "reconciliation.unmatch",
        "reconciliation.unmatched",
        match_id,
        change,
    )
    .await?;
    Ok(after)
}

/// [`unmatch`] in its own transaction.
pub async fn unmatch_now(
    db: &Db,
    actor: &Actor,
    match_id: &str,
    reason: &str,
) -> AppResult<MatchRecord> {
    let mut tx = db.begin().await?;
    let m = unmatch(&mut tx, actor, match_id, reason).await?;
    tx.commit().await?;
    Ok(m)
}

/// Reopens the payments a match settled; refused while a live return stands on a payment the
/// match cleared (that return is undone first).
async fn reopen_payments(
    tx: &mut Tx,
    actor: &Actor,
    m: &MatchRecord,
    reason: &str,
) -> AppResult<()> {
    let paid = store::match_payments(tx, actor, &m.id).await?;
    if m.outcome == "CLEARED" {
        let returns = store::live_outcomes(tx, actor, &m.payment_ids, Some("RETURNED")).await?;
        if let Some(r) = returns.first() {
            return Err(AppError::conflict(format!(
                "payment {} was returned by match {}; unmatch the return first",
                r.payment_id, r.match_id
            )));
        }
    }
    let note = format!("unmatched {}: {reason}", m.id);
    for p in &paid {
        let changed = match m.outcome.as_str() {
            "CLEARED" => p.prior_status == "SENT" && p.status == "COMPLETED",
            _ => p.status == "RETURNED",
        };
        if changed {
            payments::reopen(tx, actor, &p.payment_id, &note).await?;
        }
    }
    Ok(())
}

/// Audits a change of a match and emits its event.
async fn record(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    event: &str,
    match_id: &str,
    (before, after): (Option<Value>, Value),
) -> AppResult<()> {
    audit::record(
        tx,
        actor,
        audit::Change {
            action,
            entity_type: "reconciliation_match",
            entity_id: match_id,
            before,
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(tx, actor, event, "reconciliation_match", match_id, after).await?;
    Ok(())
}
