//! Matches: reading one, and the reads and writes of manual match and unmatch (their
//! workflows are `clearway_app::reconciliation`).

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::Currency;
use serde_json::{json, Value};

use crate::db::placeholders;
use crate::statements::require_reader;
use crate::{now_text, q, Actor, Db, Row, StoreError, Tx};

use super::*;

/// A stored match.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRecord {
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
    pub currency: Currency,
    /// Sum of the lines' absolute amounts (minor units).
    pub amount_minor: i64,
    /// Latest value date of the lines.
    pub value_date: NaiveDate,
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

/// One match of the organization, inside `tx`.
pub async fn match_in(tx: &mut Tx, actor: &Actor, id: &str) -> Result<MatchRecord, StoreError> {
    require_reader(actor)?;
    let org = &actor.org_id;
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
    let reasons = r.text("reasons")?;
    Ok(MatchRecord {
        id: r.text("id")?,
        kind: r.text("kind")?,
        outcome: r.text("outcome")?,
        score: r.opt_i64("score")?,
        reasons: serde_json::from_str(&reasons)
            .map_err(|e| StoreError::Corrupt(format!("column reasons = '{reasons}': {e}")))?,
        account_id: r.text("account_id")?,
        currency: currency(&r.text("currency")?)?,
        amount_minor: r.i64("amount_minor")?,
        value_date: parse_date(&r, "value_date")?,
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
pub async fn get_match(db: &Db, actor: &Actor, id: &str) -> Result<MatchRecord, StoreError> {
    let mut tx = db.begin().await?;
    let m = match_in(&mut tx, actor, id).await?;
    drop(tx);
    Ok(m)
}

async fn fetch_in(
    tx: &mut Tx,
    sql: &str,
    actor: &Actor,
    ids: &[String],
) -> Result<Vec<Row>, StoreError> {
    let mut query = q(format!("{sql} ({})", placeholders(2, ids.len()))).bind(&actor.org_id);
    for id in ids {
        query.push(id);
    }
    tx.fetch_all(query).await
}

/// The organization's statement lines `ids` (any order); [`StoreError::NotFound`] when one
/// is not the organization's.
pub async fn lines_by_ids(
    tx: &mut Tx,
    actor: &Actor,
    ids: &[String],
) -> Result<Vec<OpenLine>, StoreError> {
    actor.require(Permission::Operate)?;
    let rows = fetch_in(
        tx,
        "SELECT id, account_id, currency, amount_minor, value_date, description, status FROM bank_statement_lines WHERE org_id = $1 AND id IN",
        actor,
        ids,
    )
    .await?;
    if rows.len() != ids.len() {
        return Err(StoreError::NotFound("statement line"));
    }
    rows.iter()
        .map(|r| {
            Ok(OpenLine {
                id: r.text("id")?,
                account_id: r.text("account_id")?,
                currency: currency(&r.text("currency")?)?,
                amount_minor: r.i64("amount_minor")?,
                value_date: parse_date(r, "value_date")?,
                description: r.text("description")?,
                status: r.text("status")?,
            })
        })
        .collect()
}

/// The organization's payments `ids` (any order); [`StoreError::NotFound`] when one is not
/// the organization's.
pub async fn payments_by_ids(
    tx: &mut Tx,
    actor: &Actor,
    ids: &[String],
) -> Result<Vec<PaymentRow>, StoreError> {
    actor.require(Permission::Operate)?;
    let rows = fetch_in(
        tx,
        "SELECT id, status, currency, amount_minor FROM payments WHERE org_id = $1 AND id IN",
        actor,
        ids,
    )
    .await?;
    if rows.len() != ids.len() {
        return Err(StoreError::NotFound("payment"));
    }
    rows.iter()
        .map(|r| {
            Ok(PaymentRow {
                id: r.text("id")?,
                status: r.text("status")?,
                currency: currency(&r.text("currency")?)?,
                amount_minor: r.i64("amount_minor")?,
            })
        })
        .collect()
}

/// A payment's place in a live match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOutcome {
    /// Payment.
    pub payment_id: String,
    /// `CLEARED` or `RETURNED`.
    pub outcome: String,
    /// The live match.
    pub match_id: String,
}

/// Live matches of the payments `ids`, optionally only those with `outcome`.
pub async fn live_outcomes(
    tx: &mut Tx,
    actor: &Actor,
    ids: &[String],
    outcome: Option<&str>,
) -> Result<Vec<LiveOutcome>, StoreError> {
    actor.require(Permission::Operate)?;
    let rows = fetch_in(
        tx,
        "SELECT payment_id, outcome, match_id FROM reconciliation_match_payments WHERE org_id = $1 AND live = 1 AND payment_id IN",
        actor,
        ids,
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let o = LiveOutcome {
            payment_id: r.text("payment_id")?,
            outcome: r.text("outcome")?,
            match_id: r.text("match_id")?,
        };
        if outcome.is_none_or(|x| x == o.outcome) {
            out.push(o);
        }
    }
    out.sort_by(|a, b| a.payment_id.cmp(&b.payment_id));
    Ok(out)
}

/// A payment of a match: its status when matched and now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedPayment {
    /// Payment.
    pub payment_id: String,
    /// Status when the match was made.
    pub prior_status: String,
    /// Status now.
    pub status: String,
}

/// The payments of a match of the organization, by id.
pub async fn match_payments(
    tx: &mut Tx,
    actor: &Actor,
    match_id: &str,
) -> Result<Vec<MatchedPayment>, StoreError> {
    actor.require(Permission::Operate)?;
    tx.fetch_all(
        q("SELECT mp.payment_id, mp.prior_status, p.status FROM reconciliation_match_payments mp JOIN payments p ON p.id = mp.payment_id
           WHERE mp.match_id = $1 AND mp.org_id = $2 ORDER BY mp.payment_id")
            .bind(match_id)
            .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(MatchedPayment {
            payment_id: r.text("payment_id")?,
            prior_status: r.text("prior_status")?,
            status: r.text("status")?,
        })
    })
    .collect()
}

/// Undoes a live match: it and its line and payment links stop being live, and its lines go
/// back to the exceptions queue for people only (`MANUALLY_UNMATCHED`, with the undone match
/// as their candidate).
pub async fn undo_match(
    tx: &mut Tx,
    actor: &Actor,
    m: &MatchRecord,
    reason: &str,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let org = &actor.org_id;
    let now = now_text();
    tx.execute(
        q("UPDATE reconciliation_matches SET live = 0, undone_by = $1, undone_at = $2, undo_reason = $3 WHERE id = $4 AND org_id = $5 AND live = 1")
            .bind(&actor.user_id)
            .bind(&now)
            .bind(reason)
            .bind(&m.id)
            .bind(org),
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
            .bind(&m.id)
            .bind(org),
        )
        .await?;
    }
    let cands = json!([{ "paymentIds": m.payment_ids, "score": m.score, "reasons": [{"code": "UNMATCHED", "note": reason}] }]);
    let today = chrono::Utc::now().date_naive().to_string();
    for line in &m.line_ids {
        tx.execute(
            q("UPDATE bank_statement_lines SET status = 'EXCEPTION', exception_cause = 'MANUALLY_UNMATCHED', candidates = $1, exception_since = $2, manual_only = 1, updated_at = $3
               WHERE org_id = $4 AND id = $5")
                .bind(cands.to_string())
                .bind(&today)
                .bind(&now)
                .bind(org)
                .bind(line),
        )
        .await?;
    }
    Ok(())
}
