//! The `sync.pull` job: reads the administrator's change feed from the stored cursor, page by
//! page; each page is applied through the same path as an imported file (source
//! ADMINISTRATOR: ownership and conflicts apply alike) in the transaction that moves the
//! cursor past it. A crash mid-pull re-reads from the last page applied; applying a record
//! again finds its values unchanged and writes nothing.

use clearway_store::jobs::{self, Job};
use clearway_store::sync::connector as state;
use clearway_store::{Actor, Db};

use super::{AdministratorConnector, Cursor, Pulled};
use crate::jobs::JobError;

/// Job kind.
pub const PULL_JOB: &str = "sync.pull";
/// Pages per run (a run never chases a feed that keeps growing).
const MAX_PAGES: usize = 1_000;

/// What a pull run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullSummary {
    /// Pages read.
    pub pages: usize,
    /// Records read.
    pub records: usize,
    /// Records applied (a value changed on the owning side).
    pub applied: usize,
    /// Records whose values were already ours.
    pub unchanged: usize,
    /// Conflicts opened or updated (a change to a field the administrator does not own).
    pub conflicts: usize,
    /// Records refused (not understood); named in the run's error.
    pub refused: Vec<String>,
}

/// Pulls from the stored cursor until the feed has no more.
pub async fn pull_all<C: AdministratorConnector>(
    db: &Db,
    connector: &C,
    actor: &Actor,
) -> Result<PullSummary, JobError> {
    let mut summary = PullSummary::default();
    for _ in 0..MAX_PAGES {
        let mut tx = db.begin().await?;
        let cursor = state::state(&mut tx, actor, connector.name()).await?.cursor;
        tx.commit().await?;
        let page = connector.pull(cursor.map(Cursor)).await?;
        let more = page.has_more && page.next_cursor.is_some();
        apply_page(db, connector.name(), actor, page, &mut summary).await?;
        summary.pages += 1;
        if !more {
            break;
        }
    }
    Ok(summary)
}

/// Applies one page and moves the cursor past it, in one transaction.
async fn apply_page(
    db: &Db,
    connector: &str,
    actor: &Actor,
    page: Pulled,
    summary: &mut PullSummary,
) -> Result<(), JobError> {
    let mut tx = db.begin().await?;
    let n = page.records.len();
    super::apply::apply(&mut tx, actor, &page.records, summary).await?;
    let next = page.next_cursor.as_ref().map(|c| c.0.as_str());
    state::advance(&mut tx, actor, connector, next, n as i64).await?;
    tx.commit().await?;
    summary.records += n;
    Ok(())
}

/// Records a run's outcome on the connector state and finishes the job with a success; a
/// failure is recorded in its own transaction and returned for the queue to retry.
pub async fn finish(
    db: &Db,
    connector: &str,
    actor: &Actor,
    job: &Job,
    worker_id: &str,
    outcome: Result<Option<String>, JobError>,
) -> Result<(), JobError> {
    match outcome {
        Ok(note) => {
            let mut tx = db.begin().await?;
            state::finish_run(&mut tx, actor, connector, note.as_deref()).await?;
            jobs::finish(&mut tx, job, worker_id).await?;
            tx.commit().await?;
            Ok(())
        }
        Err(e) => {
            let mut tx = db.begin().await?;
            state::finish_run(&mut tx, actor, connector, Some(&e.to_string())).await?;
            tx.commit().await?;
            Err(e)
        }
    }
}

/// The `sync.pull` job.
pub async fn run_job<C: AdministratorConnector>(
    db: &Db,
    connector: &C,
    job: &Job,
    worker_id: &str,
) -> Result<(), JobError> {
    let actor = Actor::system(&job.org_id);
    let outcome = pull_all(db, connector, &actor).await;
    if let Ok(s) = &outcome {
        tracing::info!(org = %job.org_id, pages = s.pages, records = s.records, applied = s.applied, unchanged = s.unchanged, conflicts = s.conflicts, refused = s.refused.len(), "administrator changes pulled");
    }
    // Refused records do not stop the feed (they would block it for good); they are named
    // in the run's error until a later run succeeds without any.
    let note = outcome.map(|s| {
        (!s.refused.is_empty()).then(|| {
            let shown: Vec<&str> = s.refused.iter().take(20).map(String::as_str).collect();
            format!(
                "{} record(s) refused: {}",
                s.refused.len(),
                shown.join("; ")
            )
        })
    });
    finish(db, connector.name(), &actor, job, worker_id, note).await
}
