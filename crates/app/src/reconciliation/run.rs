//! The matching run: the store's open lines and candidate payments in, the core's matcher,
//! matches (their payments settled), exceptions and the run's record (with its audit entry
//! and `reconciliation.run_completed` event) out, all in the caller's transaction.
//!
//! Each phase is a `tracing` span at debug level (`load`, `engine`, `matches`, `exceptions`),
//! so a subscriber sees how long each took.

use std::collections::{HashMap, HashSet};

use chrono::Duration;
use clearway_core::access::Permission;
use clearway_core::reconciliation::{
    reconcile, Candidate, Decision, MatchConfig, Outcome, Reconciliation,
};
use clearway_store::jobs::{self, Job};
use clearway_store::reconciliation::{
    self as store, candidates_json, cause_text, reasons_text, CandidatePayments, NewException,
    NewMatch, OpenLine, OpenLines, PaymentRow, RunSummary,
};
use clearway_store::{audit, new_id, now_text, outbox, Actor, Db, StoreError, Tx};
use tracing::Instrument;

use super::settlement::write_and_settle;
use super::views::run_json;
use crate::jobs::JobError;
use crate::AppResult;

/// COMPLETED payments older than this (before the oldest open line) are not offered for returns.
const RETURN_LOOKBACK_DAYS: i64 = 120;

/// What the matcher was offered.
struct Loaded {
    lines: OpenLines,
    payments: CandidatePayments,
    /// Payments a live match already cleared.
    cleared: HashSet<String>,
}

/// The matcher's result as rows to write.
struct Decided<'a> {
    matches: Vec<NewMatch<'a>>,
    exceptions: Vec<NewException>,
    matched_lines: i64,
    returned_lines: i64,
}

/// Runs the matcher over the organization's open lines and payments inside `tx`.
pub async fn run(
    tx: &mut Tx,
    actor: &Actor,
    trigger: &str,
    config: &MatchConfig,
) -> AppResult<RunSummary> {
    actor.require(Permission::Operate)?;
    let mut summary = RunSummary {
        id: new_id(),
        trigger: trigger.to_string(),
        started_at: now_text(),
        ..RunSummary::default()
    };
    store::lock(tx, actor).await?;
    // Money coming back for an expected recovery is taken out before the matcher runs.
    crate::recovery::reconcile::clear_expected(tx, actor).await?;
    let loaded = load(tx, actor)
        .instrument(tracing::debug_span!("load"))
        .await?;
    summary.lines_considered = count(loaded.lines.lines.len());
    summary.payments_considered = count(loaded.payments.rows.len());
    if !loaded.lines.lines.is_empty() {
        let result = tracing::debug_span!("engine").in_scope(|| {
            reconcile(&loaded.payments.engine, &loaded.lines.engine, config)
                .map_err(|e| StoreError::Corrupt(format!("matcher refused the stored data: {e}")))
        })?;
        let decided = tracing::debug_span!("decide").in_scope(|| decide(&loaded, &result));
        write_and_settle(
            tx,
            actor,
            Some(&summary.id),
            &decided.matches,
            Some(&loaded.payments.settling),
        )
        .instrument(tracing::debug_span!(
            "matches",
            matches = decided.matches.len()
        ))
        .await?;
        store::mark_exceptions(tx, actor, &decided.exceptions)
            .instrument(tracing::debug_span!("exceptions"))
            .await?;
        summary.matched_lines = decided.matched_lines;
        summary.returned_lines = decided.returned_lines;
        summary.exceptions = count(decided.exceptions.len());
    }
    summary.finished_at = now_text();
    record(tx, actor, &summary).await?;
    Ok(summary)
}

/// Runs matching in its own transaction.
pub async fn run_now(
    db: &Db,
    actor: &Actor,
    trigger: &str,
    config: &MatchConfig,
) -> AppResult<RunSummary> {
    let mut tx = db.begin().await?;
    let summary = run(&mut tx, actor, trigger, config).await?;
    tx.commit().await?;
    Ok(summary)
}

/// A count as stored (a `Vec` length always fits an `i64`).
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Reads the open lines, and (when there are any) the payments they may clear or return.
async fn load(tx: &mut Tx, actor: &Actor) -> AppResult<Loaded> {
    let lines = store::open_lines(tx, actor).await?;
    let Some(oldest) = lines.lines.iter().map(|l| l.value_date).min() else {
        return Ok(Loaded {
            lines,
            payments: CandidatePayments::default(),
            cleared: HashSet::new(),
        });
    };
    let since = oldest - Duration::days(RETURN_LOOKBACK_DAYS);
    let payments = store::candidate_payments(tx, actor, since).await?;
    let cleared = store::cleared_payment_ids(tx, actor, since).await?;
    Ok(Loaded {
        lines,
        payments,
        cleared,
    })
}

/// Turns the matcher's decisions into matches and exceptions. A decision clearing a payment
/// a live match already cleared becomes an `ALREADY_MATCHED` exception instead: a duplicate
/// posting or a wrong earlier match; either way a person decides.
fn decide<'a>(loaded: &'a Loaded, result: &Reconciliation) -> Decided<'a> {
    let by_id: HashMap<&str, &OpenLine> = loaded
        .lines
        .lines
        .iter()
        .map(|l| (l.id.as_str(), l))
        .collect();
    let pays: HashMap<&str, &PaymentRow> = loaded
        .payments
        .rows
        .iter()
        .map(|p| (p.id.as_str(), p))
        .collect();
    let mut out = Decided {
        matches: Vec::with_capacity(result.decisions.len()),
        exceptions: Vec::new(),
        matched_lines: 0,
        returned_lines: 0,
    };
    for d in &result.decisions {
        if d.outcome == Outcome::Matched && d.payment_ids.iter().any(|p| loaded.cleared.contains(p))
        {
            out.exceptions.extend(already_matched(d));
            continue;
        }
        let lines: Vec<&OpenLine> = d
            .line_ids
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect();
        let (outcome, tally) = match d.outcome {
            Outcome::Matched => ("CLEARED", &mut out.matched_lines),
            Outcome::Returned => ("RETURNED", &mut out.returned_lines),
        };
        *tally += count(lines.len());
        out.matches.push(NewMatch {
            kind: "AUTO",
            outcome,
            score: Some(i64::from(d.score)),
            reasons: reasons_text(&d.reasons),
            lines,
            payments: d
                .payment_ids
                .iter()
                .filter_map(|id| pays.get(id.as_str()).copied())
                .collect(),
        });
    }
    // By payment id: the match rows' keys and the payments' indexes are then written in
    // order (decisions come in line order, which touched pages at random at a million).
    out.matches.sort_by(|a, b| {
        a.payments
            .first()
            .map(|p| &p.id)
            .cmp(&b.payments.first().map(|p| &p.id))
    });
    for e in &result.exceptions {
        out.exceptions.push(NewException {
            line_id: e.line_id.clone(),
            cause: cause_text(e.cause),
            candidates: candidates_json(&e.candidates),
        });
    }
    out
}

/// A decision clearing a payment a live match already cleared, as exceptions of its lines.
fn already_matched(d: &Decision) -> Vec<NewException> {
    let candidate = Candidate {
        payment_ids: d.payment_ids.clone(),
        score: d.score,
        reasons: d.reasons.clone(),
    };
    d.line_ids
        .iter()
        .map(|l| NewException {
            line_id: l.clone(),
            cause: "ALREADY_MATCHED",
            candidates: candidates_json(std::slice::from_ref(&candidate)),
        })
        .collect()
}

/// Records the run with its audit entry and `reconciliation.run_completed` event.
async fn record(tx: &mut Tx, actor: &Actor, summary: &RunSummary) -> AppResult<()> {
    tracing::info!(
        run_id = %summary.id,
        lines = summary.lines_considered,
        payments = summary.payments_considered,
        matched = summary.matched_lines,
        returned = summary.returned_lines,
        exceptions = summary.exceptions,
        "reconciliation run"
    );
    store::record_run(tx, actor, summary).await?;
    let after = run_json(summary);
    audit::record(
        tx,
        actor,
        audit::Change {
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
    Ok(())
}

/// The `reconciliation.match` job an import enqueues: matching and the job's completion
/// commit together, so a crash leaves nothing half-applied and the re-run finds only what is
/// still open.
pub async fn match_job(db: &Db, job: &Job, worker_id: &str) -> Result<(), JobError> {
    if job.kind != super::MATCH_JOB {
        return Err(JobError::Permanent(format!(
            "no handler for job kind '{}'",
            job.kind
        )));
    }
    let actor = Actor::system(&job.org_id);
    let mut tx = db.begin().await?;
    run(&mut tx, &actor, "IMPORT", &MatchConfig::default()).await?;
    jobs::finish(&mut tx, job, worker_id).await?;
    tx.commit().await?;
    Ok(())
}
