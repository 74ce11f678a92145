//! The matching run: open lines and candidate payments in, matches, settlements and exceptions out.

use std::collections::{HashMap, HashSet};

use chrono::Duration;
use clearway_core::access::Permission;
use clearway_core::reconciliation::{
    reconcile, Candidate, MatchConfig, Outcome, Payment, PaymentStatus, StatementLine,
};
use serde::Serialize;
use serde_json::Value;

use crate::audit::{self, Change};
use crate::{new_id, now_text, outbox, q, Actor, Db, StoreError, Tx};

use super::*;

/// COMPLETED payments older than this (before the oldest open line) are not offered for returns.
const RETURN_LOOKBACK_DAYS: i64 = 120;

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    /// Run id.
    pub id: String,
    /// `IMPORT`, `MANUAL` or `BENCH`.
    pub trigger: String,
    /// Open lines offered to the matcher.
    pub lines_considered: i64,
    /// Payments offered to the matcher.
    pub payments_considered: i64,
    /// Lines newly matched to payments they paid.
    pub matched_lines: i64,
    /// Lines newly matched as returns.
    pub returned_lines: i64,
    /// Lines left (or kept) as exceptions.
    pub exceptions: i64,
    /// Start (UTC).
    pub started_at: String,
    /// End (UTC).
    pub finished_at: String,
}

/// Runs the matcher over the organization's open lines and payments inside `tx`.
pub async fn run(
    tx: &mut Tx,
    actor: &Actor,
    trigger: &str,
    config: &MatchConfig,
) -> Result<RunSummary, StoreError> {
    actor.require(Permission::Operate)?;
    let org = actor.org_id.clone();
    let started_at = now_text();
    lock(tx, &org).await?;
    let clock = std::time::Instant::now();
    let mut phases: Vec<(&str, u128)> = Vec::new();
    let line_rows = tx
        .fetch_all(
            q("SELECT id, account_id, currency, amount_minor, value_date, booking_date, bank_reference, customer_reference, end_to_end_id, counterparty_name, description, status
               FROM bank_statement_lines WHERE org_id = $1 AND status IN ('OPEN','EXCEPTION') AND manual_only = 0 ORDER BY id")
                .bind(&org),
        )
        .await?;
    let mut open: Vec<OpenLine> = Vec::with_capacity(line_rows.len());
    let mut core_lines: Vec<StatementLine> = Vec::with_capacity(line_rows.len());
    for r in &line_rows {
        let value_date = parse_date(r, "value_date")?;
        let description = r.text("description")?;
        let cur = r.text("currency")?;
        let customer = r.opt_text("customer_reference")?;
        let e2e = r.opt_text("end_to_end_id")?;
        let mut text = description.clone();
        if let Some(e) = e2e.as_ref().filter(|e| Some(*e) != customer.as_ref()) {
            // The matcher reads two reference fields; an extra end-to-end id goes to the text.
            text.push(' ');
            text.push_str(e);
        }
        core_lines.push(StatementLine {
            id: r.text("id")?,
            amount_minor: r.i64("amount_minor")?,
            currency: currency(&cur)?,
            value_date,
            booking_date: parse_date(r, "booking_date")?,
            bank_reference: r.opt_text("bank_reference")?,
            customer_reference: customer,
            description: text,
            counterparty: r.opt_text("counterparty_name")?,
        });
        open.push(OpenLine {
            id: r.text("id")?,
            account_id: r.text("account_id")?,
            currency: cur,
            amount_minor: r.i64("amount_minor")?,
            value_date,
            description,
            status: r.text("status")?,
        });
    }
    let mut summary = RunSummary {
        id: new_id(),
        trigger: trigger.to_string(),
        lines_considered: open.len() as i64,
        started_at,
        ..RunSummary::default()
    };
    if !open.is_empty() {
        let oldest = open.iter().map(|l| l.value_date).min().unwrap_or_default();
        let since = (oldest - Duration::days(RETURN_LOOKBACK_DAYS)).to_string();
        let pay_rows = tx
            .fetch_all(
                q("SELECT id, method, status, currency, amount_minor, payee_name, trace_number, end_to_end_id, check_number, batch_id, expected_date
                   FROM payments WHERE org_id = $1 AND (status = 'SENT' OR (status = 'COMPLETED' AND expected_date >= $2)) ORDER BY id")
                    .bind(&org)
                    .bind(&since),
            )
            .await?;
        let cleared: HashSet<String> = tx
            .fetch_all(
                q("SELECT mp.payment_id FROM reconciliation_match_payments mp JOIN payments p ON p.id = mp.payment_id
                   WHERE mp.org_id = $1 AND mp.live = 1 AND mp.outcome = 'CLEARED' AND p.status = 'COMPLETED' AND p.expected_date >= $2")
                    .bind(&org)
                    .bind(&since),
            )
            .await?
            .iter()
            .map(|r| r.text("payment_id"))
            .collect::<Result<_, _>>()?;
        let mut core_payments = Vec::with_capacity(pay_rows.len());
        let mut pays: HashMap<String, PayRow> = HashMap::with_capacity(pay_rows.len());
        for r in &pay_rows {
            let status = r.text("status")?;
            let cur = r.text("currency")?;
            let id = r.text("id")?;
            core_payments.push(Payment {
                id: id.clone(),
                amount_minor: r.i64("amount_minor")?,
                currency: currency(&cur)?,
                method: method(&r.text("method")?)?,
                expected_date: parse_date(r, "expected_date")?,
                trace_number: r.opt_text("trace_number")?,
                end_to_end_id: r.opt_text("end_to_end_id")?,
                check_number: r.opt_text("check_number")?,
                batch_id: r.opt_text("batch_id")?,
                counterparty_name: r.text("payee_name")?,
                status: if status == "SENT" {
                    PaymentStatus::Initiated
                } else {
                    PaymentStatus::Paid
                },
            });
            pays.insert(
                id.clone(),
                PayRow {
                    id,
                    status,
                    currency: cur,
                    amount_minor: r.i64("amount_minor")?,
                },
            );
        }
        summary.payments_considered = core_payments.len() as i64;
        phases.push(("load", clock.elapsed().as_millis()));
        let result = reconcile(&core_payments, &core_lines, config)
            .map_err(|e| StoreError::Corrupt(format!("matcher refused the stored data: {e}")))?;
        let by_id: HashMap<&str, &OpenLine> = open.iter().map(|l| (l.id.as_str(), l)).collect();
        let mut new_matches: Vec<NewMatch<'_>> = Vec::with_capacity(result.decisions.len());
        // (line id, cause, candidates)
        let mut exceptions: Vec<(String, &'static str, Value)> = Vec::new();
        for d in &result.decisions {
            let lines: Vec<&OpenLine> = d
                .line_ids
                .iter()
                .filter_map(|id| by_id.get(id.as_str()).copied())
                .collect();
            let payments: Vec<&PayRow> =
                d.payment_ids.iter().filter_map(|id| pays.get(id)).collect();
            let candidate = Candidate {
                payment_ids: d.payment_ids.clone(),
                score: d.score,
                reasons: d.reasons.clone(),
            };
            if d.outcome == Outcome::Matched && d.payment_ids.iter().any(|p| cleared.contains(p)) {
                // A debit for a payment a live match already cleared: a duplicate posting or a
                // wrong earlier match; either way a person decides.
                for l in &d.line_ids {
                    exceptions.push((
                        l.clone(),
                        "ALREADY_MATCHED",
                        candidates_json(std::slice::from_ref(&candidate)),
                    ));
                }
                continue;
            }
            let (outcome, field) = match d.outcome {
                Outcome::Matched => ("CLEARED", &mut summary.matched_lines),
                Outcome::Returned => ("RETURNED", &mut summary.returned_lines),
            };
            *field += lines.len() as i64;
            new_matches.push(NewMatch {
                kind: "AUTO",
                outcome,
                score: Some(i64::from(d.score)),
                reasons: Value::Array(d.reasons.iter().map(reason_json).collect()),
                lines,
                payments,
            });
        }
        for e in &result.exceptions {
            exceptions.push((
                e.line_id.clone(),
                cause_text(e.cause),
                candidates_json(&e.candidates),
            ));
        }
        phases.push(("engine", clock.elapsed().as_millis()));
        write_matches(tx, actor, Some(&summary.id), &new_matches).await?;
        phases.push(("matches", clock.elapsed().as_millis()));
        let today = chrono::Utc::now().date_naive().to_string();
        let now = now_text();
        for (line_id, cause, cands) in &exceptions {
            tx.execute(
                q("UPDATE bank_statement_lines SET status = 'EXCEPTION', exception_cause = $1, candidates = $2, exception_since = COALESCE(exception_since, $3), updated_at = $4
                   WHERE org_id = $5 AND id = $6")
                    .bind(*cause)
                    .bind(cands.to_string())
                    .bind(&today)
                    .bind(&now)
                    .bind(&org)
                    .bind(line_id),
            )
            .await?;
        }
        summary.exceptions = exceptions.len() as i64;
        phases.push(("exceptions", clock.elapsed().as_millis()));
    }
    tracing::info!(
        run_id = %summary.id,
        lines = summary.lines_considered,
        payments = summary.payments_considered,
        matched = summary.matched_lines,
        returned = summary.returned_lines,
        exceptions = summary.exceptions,
        phases_ms = ?phases,
        "reconciliation run"
    );
    summary.finished_at = now_text();
    tx.execute(
        q("INSERT INTO reconciliation_runs (id, org_id, trigger_kind, actor_id, lines_considered, payments_considered, matched, returned, exceptions, started_at, finished_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(&summary.id)
            .bind(&org)
            .bind(&summary.trigger)
            .bind(&actor.user_id)
            .bind(summary.lines_considered)
            .bind(summary.payments_considered)
            .bind(summary.matched_lines)
            .bind(summary.returned_lines)
            .bind(summary.exceptions)
            .bind(&summary.started_at)
            .bind(&summary.finished_at),
    )
    .await?;
    let after = serde_json::to_value(&summary).unwrap_or(Value::Null);
    audit::record(
        tx,
        actor,
        Change {
            action: "reconciliation.run",
            entity_type: "reconciliation_run",
            entity_id: &summary.id,
            before: None,
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "reconciliation.run_completed",
        "reconciliation_run",
        &summary.id,
        after,
    )
    .await?;
    Ok(summary)
}

/// Runs matching in its own transaction.
pub async fn run_now(
    db: &Db,
    actor: &Actor,
    trigger: &str,
    config: &MatchConfig,
) -> Result<RunSummary, StoreError> {
    let mut tx = db.begin().await?;
    let summary = run(&mut tx, actor, trigger, config).await?;
    tx.commit().await?;
    Ok(summary)
}
