//! The file rails: NACHA ACH files, ISO 20022 pain.001 wire files and the check register, built
//! with the `formats` crate; NACHA return and notification-of-change files read back.
//!
//! A rail job takes every PENDING, unheld payment of one distribution and method, builds its
//! file (ACH: as many files as the ODFI's limits need, each read back before it is stored;
//! wires: one per currency), stores it sealed as a payment batch, and marks the payments SENT with their references
//! (trace number / end-to-end id / check number), batch id and expected date — in one
//! transaction with the job's completion, so a crash leaves either no file and PENDING
//! payments, or the file and SENT payments; never a second file for the same payments.
//!
//! The bytes are built by pure writers in `formats`; this module reads the payments and payees,
//! seals and stores the files, and moves the payments:
//! - [`ach`]: the ACH rail (trace numbers, File ID Modifiers; [`clearway_formats::ach::plan_credit_files`]).
//! - [`wire`]: the wire rail ([`clearway_formats::iso20022::wires`]).
//! - [`check`]: the check rail ([`clearway_formats::payments_csv::check_register`]).
//! - [`returns`]: NACHA return and notification-of-change files read back.
//! - this file: the rail job, the sealed payment batch, payments marked SENT.

pub mod ach;
pub mod check;
pub mod returns;
pub mod wire;

pub use ach::{nacha_file, trace_sequences, AchItem};
pub use check::{address_lines, check_register, CheckItem};
pub use clearway_formats::ach::nacha_text;
pub use clearway_formats::iso20022::wires::{end_to_end_id, latin_text, WireItem};
pub use returns::{import_returns, import_returns_file, ReturnsOutcome};
pub use wire::{pain001_file, postal_address};

use std::collections::HashMap;

use clearway_core::payments::{Method, PaymentStatus};
use clearway_store::audit::{self, Change};
use clearway_store::bank_accounts::{self, BankAccount};
use clearway_store::jobs::{self, Job};
use clearway_store::payment_batches::{self, NewBatch};
use clearway_store::payments::{self as pstore, Payment, Sent, Update};
use clearway_store::{new_id, Actor, StoreError, Tx};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::jobs::JobError;
use crate::payments::{connectors, PaymentsConfig, SendVia, Vault};
use clearway_store::Db;

/// Job kind: build the NACHA file of a distribution's pending ACH payments.
pub const ACH_JOB: &str = "payment.ach";
/// Job kind: build the pain.001 file of a distribution's pending wires.
pub const WIRE_JOB: &str = "payment.wire";
/// Job kind: number a distribution's pending checks into the register.
pub const CHECK_JOB: &str = "payment.check";

/// The rail job of a method.
pub fn job_kind(method: Method) -> &'static str {
    match method {
        Method::Ach => ACH_JOB,
        Method::Wire => WIRE_JOB,
        Method::Check => CHECK_JOB,
    }
}

/// What one rail job produced.
pub(super) struct Produced {
    pub(super) kind: &'static str,
    pub(super) file_name: String,
    pub(super) content: String,
    pub(super) sent: Vec<Sent>,
    pub(super) rejected: Vec<(String, String)>,
    pub(super) total_minor: i64,
    pub(super) currency: String,
}

pub(super) fn sealed_file(
    vault: &Vault,
    content: &str,
) -> Result<(clearway_store::bank_accounts::Sealed, String), JobError> {
    let (key_id, ciphertext) = vault
        .seal_bytes(content.as_bytes())
        .map_err(|e| JobError::Retryable(e.to_string()))?;
    Ok((
        clearway_store::bank_accounts::Sealed {
            key_id,
            ciphertext,
            last4: String::new(),
        },
        hex::encode(Sha256::digest(content.as_bytes())),
    ))
}

pub(super) async fn payees_of(
    tx: &mut Tx,
    actor: &Actor,
    payments: &[Payment],
) -> Result<HashMap<String, BankAccount>, StoreError> {
    match payments.first() {
        Some(p) => bank_accounts::of_pending_payments(tx, actor, &p.distribution_id).await,
        None => Ok(HashMap::new()),
    }
}

/// A rail job: builds the file of a distribution's pending payments of one method (or, when
/// sending through providers, enqueues one provider call per ACH/wire payment).
pub async fn run_rail_job(
    db: &Db,
    cfg: &PaymentsConfig,
    job: &Job,
    worker_id: &str,
) -> Result<(), JobError> {
    let method = match job.kind.as_str() {
        ACH_JOB => Method::Ach,
        WIRE_JOB => Method::Wire,
        _ => Method::Check,
    };
    let distribution_id = crate::jobs::payload_text(job, "distributionId")?;
    let actor = Actor::system(&job.org_id);
    let mut tx = db.begin().await?;
    if method == Method::Ach && cfg.send_via == SendVia::Files {
        if let Some(at) = ach_cut_at(cfg.ach_cut_every, job, chrono::Utc::now()) {
            // Waits for the organization's next ACH cut, which takes it along with the others.
            let mut payload = job.payload.clone();
            payload["cutAt"] = json!(at.to_rfc3339());
            jobs::postpone(&mut tx, job, worker_id, at, &payload).await?;
            tx.commit().await?;
            return Ok(());
        }
        // Nothing pending (a cut took it along): done, without waiting for the cut lock.
        if pstore::pending_for_rail(&mut tx, &actor, &distribution_id, method, None)
            .await?
            .is_empty()
        {
            jobs::finish(&mut tx, job, worker_id).await?;
            tx.commit().await?;
            return Ok(());
        }
        // Under the lock, read again (a concurrent cut may have taken it); while another cut
        // holds it, come back shortly rather than block a worker behind it.
        if !ach::try_lock_cut(&mut tx, &actor).await? {
            let at = chrono::Utc::now() + chrono::Duration::seconds(CUT_BUSY_RETRY_SECS);
            jobs::postpone(&mut tx, job, worker_id, at, &job.payload).await?;
            tx.commit().await?;
            return Ok(());
        }
    }
    let pending = pstore::pending_for_rail(&mut tx, &actor, &distribution_id, method, None).await?;
    if method != Method::Check && cfg.send_via == SendVia::Providers {
        for p in &pending {
            jobs::enqueue(
                &mut tx,
                &Actor::system(&job.org_id),
                connectors::SEND_JOB,
                json!({ "paymentId": p.id }),
                Some(&format!("{}:{}", connectors::SEND_JOB, p.id)),
                4,
            )
            .await?;
        }
        jobs::finish(&mut tx, job, worker_id).await?;
        tx.commit().await?;
        return Ok(());
    }
    if !pending.is_empty() {
        send_file(&mut tx, cfg, &actor, &distribution_id, method, &pending).await?;
    }
    jobs::finish(&mut tx, job, worker_id).await?;
    tx.commit().await?;
    Ok(())
}

/// How long an ACH rail job waits when another cut of its organization is running.
const CUT_BUSY_RETRY_SECS: i64 = 2;

/// When an ACH rail job run at `now` must wait for its cut: the next multiple of `every` since
/// the epoch, unless its cut time (`cutAt`, set when it was postponed) has come; never with
/// `every` zero (each job cuts at once).
pub fn ach_cut_at(
    every: std::time::Duration,
    job: &Job,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let every = i64::try_from(every.as_secs()).ok().filter(|s| *s > 0)?;
    let set = job.payload.get("cutAt").and_then(|v| v.as_str());
    if let Some(at) = set.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
        let at = at.with_timezone(&chrono::Utc);
        return (now < at).then_some(at);
    }
    let next = (now.timestamp().div_euclid(every) + 1) * every;
    chrono::DateTime::from_timestamp(next, 0)
}

/// Builds, stores and "sends" the file of `pending` payments inside `tx` (wires: one file per
/// currency); returns the (last) batch id.
pub async fn send_file(
    tx: &mut Tx,
    cfg: &PaymentsConfig,
    actor: &Actor,
    distribution_id: &str,
    method: Method,
    pending: &[Payment],
) -> Result<Option<String>, JobError> {
    if method != Method::Wire {
        return send_one_file(tx, cfg, actor, distribution_id, method, pending).await;
    }
    // One pain.001 per currency, so every batch has one currency and a true total.
    let mut currencies: Vec<&str> = pending.iter().map(|p| p.currency.code()).collect();
    currencies.sort_unstable();
    currencies.dedup();
    let mut last = None;
    for ccy in currencies {
        let group: Vec<Payment> = pending
            .iter()
            .filter(|p| p.currency.code() == ccy)
            .cloned()
            .collect();
        if let Some(id) = send_one_file(tx, cfg, actor, distribution_id, method, &group).await? {
            last = Some(id);
        }
    }
    Ok(last)
}

async fn send_one_file(
    tx: &mut Tx,
    cfg: &PaymentsConfig,
    actor: &Actor,
    distribution_id: &str,
    method: Method,
    pending: &[Payment],
) -> Result<Option<String>, JobError> {
    let started = std::time::Instant::now();
    let d = clearway_store::distributions::get_tx(tx, actor, distribution_id).await?;
    let date = crate::payments::service::expected_date(&d);
    let batch_id = new_id();
    let produced = match method {
        // As many NACHA files as the limits need, each read back before it is stored.
        Method::Ach => {
            return ach::send_ach_files(tx, cfg, actor, distribution_id, pending, date).await
        }
        Method::Wire => {
            wire::produce_wire(tx, cfg, actor, &batch_id, pending, date, &d.description).await?
        }
        Method::Check => check::produce_checks(tx, cfg, actor, &batch_id, pending, date).await?,
    };
    fail_rejected(tx, actor, pending, &produced.rejected).await?;
    if produced.sent.is_empty() {
        return Ok(None);
    }
    let built = started.elapsed();
    store_file(
        tx,
        cfg,
        actor,
        distribution_id,
        method,
        &batch_id,
        &produced,
        date,
        (None, None),
    )
    .await?;
    tracing::debug!(
        payments = produced.sent.len(),
        // why: milliseconds of one job fit a u64 (timing only)
        built_ms = built.as_millis() as u64,
        sent_ms = started.elapsed().as_millis() as u64,
        "payment file"
    );
    Ok(Some(batch_id))
}

/// Fails the payments a rail could not put in its file (no payee, no account, wrong currency).
pub(super) async fn fail_rejected(
    tx: &mut Tx,
    actor: &Actor,
    pending: &[Payment],
    rejected: &[(String, String)],
) -> Result<(), JobError> {
    for (payment_id, reason) in rejected {
        let p = pending
            .iter()
            .find(|p| &p.id == payment_id)
            .expect("rejected payment is pending");
        let failed = pstore::transition(
            tx,
            actor,
            p,
            PaymentStatus::Failed,
            &Update {
                code: Some("BAD_ACCOUNT".into()),
                reason: Some(reason.clone()),
                ..Update::default()
            },
        )
        .await?;
        pstore::after_failure(tx, actor, &failed).await?;
    }
    Ok(())
}

/// A file stored once on one batch and carrying others too (an ACH cut of several
/// distributions).
pub(super) struct Shared {
    /// The batch storing the file.
    pub(super) batch_id: String,
    /// SHA-256 of the file, hex.
    pub(super) sha256: String,
}

/// Stores a produced file sealed as payment batch `batch_id` (or, with `shared`, the batch
/// pointing at the file another batch stores), marks its payments SENT, and audits it and
/// emits `payment_batch.generated`, all in `tx`. Returns the file's SHA-256.
#[allow(clippy::too_many_arguments)]
pub(super) async fn store_file(
    tx: &mut Tx,
    cfg: &PaymentsConfig,
    actor: &Actor,
    distribution_id: &str,
    method: Method,
    batch_id: &str,
    produced: &Produced,
    date: chrono::NaiveDate,
    (file_id_modifier, shared): (Option<char>, Option<&Shared>),
) -> Result<String, JobError> {
    let (sealed, sha) = match shared {
        Some(s) => (None, s.sha256.clone()),
        None => {
            let (sealed, sha) = sealed_file(&cfg.vault, &produced.content)?;
            (Some(sealed), sha)
        }
    };
    payment_batches::insert(
        tx,
        actor,
        &NewBatch {
            id: batch_id.to_string(),
            kind: produced.kind,
            distribution_id: Some(distribution_id.to_string()),
            status: "GENERATED",
            // why: a count of payments in memory fits an i64
            payment_count: produced.sent.len() as i64,
            total_minor: produced.total_minor,
            currency: produced.currency.clone(),
            effective_date: date.to_string(),
            file_name: Some(produced.file_name.clone()),
            file: sealed,
            file_sha256: Some(sha.clone()),
            file_batch_id: shared.map(|s| s.batch_id.clone()),
        },
    )
    .await?;
    pstore::mark_sent(tx, actor, method, batch_id, date, &produced.sent).await?;
    let mut after = json!({ "kind": produced.kind, "distributionId": distribution_id, "payments": produced.sent.len(), "rejected": produced.rejected.len(), "total": produced.total_minor, "currency": produced.currency, "sha256": sha });
    let mut event = json!({ "batchId": batch_id, "kind": produced.kind, "distributionId": distribution_id, "payments": produced.sent.len(), "effectiveDate": date.to_string() });
    if let Some(m) = file_id_modifier {
        after["fileIdModifier"] = json!(m.to_string());
        event["fileIdModifier"] = json!(m.to_string());
    }
    if let Some(s) = shared {
        after["fileBatchId"] = json!(s.batch_id);
        event["fileBatchId"] = json!(s.batch_id);
    }
    audit::record(
        tx,
        actor,
        Change {
            action: "payment_batch.generate",
            entity_type: "payment_batch",
            entity_id: batch_id,
            before: None,
            after: Some(after),
        },
    )
    .await?;
    clearway_store::outbox::emit(
        tx,
        actor,
        "payment_batch.generated",
        "payment_batch",
        batch_id,
        event,
    )
    .await?;
    Ok(sha)
}

#[cfg(test)]
mod cut_tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use std::time::Duration;

    fn job(payload: serde_json::Value) -> Job {
        Job {
            id: "j".into(),
            org_id: "o".into(),
            kind: ACH_JOB.into(),
            payload,
            attempts: 1,
            max_attempts: 4,
            traceparent: None,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Issue 21: rail jobs wait for the next multiple of the cut interval, then run once it
    /// has come (the first to run takes the others along); zero cuts at once.
    #[test]
    fn an_ach_rail_job_waits_for_the_next_cut_then_runs() {
        let fresh = job(json!({ "distributionId": "d" }));
        let now = at("2026-12-07T14:03:20Z");
        assert_eq!(ach_cut_at(Duration::ZERO, &fresh, now), None);
        let five = Duration::from_secs(300);
        assert_eq!(
            ach_cut_at(five, &fresh, now),
            Some(at("2026-12-07T14:05:00Z"))
        );
        // Exactly on a boundary: the next one (a job never runs before its cut was set).
        assert_eq!(
            ach_cut_at(five, &fresh, at("2026-12-07T14:05:00Z")),
            Some(at("2026-12-07T14:10:00Z"))
        );
        let waiting = job(json!({ "distributionId": "d", "cutAt": "2026-12-07T14:05:00+00:00" }));
        assert_eq!(
            ach_cut_at(five, &waiting, now),
            Some(at("2026-12-07T14:05:00Z")),
            "woken early: waits on"
        );
        assert_eq!(ach_cut_at(five, &waiting, at("2026-12-07T14:05:00Z")), None);
        assert_eq!(ach_cut_at(five, &waiting, at("2026-12-07T14:05:01Z")), None);
    }
}
