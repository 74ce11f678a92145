//! Matches by hand: reading a match, manual match and unmatch, with audit.

use std::collections::HashSet;

use clearway_core::access::Permission;
use serde::Serialize;
use serde_json::{json, Value};

use crate::audit::{self, Change};
use crate::db::placeholders;
use crate::payments::{self};
use crate::statements::require_reader;
use crate::{now_text, outbox, q, Actor, Db, Row, StoreError, Tx};

use super::*;

/// A match as shown to people.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchView {
    /// Id.
    pub id: String,
    /// AUTO or MANUAL.
    pub kind: String,
    /// CLEARED or RETURNED.
    pub outcome: String,
    /// Matcher score (auto only).
    pub score: Option<i64>,
    /// Reasons (auto) or note (manual).
    pub reasons: Value,
    /// Account.
    pub account_id: String,
    /// Currency.
    pub currency: String,
    /// Sum of the lines' absolute amounts (minor units).
    pub amount_minor: i64,
    /// Latest value date of the lines.
    pub value_date: String,
    /// Whether the match stands.
    pub live: bool,
    /// Statement lines.
    pub line_ids: Vec<String>,
    /// Payments.
    pub payment_ids: Vec<String>,
    /// Run that made it (auto).
    pub run_id: Option<String>,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// Who undid it.
    pub undone_by: Option<String>,
    /// When.
    pub undone_at: Option<String>,
    /// Why.
    pub undo_reason: Option<String>,
}

async fn load_match(tx: &mut Tx, org: &str, id: &str) -> Result<MatchView, StoreError> {
    let r = tx
        .fetch_optional(
            q("SELECT id, kind, outcome, score, reasons, account_id, currency, amount_minor, value_date, live, run_id, created_by, created_at, undone_by, undone_at, undo_reason
               FROM reconciliation_matches WHERE org_id = $1 AND id = $2")
                .bind(org)
                .bind(id),
        )
        .await?
        .ok_or(StoreError::NotFound("reconciliation match"))?;
    let line_ids = tx
        .fetch_all(q("SELECT line_id FROM reconciliation_match_lines WHERE match_id = $1 ORDER BY line_id").bind(id))
        .await?
        .iter()
        .map(|r| r.text("line_id"))
        .collect::<Result<_, _>>()?;
    let payment_ids = tx
        .fetch_all(q("SELECT payment_id FROM reconciliation_match_payments WHERE match_id = $1 ORDER BY payment_id").bind(id))
        .await?
        .iter()
        .map(|r| r.text("payment_id"))
        .collect::<Result<_, _>>()?;
    Ok(MatchView {
        id: r.text("id")?,
        kind: r.text("kind")?,
        outcome: r.text("outcome")?,
        score: r.opt_i64("score")?,
        reasons: serde_json::from_str(&r.text("reasons")?).unwrap_or(Value::Null),
        account_id: r.text("account_id")?,
        currency: r.text("currency")?,
        amount_minor: r.i64("amount_minor")?,
        value_date: r.text("value_date")?,
        live: r.i64("live")? == 1,
        line_ids,
        payment_ids,
        run_id: r.opt_text("run_id")?,
        created_by: r.text("created_by")?,
        created_at: r.text("created_at")?,
        undone_by: r.opt_text("undone_by")?,
        undone_at: r.opt_text("undone_at")?,
        undo_reason: r.opt_text("undo_reason")?,
    })
}

/// One match.
pub async fn get_match(db: &Db, actor: &Actor, id: &str) -> Result<MatchView, StoreError> {
    require_reader(actor)?;
    let mut tx = db.begin().await?;
    let m = load_match(&mut tx, &actor.org_id, id).await?;
    drop(tx);
    Ok(m)
}

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
}

fn check_ids(field: &str, ids: &[String], max: usize) -> Result<(), StoreError> {
    if ids.is_empty() || ids.len() > max {
        return Err(invalid(field, format!("give 1 to {max} ids")));
    }
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id.as_str()) {
            return Err(invalid(field, format!("'{id}' is listed twice")));
        }
    }
    Ok(())
}

async fn fetch_in(
    tx: &mut Tx,
    sql: &str,
    org: &str,
    ids: &[String],
) -> Result<Vec<Row>, StoreError> {
    let mut query = q(format!("{sql} ({})", placeholders(2, ids.len()))).bind(org);
    for id in ids {
        query.push(id);
    }
    tx.fetch_all(query).await
}

/// Matches lines to payments by hand (operators and admins), settling the payments; audited.
pub async fn manual_match(
    tx: &mut Tx,
    actor: &Actor,
    req: &ManualMatch,
) -> Result<MatchView, StoreError> {
    actor.require(Permission::Operate)?;
    let org = actor.org_id.clone();
    check_ids("lineIds", &req.line_ids, 100)?;
    check_ids("paymentIds", &req.payment_ids, 1000)?;
    let outcome: &'static str = match req.outcome.as_str() {
        "CLEARED" => "CLEARED",
        "RETURNED" => "RETURNED",
        other => {
            return Err(invalid(
                "outcome",
                format!("'{other}' is not CLEARED or RETURNED"),
            ))
        }
    };
    lock(tx, &org).await?;
    let line_rows = fetch_in(
        tx,
        "SELECT id, account_id, currency, amount_minor, value_date, description, status FROM bank_statement_lines WHERE org_id = $1 AND id IN",
        &org,
        &req.line_ids,
    )
    .await?;
    if line_rows.len() != req.line_ids.len() {
        return Err(StoreError::NotFound("statement line"));
    }
    let mut lines = Vec::with_capacity(line_rows.len());
    for r in &line_rows {
        lines.push(OpenLine {
            id: r.text("id")?,
            account_id: r.text("account_id")?,
            currency: r.text("currency")?,
            amount_minor: r.i64("amount_minor")?,
            value_date: parse_date(r, "value_date")?,
            description: r.text("description")?,
            status: r.text("status")?,
        });
    }
    let pay_rows = fetch_in(
        tx,
        "SELECT id, status, currency, amount_minor FROM payments WHERE org_id = $1 AND id IN",
        &org,
        &req.payment_ids,
    )
    .await?;
    if pay_rows.len() != req.payment_ids.len() {
        return Err(StoreError::NotFound("payment"));
    }
    let mut pays = Vec::with_capacity(pay_rows.len());
    for r in &pay_rows {
        pays.push(PayRow {
            id: r.text("id")?,
            status: r.text("status")?,
            currency: r.text("currency")?,
            amount_minor: r.i64("amount_minor")?,
        });
    }
    for l in &lines {
        if l.status == "MATCHED" {
            return Err(StoreError::Conflict(format!(
                "statement line {} is already matched; unmatch it first",
                l.id
            )));
        }
        if outcome == "CLEARED" && l.amount_minor >= 0 {
            return Err(invalid("lineIds", format!("line {} is not a debit; a payment clears against debits (use outcome RETURNED for money coming back)", l.id)));
        }
        if outcome == "RETURNED" && l.amount_minor <= 0 {
            return Err(invalid(
                "lineIds",
                format!(
                    "line {} is not a credit; a return is money coming back",
                    l.id
                ),
            ));
        }
    }
    let cur = &lines[0].currency;
    if let Some(x) = lines
        .iter()
        .map(|l| &l.currency)
        .chain(pays.iter().map(|p| &p.currency))
        .find(|c| *c != cur)
    {
        return Err(invalid(
            "paymentIds",
            format!("currencies differ ({cur} and {x})"),
        ));
    }
    let live_outcomes = fetch_in(
        tx,
        "SELECT payment_id, outcome, match_id FROM reconciliation_match_payments WHERE org_id = $1 AND live = 1 AND payment_id IN",
        &org,
        &req.payment_ids,
    )
    .await?;
    for r in &live_outcomes {
        if r.text("outcome")? == outcome {
            return Err(StoreError::Conflict(format!(
                "payment {} is already {} by match {}",
                r.text("payment_id")?,
                outcome.to_lowercase(),
                r.text("match_id")?
            )));
        }
    }
    for p in &pays {
        let ok = match outcome {
            "CLEARED" => matches!(p.status.as_str(), "SENT" | "COMPLETED"),
            _ => p.status == "COMPLETED",
        };
        if !ok {
            return Err(StoreError::Conflict(format!(
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
        return Err(invalid(
            "paymentIds",
            format!("amounts differ: statement lines total {lines_total}, payments total {pays_total} (minor units of {cur})"),
        ));
    }
    let reasons = json!([{ "code": "MANUAL", "note": req.note }]);
    let m = NewMatch {
        kind: "MANUAL",
        outcome,
        score: None,
        reasons,
        lines: lines.iter().collect(),
        payments: pays.iter().collect(),
    };
    let ids = write_matches(tx, actor, None, std::slice::from_ref(&m)).await?;
    let view = load_match(tx, &org, &ids[0]).await?;
    let after = serde_json::to_value(&view).unwrap_or(Value::Null);
    let before = json!({
        "lines": lines.iter().map(|l| json!({"id": l.id, "status": l.status})).collect::<Vec<_>>(),
        "payments": pays.iter().map(|p| json!({"id": p.id, "status": p.status})).collect::<Vec<_>>(),
    });
    audit::record(
        tx,
        actor,
        Change {
            action: "reconciliation.match",
            entity_type: "reconciliation_match",
            entity_id: &view.id,
            before: Some(before),
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "reconciliation.matched",
        "reconciliation_match",
        &view.id,
        after,
    )
    .await?;
    Ok(view)
}

/// Undoes a match (operators and admins): payments it settled are reopened, its lines go back
/// to the exceptions queue for people only (an automatic run would only redo the same match).
pub async fn unmatch(
    tx: &mut Tx,
    actor: &Actor,
    match_id: &str,
    reason: &str,
) -> Result<MatchView, StoreError> {
    actor.require(Permission::Operate)?;
    let org = actor.org_id.clone();
    if reason.trim().is_empty() || reason.len() > 1000 {
        return Err(invalid("reason", "give a reason (1 to 1000 characters)"));
    }
    lock(tx, &org).await?;
    let before = load_match(tx, &org, match_id).await?;
    if !before.live {
        return Err(StoreError::Conflict(format!(
            "match {match_id} was already undone at {}",
            before.undone_at.clone().unwrap_or_default()
        )));
    }
    let rows = tx
        .fetch_all(
            q("SELECT mp.payment_id, mp.prior_status, p.status FROM reconciliation_match_payments mp JOIN payments p ON p.id = mp.payment_id
               WHERE mp.match_id = $1 AND mp.org_id = $2 ORDER BY mp.payment_id")
                .bind(match_id)
                .bind(&org),
        )
        .await?;
    if before.outcome == "CLEARED" {
        let returned = fetch_in(
            tx,
            "SELECT payment_id, match_id FROM reconciliation_match_payments WHERE org_id = $1 AND live = 1 AND outcome = 'RETURNED' AND payment_id IN",
            &org,
            &before.payment_ids,
        )
        .await?;
        if let Some(r) = returned.first() {
            return Err(StoreError::Conflict(format!(
                "payment {} was returned by match {}; unmatch the return first",
                r.text("payment_id")?,
                r.text("match_id")?
            )));
        }
    }
    let note = format!("unmatched {match_id}: {reason}");
    for r in &rows {
        let (prior, now_status) = (r.text("prior_status")?, r.text("status")?);
        let changed = match before.outcome.as_str() {
            "CLEARED" => prior == "SENT" && now_status == "COMPLETED",
            _ => now_status == "RETURNED",
        };
        if changed {
            payments::reopen(tx, actor, &r.text("payment_id")?, &note).await?;
        }
    }
    let now = now_text();
    tx.execute(
        q("UPDATE reconciliation_matches SET live = 0, undone_by = $1, undone_at = $2, undo_reason = $3 WHERE id = $4 AND org_id = $5 AND live = 1")
            .bind(&actor.user_id)
            .bind(&now)
            .bind(reason)
            .bind(match_id)
            .bind(&org),
    )
    .await?;
    for table in [
        "reconciliation_match_lines",
        "reconciliation_match_payments",
    ] {
        tx.execute(
            q(format!(
                "UPDATE {table} SET live = 0 WHERE match_id = $1 AND org_id = $2"
            ))
            .bind(match_id)
            .bind(&org),
        )
        .await?;
    }
    let cands = json!([{ "paymentIds": before.payment_ids, "score": before.score, "reasons": [{"code": "UNMATCHED", "note": reason}] }]);
    let today = chrono::Utc::now().date_naive().to_string();
    for line in &before.line_ids {
        tx.execute(
            q("UPDATE bank_statement_lines SET status = 'EXCEPTION', exception_cause = 'MANUALLY_UNMATCHED', candidates = $1, exception_since = $2, manual_only = 1, updated_at = $3
               WHERE org_id = $4 AND id = $5")
                .bind(cands.to_string())
                .bind(&today)
                .bind(&now)
                .bind(&org)
                .bind(line),
        )
        .await?;
    }
    let after = load_match(tx, &org, match_id).await?;
    let after_json = serde_json::to_value(&after).unwrap_or(Value::Null);
    audit::record(
        tx,
        actor,
        Change {
            action: "reconciliation.unmatch",
            entity_type: "reconciliation_match",
            entity_id: match_id,
            before: Some(serde_json::to_value(&before).unwrap_or(Value::Null)),
            after: Some(after_json.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "reconciliation.unmatched",
        "reconciliation_match",
        match_id,
        after_json,
    )
    .await?;
    Ok(after)
}
