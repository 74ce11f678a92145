//! Reconciliation through the store: runs the pure matcher
//! ([`clearway_core::reconciliation::reconcile`]) over the organization's open statement lines
//! and payments, persists its decisions as matches, applies them to the payments through
//! [`payments::settle_many`] (one bulk settlement per run), and keeps what it could not decide
//! as exceptions with candidates.
//! Manual match and unmatch, with audit, and the reconciliation summary live here too.
//!
//! Never twice: a line in a live match is not offered again, a payment already cleared by a
//! live match is not cleared again, and two partial unique indexes (one live match per line;
//! one live CLEARED and one live RETURNED per payment) make the database refuse what the code
//! might miss. Runs of one organization queue on its `reconciliation_locks` row.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use clearway_core::access::Permission;
use clearway_core::reconciliation::{
    reconcile, Candidate, ExceptionCause, MatchConfig, Outcome, Payment, PaymentMethod,
    PaymentStatus, Reason, StatementLine,
};
use clearway_core::{Currency, FieldError, Invalid};
use serde::Serialize;
use serde_json::{json, Value};

use crate::audit::{self, Change};
use crate::db::{placeholders, Arg};
use crate::payments::{self, Settlement};
use crate::statements::{line_view, require_reader, LineView, LINE_COLS};
use crate::{new_id, now_text, outbox, q, Actor, Db, Row, StoreError, Tx};

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

fn invalid(field: &str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(Invalid::from(FieldError::new(field, message)))
}

fn parse_date(r: &Row, col: &str) -> Result<NaiveDate, StoreError> {
    r.parse::<NaiveDate>(col)
}

fn method(text: &str) -> Result<PaymentMethod, StoreError> {
    match text {
        "ACH" => Ok(PaymentMethod::Ach),
        "WIRE" => Ok(PaymentMethod::Wire),
        "CHECK" => Ok(PaymentMethod::Check),
        other => Err(StoreError::Corrupt(format!("payment method '{other}'"))),
    }
}

fn currency(text: &str) -> Result<Currency, StoreError> {
    Currency::parse(text).map_err(StoreError::Corrupt)
}

/// A reason as JSON: `{"code": "DATE_WITHIN", "value": 1}`.
pub fn reason_json(r: &Reason) -> Value {
    let (code, value) = match r {
        Reason::ReferenceExact => ("REFERENCE_EXACT", None),
        Reason::ReferenceTruncated => ("REFERENCE_TRUNCATED", None),
        Reason::BatchReference => ("BATCH_REFERENCE", None),
        Reason::AmountExact => ("AMOUNT_EXACT", None),
        Reason::AmountDiffers(d) => ("AMOUNT_DIFFERS", Some(*d)),
        Reason::DateWithin(d) => ("DATE_WITHIN", Some(i64::from(*d))),
        Reason::CounterpartySimilar(s) => ("COUNTERPARTY_SIMILAR", Some(i64::from(*s))),
        Reason::BatchTotal(n) => ("BATCH_TOTAL", Some(i64::from(*n))),
        Reason::SplitTotal(n) => ("SPLIT_TOTAL", Some(i64::from(*n))),
        Reason::ReturnOf => ("RETURN_OF", None),
    };
    match value {
        Some(v) => json!({ "code": code, "value": v }),
        None => json!({ "code": code }),
    }
}

fn candidates_json(cands: &[Candidate]) -> Value {
    Value::Array(
        cands
            .iter()
            .map(|c| {
                json!({
                    "paymentIds": c.payment_ids,
                    "score": c.score,
                    "reasons": c.reasons.iter().map(reason_json).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// The stored spelling of an exception cause.
pub fn cause_text(c: ExceptionCause) -> &'static str {
    match c {
        ExceptionCause::NoCandidate => "NO_CANDIDATE",
        ExceptionCause::BelowThreshold => "BELOW_THRESHOLD",
        ExceptionCause::Ambiguous => "AMBIGUOUS",
        ExceptionCause::Contested => "CONTESTED",
        ExceptionCause::AmountMismatch => "AMOUNT_MISMATCH",
    }
}

/// Every cause an exception can have (the matcher's, plus the store's own).
pub const CAUSES: [&str; 7] = [
    "NO_CANDIDATE",
    "BELOW_THRESHOLD",
    "AMBIGUOUS",
    "CONTESTED",
    "AMOUNT_MISMATCH",
    "ALREADY_MATCHED",
    "MANUALLY_UNMATCHED",
];

/// A statement line as the matcher and the match writer need it.
#[derive(Debug, Clone)]
struct OpenLine {
    id: String,
    account_id: String,
    currency: String,
    amount_minor: i64,
    value_date: NaiveDate,
    description: String,
    status: String,
}

/// A payment as the match writer needs it.
#[derive(Debug, Clone)]
struct PayRow {
    id: String,
    status: String,
    currency: String,
    amount_minor: i64,
}

/// Takes the organization's run lock (held until `tx` ends).
async fn lock(tx: &mut Tx, org: &str) -> Result<(), StoreError> {
    tx.execute(
        q("INSERT INTO reconciliation_locks (org_id, runs) VALUES ($1, 0) ON CONFLICT (org_id) DO NOTHING")
            .bind(org),
    )
    .await?;
    tx.execute(q("UPDATE reconciliation_locks SET runs = runs + 1 WHERE org_id = $1").bind(org))
        .await?;
    Ok(())
}

/// Marks MATCHED every line of the organization that is in a live match but not yet marked:
/// one statement whatever the number of lines (a chunked `id IN (…)` update cost PostgreSQL
/// seconds per run on freshly imported lines), driven by the open lines and the live-match
/// index on `line_id`.
async fn set_lines_matched(tx: &mut Tx, org: &str, now: &str) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE bank_statement_lines SET status = 'MATCHED', exception_cause = NULL, candidates = NULL, exception_since = NULL, updated_at = $1
           WHERE org_id = $2 AND status IN ('OPEN','EXCEPTION')
             AND EXISTS (SELECT 1 FROM reconciliation_match_lines ml WHERE ml.line_id = bank_statement_lines.id AND ml.org_id = $2 AND ml.live = 1)")
            .bind(now)
            .bind(org),
    )
    .await?;
    Ok(())
}

/// A decision ready to write.
struct NewMatch<'a> {
    kind: &'static str,
    outcome: &'static str,
    score: Option<i64>,
    reasons: Value,
    lines: Vec<&'a OpenLine>,
    payments: Vec<&'a PayRow>,
}

/// An ACH return code (`R01`…`R99`) in the line text, else a generic one.
fn return_code(description: &str) -> String {
    description
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| w.len() == 3 && w.starts_with('R') && w[1..].bytes().all(|b| b.is_ascii_digit()))
        .map_or_else(|| "BANK_RETURN".to_string(), str::to_string)
}

/// Writes matches (rows in bulk), marks their lines MATCHED and settles their payments.
async fn write_matches(
    tx: &mut Tx,
    actor: &Actor,
    run_id: Option<&str>,
    matches: &[NewMatch<'_>],
) -> Result<Vec<String>, StoreError> {
    let org = actor.org_id.clone();
    let now = now_text();
    let mut match_rows: Vec<Vec<Arg>> = Vec::with_capacity(matches.len());
    let mut line_rows: Vec<Vec<Arg>> = Vec::new();
    let mut pay_rows: Vec<Vec<Arg>> = Vec::new();
    let mut ids = Vec::with_capacity(matches.len());
    for m in matches {
        let id = new_id();
        let first = m.lines[0];
        let amount: i64 = m.lines.iter().map(|l| l.amount_minor.abs()).sum();
        let value_date = m
            .lines
            .iter()
            .map(|l| l.value_date)
            .max()
            .unwrap_or(first.value_date);
        match_rows.push(vec![
            id.clone().into(),
            org.clone().into(),
            run_id.map(str::to_string).into(),
            m.kind.into(),
            m.outcome.into(),
            m.score.into(),
            m.reasons.to_string().into(),
            first.account_id.clone().into(),
            first.currency.clone().into(),
            amount.into(),
            value_date.to_string().into(),
            1i64.into(),
            actor.user_id.clone().into(),
            now.clone().into(),
        ]);
        for l in &m.lines {
            line_rows.push(vec![
                id.clone().into(),
                l.id.clone().into(),
                org.clone().into(),
                1i64.into(),
            ]);
        }
        for p in &m.payments {
            pay_rows.push(vec![
                id.clone().into(),
                p.id.clone().into(),
                org.clone().into(),
                m.outcome.into(),
                1i64.into(),
                p.status.clone().into(),
            ]);
        }
        ids.push(id);
    }
    let unique = |e: StoreError| {
        if e.is_unique_violation() {
            StoreError::Conflict(
                "a statement line or payment in this match is already in a live match".into(),
            )
        } else {
            e
        }
    };
    let t = std::time::Instant::now();
    tx.bulk_insert(
        "reconciliation_matches",
        &[
            "id",
            "org_id",
            "run_id",
            "kind",
            "outcome",
            "score",
            "reasons",
            "account_id",
            "currency",
            "amount_minor",
            "value_date",
            "live",
            "created_by",
            "created_at",
        ],
        &match_rows,
    )
    .await?;
    tx.bulk_insert(
        "reconciliation_match_lines",
        &["match_id", "line_id", "org_id", "live"],
        &line_rows,
    )
    .await
    .map_err(unique)?;
    tx.bulk_insert(
        "reconciliation_match_payments",
        &[
            "match_id",
            "payment_id",
            "org_id",
            "outcome",
            "live",
            "prior_status",
        ],
        &pay_rows,
    )
    .await
    .map_err(unique)?;
    let inserted_ms = t.elapsed().as_millis() as u64;
    set_lines_matched(tx, &org, &now).await?;
    tracing::debug!(
        inserted_ms,
        lines_updated_ms = t.elapsed().as_millis() as u64 - inserted_ms,
        "match rows written"
    );
    let settle_started = std::time::Instant::now();
    // Payments: cleared ones first, so a payment matched and returned in one run ends RETURNED;
    // all recorded by one bulk settlement, in that order.
    let mut outcomes: Vec<(String, Settlement)> = Vec::new();
    for pass in ["CLEARED", "RETURNED"] {
        for m in matches.iter().filter(|m| m.outcome == pass) {
            let value_date = m
                .lines
                .iter()
                .map(|l| l.value_date)
                .max()
                .unwrap_or(m.lines[0].value_date);
            for p in &m.payments {
                let settlement = if pass == "CLEARED" {
                    if p.status != "SENT" {
                        continue; // already COMPLETED (e.g. by the provider): nothing to change
                    }
                    Settlement::Cleared { value_date }
                } else {
                    let text = &m.lines[0].description;
                    Settlement::Returned {
                        code: return_code(text),
                        reason: format!(
                            "credit back on statement line {}: {}",
                            m.lines[0].id,
                            text.chars().take(200).collect::<String>()
                        ),
                    }
                };
                outcomes.push((p.id.clone(), settlement));
            }
        }
    }
    payments::settle_many(tx, actor, &outcomes).await?;
    tracing::debug!(
        matches = matches.len(),
        settle_ms = settle_started.elapsed().as_millis() as u64,
        "matches written and payments settled"
    );
    Ok(ids)
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
        &org,
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
        &org,
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
        &org,
        "reconciliation.unmatched",
        "reconciliation_match",
        match_id,
        after_json,
    )
    .await?;
    Ok(after)
}

/// Filters of the exceptions queue.
#[derive(Debug, Clone, Default)]
pub struct ExceptionFilter {
    /// Only this account.
    pub account: Option<String>,
    /// Only this cause.
    pub cause: Option<String>,
    /// At least this many days old (by value date, as of `as_of`).
    pub min_age_days: Option<i64>,
    /// At most this many days old.
    pub max_age_days: Option<i64>,
    /// Day ages are counted to.
    pub as_of: Option<NaiveDate>,
    /// Cursor: the last line id seen.
    pub after_id: Option<String>,
    /// Page size.
    pub limit: i64,
}

/// The open exceptions (lines left for people), oldest id first.
pub async fn exceptions(
    db: &Db,
    actor: &Actor,
    f: &ExceptionFilter,
) -> Result<Vec<LineView>, StoreError> {
    require_reader(actor)?;
    if let Some(c) = &f.cause {
        if !CAUSES.contains(&c.as_str()) {
            return Err(invalid(
                "cause",
                format!("'{c}' is not a cause ({})", CAUSES.join(", ")),
            ));
        }
    }
    let as_of = f.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let day = |n: Option<i64>| n.map(|n| (as_of - Duration::days(n)).to_string());
    db.fetch_all(
        q(format!("SELECT {LINE_COLS} FROM bank_statement_lines l WHERE l.org_id = $1 AND l.status = 'EXCEPTION'
             AND ($2 IS NULL OR l.account_id = $2) AND ($3 IS NULL OR l.exception_cause = $3)
             AND ($4 IS NULL OR l.value_date <= $4) AND ($5 IS NULL OR l.value_date >= $5)
             AND l.id > $6 ORDER BY l.id LIMIT $7"))
            .bind(&actor.org_id)
            .bind(f.account.clone())
            .bind(f.cause.clone())
            .bind(day(f.min_age_days))
            .bind(day(f.max_age_days))
            .bind(f.after_id.clone().unwrap_or_default())
            .bind(f.limit),
    )
    .await?
    .iter()
    .map(line_view)
    .collect()
}

/// Matched lines of one kind and outcome.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    /// Number of lines.
    pub lines: i64,
    /// Sum of their absolute amounts (minor units).
    pub amount_minor: i64,
}

/// Open exceptions by age (days since value date).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgeBuckets {
    /// 0–2 days.
    #[serde(rename = "days0to2")]
    pub days_0_2: i64,
    /// 3–7 days.
    #[serde(rename = "days3to7")]
    pub days_3_7: i64,
    /// 8–30 days.
    #[serde(rename = "days8to30")]
    pub days_8_30: i64,
    /// More than 30 days.
    #[serde(rename = "over30Days")]
    pub days_over_30: i64,
}

/// The summary of one account and currency over a period.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    /// Account.
    pub account_id: String,
    /// Currency.
    pub currency: String,
    /// Statement lines in the period.
    pub lines: i64,
    /// Sum of debits (positive).
    pub debits_minor: i64,
    /// Sum of credits.
    pub credits_minor: i64,
    /// Auto-matched payments (cleared).
    pub auto_cleared: Tally,
    /// Manually matched payments (cleared).
    pub manual_cleared: Tally,
    /// Returns matched (auto and manual).
    pub returned: Tally,
    /// Open exceptions.
    pub open_exceptions: Tally,
    /// Lines not yet seen by matching.
    pub unprocessed: Tally,
    /// Open exceptions by age.
    pub exception_age: AgeBuckets,
    /// Open exceptions by cause.
    pub exception_causes: BTreeMap<String, i64>,
    /// Auto-matched share of cleared lines, in basis points (10,000 = 100 %).
    pub auto_rate_bp: i64,
}

/// Ledger side per currency: what we sent vs what the bank shows.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerSummary {
    /// Currency.
    pub currency: String,
    /// Payments expected on a statement in the period (SENT, COMPLETED or RETURNED).
    pub expected_payments: Tally,
    /// Of them still outstanding (SENT).
    pub outstanding_payments: Tally,
    /// Statement debits in the period, all accounts (positive).
    pub bank_debits_minor: i64,
    /// Expected payments minus bank debits: fees, stray items and outstanding payments.
    pub difference_minor: i64,
}

/// The reconciliation summary of a period.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// First value date.
    pub from: String,
    /// Last value date.
    pub to: String,
    /// Ages counted to this day.
    pub as_of: String,
    /// Per account and currency.
    pub accounts: Vec<AccountSummary>,
    /// Per currency.
    pub ledger: Vec<LedgerSummary>,
}

/// Reconciliation summary per account for value dates `from..=to`.
pub async fn summary(
    db: &Db,
    actor: &Actor,
    account: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
) -> Result<Summary, StoreError> {
    require_reader(actor)?;
    if from > to {
        return Err(invalid("from", "must not be after 'to'"));
    }
    let org = &actor.org_id;
    let (f, t) = (from.to_string(), to.to_string());
    let mut accounts: BTreeMap<(String, String), AccountSummary> = BTreeMap::new();
    let rows = db
        .fetch_all(
            q("SELECT account_id, currency, status, COUNT(*) AS n,
                      CAST(COALESCE(SUM(CASE WHEN amount_minor < 0 THEN -amount_minor ELSE 0 END), 0) AS BIGINT) AS debits,
                      CAST(COALESCE(SUM(CASE WHEN amount_minor > 0 THEN amount_minor ELSE 0 END), 0) AS BIGINT) AS credits
               FROM bank_statement_lines WHERE org_id = $1 AND value_date >= $2 AND value_date <= $3 AND ($4 IS NULL OR account_id = $4)
               GROUP BY account_id, currency, status")
                .bind(org)
                .bind(&f)
                .bind(&t)
                .bind(account),
        )
        .await?;
    for r in &rows {
        let key = (r.text("account_id")?, r.text("currency")?);
        let a = accounts
            .entry(key.clone())
            .or_insert_with(|| AccountSummary {
                account_id: key.0.clone(),
                currency: key.1.clone(),
                ..AccountSummary::default()
            });
        let (n, debits, credits) = (r.i64("n")?, r.i64("debits")?, r.i64("credits")?);
        a.lines += n;
        a.debits_minor += debits;
        a.credits_minor += credits;
        if r.text("status")? == "OPEN" {
            a.unprocessed.lines += n;
            a.unprocessed.amount_minor += debits + credits;
        }
    }
    let rows = db
        .fetch_all(
            q("SELECT l.account_id, l.currency, m.kind, m.outcome, COUNT(*) AS n, CAST(COALESCE(SUM(ABS(l.amount_minor)), 0) AS BIGINT) AS amount
               FROM reconciliation_match_lines ml JOIN reconciliation_matches m ON m.id = ml.match_id JOIN bank_statement_lines l ON l.org_id = ml.org_id AND l.id = ml.line_id
               WHERE ml.org_id = $1 AND ml.live = 1 AND l.value_date >= $2 AND l.value_date <= $3 AND ($4 IS NULL OR l.account_id = $4)
               GROUP BY l.account_id, l.currency, m.kind, m.outcome")
                .bind(org)
                .bind(&f)
                .bind(&t)
                .bind(account),
        )
        .await?;
    for r in &rows {
        let key = (r.text("account_id")?, r.text("currency")?);
        let Some(a) = accounts.get_mut(&key) else {
            continue;
        };
        let tally = match (r.text("kind")?.as_str(), r.text("outcome")?.as_str()) {
            (_, "RETURNED") => &mut a.returned,
            ("AUTO", _) => &mut a.auto_cleared,
            _ => &mut a.manual_cleared,
        };
        tally.lines += r.i64("n")?;
        tally.amount_minor += r.i64("amount")?;
    }
    let rows = db
        .fetch_all(
            q("SELECT account_id, currency, value_date, amount_minor, exception_cause FROM bank_statement_lines
               WHERE org_id = $1 AND status = 'EXCEPTION' AND value_date >= $2 AND value_date <= $3 AND ($4 IS NULL OR account_id = $4)")
                .bind(org)
                .bind(&f)
                .bind(&t)
                .bind(account),
        )
        .await?;
    for r in &rows {
        let key = (r.text("account_id")?, r.text("currency")?);
        let Some(a) = accounts.get_mut(&key) else {
            continue;
        };
        a.open_exceptions.lines += 1;
        a.open_exceptions.amount_minor += r.i64("amount_minor")?.abs();
        let age = (as_of - parse_date(r, "value_date")?).num_days();
        match age {
            i64::MIN..=2 => a.exception_age.days_0_2 += 1,
            3..=7 => a.exception_age.days_3_7 += 1,
            8..=30 => a.exception_age.days_8_30 += 1,
            _ => a.exception_age.days_over_30 += 1,
        }
        *a.exception_causes
            .entry(r.opt_text("exception_cause")?.unwrap_or_default())
            .or_default() += 1;
    }
    for a in accounts.values_mut() {
        // Share of the cleared lines that matching decided without a person.
        let cleared = a.auto_cleared.lines + a.manual_cleared.lines;
        a.auto_rate_bp = (a.auto_cleared.lines * 10_000)
            .checked_div(cleared)
            .unwrap_or(0);
    }
    let mut ledger: BTreeMap<String, LedgerSummary> = BTreeMap::new();
    for a in accounts.values() {
        let l = ledger
            .entry(a.currency.clone())
            .or_insert_with(|| LedgerSummary {
                currency: a.currency.clone(),
                ..LedgerSummary::default()
            });
        l.bank_debits_minor += a.debits_minor;
    }
    let rows = db
        .fetch_all(
            q("SELECT currency, status, COUNT(*) AS n, CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS amount FROM payments
               WHERE org_id = $1 AND expected_date >= $2 AND expected_date <= $3 AND status IN ('SENT','COMPLETED','RETURNED')
               GROUP BY currency, status")
                .bind(org)
                .bind(&f)
                .bind(&t),
        )
        .await?;
    for r in &rows {
        let cur = r.text("currency")?;
        let l = ledger.entry(cur.clone()).or_insert_with(|| LedgerSummary {
            currency: cur.clone(),
            ..LedgerSummary::default()
        });
        let (n, amount) = (r.i64("n")?, r.i64("amount")?);
        l.expected_payments.lines += n;
        l.expected_payments.amount_minor += amount;
        if r.text("status")? == "SENT" {
            l.outstanding_payments.lines += n;
            l.outstanding_payments.amount_minor += amount;
        }
    }
    for l in ledger.values_mut() {
        l.difference_minor = l.expected_payments.amount_minor - l.bank_debits_minor;
    }
    Ok(Summary {
        from: f,
        to: t,
        as_of: as_of.to_string(),
        accounts: accounts.into_values().collect(),
        ledger: ledger.into_values().collect(),
    })
}

/// All live matches of the organization as (outcome, line ids, payment ids), for evaluation
/// against a simulator's ground truth (benchmarks and tests).
pub async fn live_decisions(
    db: &Db,
    actor: &Actor,
) -> Result<Vec<(String, Vec<String>, Vec<String>)>, StoreError> {
    require_reader(actor)?;
    let mut by: BTreeMap<String, (String, Vec<String>, Vec<String>)> = BTreeMap::new();
    for r in db
        .fetch_all(
            q("SELECT m.id, m.outcome, ml.line_id FROM reconciliation_matches m JOIN reconciliation_match_lines ml ON ml.match_id = m.id WHERE m.org_id = $1 AND m.live = 1")
                .bind(&actor.org_id),
        )
        .await?
    {
        let e = by.entry(r.text("id")?).or_insert_with(|| (String::new(), Vec::new(), Vec::new()));
        e.0 = r.text("outcome")?;
        e.1.push(r.text("line_id")?);
    }
    for r in db
        .fetch_all(
            q("SELECT mp.match_id, mp.payment_id FROM reconciliation_match_payments mp WHERE mp.org_id = $1 AND mp.live = 1")
                .bind(&actor.org_id),
        )
        .await?
    {
        if let Some(e) = by.get_mut(&r.text("match_id")?) {
            e.2.push(r.text("payment_id")?);
        }
    }
    Ok(by.into_values().collect())
}

/// Lines of a statement file in file order (for evaluation against a simulator's truth).
pub async fn file_line_ids(
    db: &Db,
    actor: &Actor,
    file_id: &str,
) -> Result<Vec<String>, StoreError> {
    require_reader(actor)?;
    db.fetch_all(
        q("SELECT l.id FROM bank_statement_lines l JOIN bank_statements s ON s.id = l.statement_id WHERE s.org_id = $1 AND s.file_id = $2 ORDER BY s.seq, l.seq")
            .bind(&actor.org_id)
            .bind(file_id),
    )
    .await?
    .iter()
    .map(|r| r.text("id"))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_codes_come_from_the_bank_text() {
        assert_eq!(return_code("ACH RETURN R03 NO ACCOUNT TRACE 0210"), "R03");
        assert_eq!(return_code("RETURN/R10/UNAUTHORIZED"), "R10");
        assert_eq!(return_code("RETURNED ITEM"), "BANK_RETURN");
        assert_eq!(return_code("REF R1234"), "BANK_RETURN");
    }

    #[test]
    fn reasons_are_named_codes_with_values() {
        assert_eq!(
            reason_json(&Reason::DateWithin(2)),
            json!({"code": "DATE_WITHIN", "value": 2})
        );
        assert_eq!(
            reason_json(&Reason::ReferenceExact),
            json!({"code": "REFERENCE_EXACT"})
        );
        assert_eq!(
            reason_json(&Reason::AmountDiffers(-5)),
            json!({"code": "AMOUNT_DIFFERS", "value": -5})
        );
    }
}
