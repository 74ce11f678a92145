//! Bulk form runs: every form of a fund-year issued by a job, 1,000 investors per
//! transaction, progress kept on the run. A worker killed mid-run resumes after the last
//! committed batch (`done` investors, in id order); a batch re-run issues nothing twice, as
//! issuing the same figures again is recognised by their fingerprint.

use clearway_core::access::Permission;
use clearway_core::distribution::FundKind;
use clearway_store::jobs::{self, Job};
use clearway_store::tax::forms::{self as forms_store, Span};
use clearway_store::tax::runs::{self as store, Run};
use clearway_store::{audit, outbox, Actor, Db, Tx};
use serde_json::json;

use super::forms::{fund_year, issue_span, Issued};
use crate::jobs::{payload_text, JobError};
use crate::AppResult;

/// The job kind.
pub const JOB: &str = "tax.forms";
/// Investors per transaction.
pub const BATCH: usize = 1_000;

/// Queues a run of the fund-year (operators; closed year): the run and its job, audited.
pub async fn start(tx: &mut Tx, actor: &Actor, fund_id: &str, year: i32) -> AppResult<Run> {
    actor.require(Permission::Operate)?;
    let fy = fund_year(tx, actor, fund_id, year).await?;
    if fy.fund.kind == FundKind::OpenEnd {
        super::forms::check_1099_fund(&fy.fund)?;
    }
    let run = store::create_tx(tx, actor, &fy.fund.id, year).await?;
    jobs::enqueue(tx, actor, JOB, json!({ "runId": run.id }), None, 5).await?;
    let after = json!({ "fundId": run.fund_id, "taxYear": year, "status": run.status });
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "tax_form_run.start",
            entity_type: "tax_form_run",
            entity_id: &run.id,
            before: None,
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "tax_form_run.queued",
        "tax_form_run",
        &run.id,
        after,
    )
    .await?;
    Ok(run)
}

/// Runs a `tax.forms` job: resumes the run after its committed batches, then finishes it
/// (DONE, or FAILED with the reason when the forms cannot be issued).
pub async fn run_job(db: &Db, job: &Job, worker_id: &str) -> Result<(), JobError> {
    let run_id = payload_text(job, "runId")?;
    let actor = Actor::system(&job.org_id);
    let outcome = issue_all(db, &actor, &run_id).await;
    let mut tx = db.begin().await?;
    match outcome {
        Ok(()) => store::finish_tx(&mut tx, &actor, &run_id, None).await?,
        Err(JobError::Permanent(why)) => {
            store::finish_tx(&mut tx, &actor, &run_id, Some(&why)).await?;
        }
        Err(e) => return Err(e),
    }
    let run = store::get_tx(&mut tx, &actor, &run_id).await?;
    outbox::emit(
        &mut tx,
        &actor,
        "tax_form_run.finished",
        "tax_form_run",
        &run.id,
        json!({ "fundId": run.fund_id, "taxYear": run.tax_year, "status": run.status, "issued": run.issued, "unchanged": run.unchanged, "error": run.error }),
    )
    .await?;
    jobs::finish(&mut tx, job, worker_id).await?;
    tx.commit().await?;
    Ok(())
}

async fn issue_all(db: &Db, actor: &Actor, run_id: &str) -> Result<(), JobError> {
    let mut tx = db.begin().await?;
    let run = store::get_tx(&mut tx, actor, run_id).await?;
    if run.status == "DONE" || run.status == "FAILED" {
        return Ok(());
    }
    let fy = fund_year(&mut tx, actor, &run.fund_id, run.tax_year).await?;
    if fy.fund.kind == FundKind::Partnership {
        // A partnership's K-1s need every partner's shares at once: one transaction.
        let (issued, unchanged) =
            crate::tax::k1::issue_all(&mut tx, actor, &fy.fund.id, run.tax_year)
                .await
                .map_err(|e| JobError::Permanent(e.to_string()))?;
        let partners = (issued + unchanged) as i64;
        store::start_tx(&mut tx, actor, run_id, partners).await?;
        store::progress_tx(
            &mut tx,
            actor,
            run_id,
            partners,
            issued as i64,
            unchanged as i64,
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    }
    let ids = forms_store::year_investors_tx(&mut tx, actor, &fy.fund.id, run.tax_year).await?;
    store::start_tx(&mut tx, actor, run_id, ids.len() as i64).await?;
    tx.commit().await?;
    let skip = usize::try_from(run.done).unwrap_or(0).min(ids.len());
    let mut after = skip.checked_sub(1).map(|i| ids[i].clone());
    for chunk in ids[skip..].chunks(BATCH) {
        let last = chunk.last().map(String::as_str).unwrap_or_default();
        let mut tx = db.begin().await?;
        let count: Issued =
            issue_span(&mut tx, actor, &fy, Span::Range(after.as_deref(), last)).await?;
        store::progress_tx(
            &mut tx,
            actor,
            run_id,
            chunk.len() as i64,
            count.issued as i64,
            count.unchanged as i64,
        )
        .await?;
        tx.commit().await?;
        after = Some(last.to_string());
    }
    Ok(())
}
