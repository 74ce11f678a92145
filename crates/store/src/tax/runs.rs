//! Bulk form runs: a fund-year's forms issued by a job in batches, with progress. A run is
//! QUEUED, RUNNING (with `done` of `total` investors), then DONE or FAILED (with the error).

use clearway_core::access::{Permission, Role};

use crate::{new_id, now_text, q, Actor, Row, StoreError, Tx};

/// A run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Id.
    pub id: String,
    /// Fund.
    pub fund_id: String,
    /// Tax year.
    pub tax_year: i32,
    /// `QUEUED`, `RUNNING`, `DONE` or `FAILED`.
    pub status: String,
    /// Investors to go through.
    pub total: i64,
    /// Investors gone through.
    pub done: i64,
    /// Forms issued (new or corrected).
    pub issued: i64,
    /// Forms whose figures had not changed.
    pub unchanged: i64,
    /// Why it failed.
    pub error: Option<String>,
    /// Started by.
    pub created_by: String,
    /// Started at.
    pub created_at: String,
    /// Finished at.
    pub finished_at: Option<String>,
}

const COLUMNS: &str = "id, fund_id, tax_year, status, total, done, issued, unchanged, error, created_by, created_at, finished_at";

fn from_row(r: &Row) -> Result<Run, StoreError> {
    Ok(Run {
        id: r.text("id")?,
        fund_id: r.text("fund_id")?,
        tax_year: i32::try_from(r.i64("tax_year")?)
            .map_err(|_| StoreError::Corrupt("tax_year".into()))?,
        status: r.text("status")?,
        total: r.i64("total")?,
        done: r.i64("done")?,
        issued: r.i64("issued")?,
        unchanged: r.i64("unchanged")?,
        error: r.opt_text("error")?,
        created_by: r.text("created_by")?,
        created_at: r.text("created_at")?,
        finished_at: r.opt_text("finished_at")?,
    })
}

fn staff(actor: &Actor) -> Result<(), StoreError> {
    if actor.role == Role::Investor {
        return Err(StoreError::NotFound("tax form run"));
    }
    actor.require(Permission::Read)
}

/// Creates a QUEUED run (operators and admins).
pub async fn create_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    year: i32,
) -> Result<Run, StoreError> {
    staff(actor)?;
    actor.require(Permission::Operate)?;
    let run = Run {
        id: new_id(),
        fund_id: fund_id.to_string(),
        tax_year: year,
        status: "QUEUED".into(),
        total: 0,
        done: 0,
        issued: 0,
        unchanged: 0,
        error: None,
        created_by: actor.user_id.clone(),
        created_at: now_text(),
        finished_at: None,
    };
    tx.execute(
        q("INSERT INTO tax_form_runs (id, org_id, fund_id, tax_year, status, total, done, issued, unchanged, error, created_by, created_at, finished_at)
           VALUES ($1, $2, $3, $4, 'QUEUED', 0, 0, 0, 0, NULL, $5, $6, NULL)")
            .bind(&run.id)
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(i64::from(year))
            .bind(&run.created_by)
            .bind(&run.created_at),
    )
    .await?;
    Ok(run)
}

/// A run of the actor's organization (staff; others: 404).
pub async fn get_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Run, StoreError> {
    staff(actor)?;
    tx.fetch_optional(
        q(format!(
            "SELECT {COLUMNS} FROM tax_form_runs WHERE org_id = $1 AND id = $2"
        ))
        .bind(&actor.org_id)
        .bind(id),
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()?
    .ok_or(StoreError::NotFound("tax form run"))
}

/// The newest runs of the organization (the hub page), at most `limit`.
pub async fn recent_tx(tx: &mut Tx, actor: &Actor, limit: i64) -> Result<Vec<Run>, StoreError> {
    staff(actor)?;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM tax_form_runs WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT $2"))
                .bind(&actor.org_id)
                .bind(limit),
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// Marks the run RUNNING with its total (a resumed run keeps its counts).
pub async fn start_tx(tx: &mut Tx, actor: &Actor, id: &str, total: i64) -> Result<(), StoreError> {
    staff(actor)?;
    tx.execute(
        q("UPDATE tax_form_runs SET status = 'RUNNING', total = $3 WHERE org_id = $1 AND id = $2")
            .bind(&actor.org_id)
            .bind(id)
            .bind(total),
    )
    .await?;
    Ok(())
}

/// Adds a batch's progress.
pub async fn progress_tx(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    done: i64,
    issued: i64,
    unchanged: i64,
) -> Result<(), StoreError> {
    staff(actor)?;
    tx.execute(
        q("UPDATE tax_form_runs SET done = done + $3, issued = issued + $4, unchanged = unchanged + $5 WHERE org_id = $1 AND id = $2")
            .bind(&actor.org_id)
            .bind(id)
            .bind(done)
            .bind(issued)
            .bind(unchanged),
    )
    .await?;
    Ok(())
}

/// Ends the run: DONE, or FAILED with `error`.
pub async fn finish_tx(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    error: Option<&str>,
) -> Result<(), StoreError> {
    staff(actor)?;
    let status = if error.is_some() { "FAILED" } else { "DONE" };
    tx.execute(
        q("UPDATE tax_form_runs SET status = $3, error = $4, finished_at = $5 WHERE org_id = $1 AND id = $2")
            .bind(&actor.org_id)
            .bind(id)
            .bind(status)
            .bind(error)
            .bind(now_text()),
    )
    .await?;
    Ok(())
}
