//! The `sync.push` job: our distributions (past approval), each with its lines and payments,
//! sent to the administrator when new or changed since their last push.
//!
//! Each is sent with `Idempotency-Key: <distribution id>:<fingerprint>`: a push retried after
//! a timeout, or re-run after a crash between the call and recording it, carries the same key
//! and the administrator answers with what it already has; a changed distribution gets a new
//! key. A distribution whose content is unchanged since its last push is not sent again.

use clearway_core::money::Currency;
use clearway_store::jobs::Job;
use clearway_store::sync::connector::{self as state, Pushed};
use clearway_store::sync::exports::{self as rows, DistRow, LineRow, PaymentRow};
use clearway_store::{now_text, Actor, Db};
use sha2::{Digest, Sha256};

use super::{AdministratorConnector, OutboundBatch, PushDistribution, PushLine, PushPayment};
use crate::jobs::JobError;

/// Job kind.
pub const PUSH_JOB: &str = "sync.push";
/// Distributions looked at per round.
pub const PUSH_BATCH: i64 = 200;
/// Rounds per run (a run never chases a feed that keeps changing).
const MAX_ROUNDS: usize = 50;

/// What a push run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushSummary {
    /// Distributions sent.
    pub sent: usize,
    /// Distributions found unchanged since their last push.
    pub unchanged: usize,
}

fn money(currency: &str, minor: i64) -> String {
    Currency::parse(currency)
        .map(|c| c.format_minor(minor))
        // why: a stored currency always parses; were one not to, the minor units still say the amount
        .unwrap_or_else(|_| minor.to_string())
}

/// The batch of one distribution, keyed by its content's fingerprint.
pub fn batch_of(
    d: &DistRow,
    lines: &[LineRow],
    payments: &[PaymentRow],
) -> (OutboundBatch, String) {
    let mut batch = OutboundBatch {
        idempotency_key: String::new(),
        distribution: PushDistribution {
            id: d.id.clone(),
            fund_id: d.fund_id.clone(),
            kind: d.kind.clone(),
            status: d.status.clone(),
            currency: d.currency.clone(),
            record_date: d.record_date.clone(),
            payable_date: d.payable_date.clone(),
            total: money(&d.currency, d.total_minor),
            description: d.description.clone(),
        },
        lines: lines
            .iter()
            .map(|l| PushLine {
                investor_id: l.investor_id.clone(),
                units: l.units.clone(),
                total: money(&l.currency, l.total_minor),
                status: l.status.clone(),
            })
            .collect(),
        payments: payments
            .iter()
            .map(|p| PushPayment {
                id: p.id.clone(),
                investor_id: p.investor_id.clone(),
                method: p.method.clone(),
                status: p.status.clone(),
                currency: p.currency.clone(),
                amount: money(&p.currency, p.amount_minor),
                expected_date: p.expected_date.clone(),
            })
            .collect(),
    };
    // why: serializing these plain structs cannot fail
    let body = serde_json::to_vec(&batch).unwrap_or_default();
    let fingerprint = hex::encode(Sha256::digest(&body));
    batch.idempotency_key = format!("{}:{}", d.id, &fingerprint[..32]);
    (batch, fingerprint)
}

/// Pushes what is pending (see the module docs).
pub async fn push_pending<C: AdministratorConnector>(
    db: &Db,
    connector: &C,
    actor: &Actor,
) -> Result<PushSummary, JobError> {
    let mut summary = PushSummary::default();
    for _ in 0..MAX_ROUNDS {
        let mut tx = db.begin().await?;
        let pending = state::pending_pushes(&mut tx, actor, connector.name(), PUSH_BATCH).await?;
        tx.commit().await?;
        if pending.is_empty() {
            break;
        }
        for (id, last) in pending {
            let seen_at = now_text();
            let mut tx = db.begin().await?;
            let Some((d, lines, payments)) =
                rows::distribution_in_full(&mut tx, actor, &id).await?
            else {
                continue;
            };
            tx.commit().await?;
            let (batch, fingerprint) = batch_of(&d, &lines, &payments);
            let key = batch.idempotency_key.clone();
            let unchanged = last.as_deref() == Some(fingerprint.as_str());
            let receipt = if unchanged {
                None
            } else {
                Some(connector.push(batch).await?)
            };
            let mut tx = db.begin().await?;
            let pushed = Pushed {
                distribution_id: &id,
                fingerprint: &fingerprint,
                idempotency_key: &key,
                receipt_id: receipt.as_ref().map_or("", |r| r.id.as_str()),
                seen_at: &seen_at,
                sent: receipt.is_some(),
            };
            state::record_push(&mut tx, actor, connector.name(), &pushed).await?;
            tx.commit().await?;
            if receipt.is_some() {
                summary.sent += 1;
            } else {
                summary.unchanged += 1;
            }
        }
    }
    Ok(summary)
}

/// The `sync.push` job: pushes, then records the run (its error too) on the connector state
/// and finishes the job; a failure is retried by the queue.
pub async fn run_job<C: AdministratorConnector>(
    db: &Db,
    connector: &C,
    job: &Job,
    worker_id: &str,
) -> Result<(), JobError> {
    let actor = Actor::system(&job.org_id);
    let outcome = push_pending(db, connector, &actor).await;
    super::pull::finish(
        db,
        connector.name(),
        &actor,
        job,
        worker_id,
        outcome.map(|_| None),
    )
    .await
}
