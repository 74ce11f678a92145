//! Fund-administrator sync (issue 21): files in (upload, watched directory, connector), field
//! ownership per organization, the conflict queue and its resolution, dry runs.
//!
//! A file is imported once per organization (by the SHA-256 of its bytes; a second import is
//! DUPLICATE, also when two processes race: a unique index), all or nothing: a refused row
//! refuses the file, and every error is reported with its row and column. The file's row, the
//! writes, the conflicts, the audit entry and the `sync.file_applied` event commit together.
//!
//! [`connector`] is the administrator REST connector; [`exports`] the outbound files.

pub mod connector;
pub mod exports;

mod apply;
mod schedules;

use clearway_core::access::Permission;
use clearway_core::sync::{
    Change, ConflictStatus, Domain, FileKind, FileStatus, Outcome, Ownership, Resolution, RowError,
    Side, Source,
};
use clearway_store::sync::{self as store, Conflict, FileRow};
use clearway_store::{audit, new_id, now_text, outbox, Actor, Db, StoreError, Tx};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub use apply::{apply_records, Applied};

use crate::{AppError, AppResult};

/// Changes kept in a file's report (the counts cover them all).
pub const MAX_CHANGES: usize = 1_000;

/// A file's result, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFileReport {
    pub id: String,
    pub kind: FileKind,
    pub file_name: String,
    pub sha256: String,
    pub source: Source,
    pub status: FileStatus,
    pub rows_total: i64,
    pub rows_applied: i64,
    pub rows_unchanged: i64,
    pub conflicts_opened: i64,
    pub errors: Vec<RowError>,
    pub changes: Vec<Change>,
    pub changes_truncated: bool,
    pub received_at: String,
}

fn errors_json(errors: &[RowError]) -> String {
    Value::Array(
        errors
            .iter()
            .map(|e| json!({"row": e.row, "field": e.field, "reason": e.reason}))
            .collect(),
    )
    .to_string()
}

fn changes_json(changes: &[Change]) -> String {
    Value::Array(
        changes
            .iter()
            .map(|c| {
                json!({"domain": c.domain.as_str(), "entityId": c.entity_id, "label": c.label, "field": c.field,
                       "before": c.before, "after": c.after, "outcome": c.outcome.as_str()})
            })
            .collect(),
    )
    .to_string()
}

impl SyncFileReport {
    fn row(&self, actor: &Actor) -> FileRow {
        FileRow {
            id: self.id.clone(),
            kind: self.kind,
            file_name: self.file_name.clone(),
            sha256: self.sha256.clone(),
            source: self.source,
            status: self.status,
            rows_total: self.rows_total,
            rows_applied: self.rows_applied,
            rows_unchanged: self.rows_unchanged,
            conflicts_opened: self.conflicts_opened,
            errors: errors_json(&self.errors),
            changes: changes_json(&self.changes),
            changes_truncated: self.changes_truncated,
            received_by: actor.user_id.clone(),
            received_at: self.received_at.clone(),
        }
    }

    fn from_row(r: FileRow) -> AppResult<SyncFileReport> {
        let corrupt =
            |what: &str| AppError::Store(StoreError::Corrupt(format!("sync_files.{what}")));
        let errors: Vec<Value> = serde_json::from_str(&r.errors).map_err(|_| corrupt("errors"))?;
        let changes: Vec<Value> =
            serde_json::from_str(&r.changes).map_err(|_| corrupt("changes"))?;
        let text = |v: &Value, k: &str| v[k].as_str().map(str::to_string);
        Ok(SyncFileReport {
            errors: errors
                .iter()
                .map(|e| {
                    Some(RowError::new(
                        e["row"].as_u64()? as usize,
                        text(e, "field")?,
                        text(e, "reason")?,
                    ))
                })
                .collect::<Option<_>>()
                .ok_or_else(|| corrupt("errors"))?,
            changes: changes
                .iter()
                .map(|c| {
                    Some(Change {
                        domain: Domain::parse(c["domain"].as_str()?)?,
                        entity_id: text(c, "entityId")?,
                        label: text(c, "label")?,
                        field: text(c, "field")?,
                        before: text(c, "before"),
                        after: text(c, "after")?,
                        outcome: Outcome::parse(c["outcome"].as_str()?)?,
                    })
                })
                .collect::<Option<_>>()
                .ok_or_else(|| corrupt("changes"))?,
            id: r.id,
            kind: r.kind,
            file_name: r.file_name,
            sha256: r.sha256,
            source: r.source,
            status: r.status,
            rows_total: r.rows_total,
            rows_applied: r.rows_applied,
            rows_unchanged: r.rows_unchanged,
            conflicts_opened: r.conflicts_opened,
            changes_truncated: r.changes_truncated,
            received_at: r.received_at,
        })
    }
}

/// SHA-256 of the bytes, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Imports a file of `kind` from the administrator: parsed strictly, checked and compared
/// whole, then applied (owned changes written, unowned ones opened as conflicts) unless a row
/// was refused or `dry_run`. The same bytes already imported (applied or refused) give a
/// DUPLICATE report and change nothing.
pub async fn import_file(
    db: &Db,
    actor: &Actor,
    kind: FileKind,
    file_name: &str,
    bytes: &[u8],
    source: Source,
    dry_run: bool,
) -> AppResult<SyncFileReport> {
    store::staff(actor, Permission::Operate)?;
    let mut report = SyncFileReport {
        id: new_id(),
        kind,
        file_name: file_name.chars().take(255).collect(),
        sha256: sha256_hex(bytes),
        source,
        status: FileStatus::Applied,
        rows_total: 0,
        rows_applied: 0,
        rows_unchanged: 0,
        conflicts_opened: 0,
        errors: Vec::new(),
        changes: Vec::new(),
        changes_truncated: false,
        received_at: now_text(),
    };
    let mut tx = db.begin().await?;
    if let Some(first) = store::imported_with_hash(&mut tx, actor, &report.sha256).await? {
        return duplicate(tx, actor, report, &first).await;
    }
    if !dry_run {
        // Claimed first: a racing import of the same bytes fails the unique index here.
        match store::insert_file(&mut tx, actor, &report.row(actor)).await {
            Ok(()) => {}
            Err(e) if e.is_unique_violation() => {
                drop(tx);
                let mut tx = db.begin().await?;
                let first = store::imported_with_hash(&mut tx, actor, &report.sha256)
                    .await?
                    .unwrap_or_default();
                return duplicate(tx, actor, report, &first).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    run(&mut tx, actor, &mut report, bytes, dry_run).await?;
    if dry_run {
        report.status = FileStatus::DryRun;
        store::insert_file(&mut tx, actor, &report.row(actor)).await?;
    } else {
        store::update_file(&mut tx, actor, &report.row(actor)).await?;
        trail(&mut tx, actor, &report).await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Parses and applies, filling the report (status REFUSED when any row was refused).
async fn run(
    tx: &mut Tx,
    actor: &Actor,
    report: &mut SyncFileReport,
    bytes: &[u8],
    dry_run: bool,
) -> AppResult<()> {
    let records = match clearway_formats::sync::read(report.kind, bytes) {
        Ok(r) => r,
        Err(errors) => {
            report.status = FileStatus::Refused;
            report.errors = errors;
            return Ok(());
        }
    };
    report.rows_total = records.len() as i64;
    let file_id = (!dry_run).then_some(report.id.as_str());
    let mut applied = apply_records(
        tx,
        actor,
        report.source,
        Side::Administrator,
        &records,
        dry_run,
        file_id,
    )
    .await?;
    if !applied.errors.is_empty() {
        report.status = FileStatus::Refused;
        report.errors = applied.errors;
        return Ok(());
    }
    report.rows_applied = applied.rows_applied;
    report.rows_unchanged = applied.rows_unchanged;
    report.conflicts_opened = applied.conflicts_opened;
    // Differences first (what a reader looks for), then the unchanged.
    applied
        .changes
        .sort_by_key(|c| c.outcome == Outcome::Unchanged);
    report.changes_truncated = applied.changes.len() > MAX_CHANGES;
    applied.changes.truncate(MAX_CHANGES);
    report.changes = applied.changes;
    Ok(())
}

async fn duplicate(
    mut tx: Tx,
    actor: &Actor,
    mut report: SyncFileReport,
    first: &str,
) -> AppResult<SyncFileReport> {
    report.status = FileStatus::Duplicate;
    report.errors = vec![RowError::new(
        1,
        "file",
        format!("the same content was already imported (file {first}); nothing was applied"),
    )];
    store::insert_file(&mut tx, actor, &report.row(actor)).await?;
    tx.commit().await?;
    Ok(report)
}

/// The audit entry and `sync.file_applied` event of an imported (or refused) file.
async fn trail(tx: &mut Tx, actor: &Actor, r: &SyncFileReport) -> AppResult<()> {
    let summary = json!({
        "kind": r.kind.as_str(), "fileName": r.file_name, "sha256": r.sha256, "source": r.source.as_str(),
        "status": r.status.as_str(), "rowsTotal": r.rows_total, "rowsApplied": r.rows_applied,
        "rowsUnchanged": r.rows_unchanged, "conflictsOpened": r.conflicts_opened, "errors": r.errors.len(),
    });
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "sync.file.import",
            entity_type: "sync_file",
            entity_id: &r.id,
            before: None,
            after: Some(summary.clone()),
        },
    )
    .await?;
    if r.status == FileStatus::Applied {
        outbox::emit(tx, actor, "sync.file_applied", "sync_file", &r.id, summary).await?;
    }
    Ok(())
}

/// One file's report.
pub async fn file(db: &Db, actor: &Actor, id: &str) -> AppResult<SyncFileReport> {
    let mut tx = db.begin().await?;
    SyncFileReport::from_row(store::file_tx(&mut tx, actor, id).await?)
}

/// Files, newest first; the cursor is `received_at|id` of the last one shown.
pub async fn files(
    db: &Db,
    actor: &Actor,
    limit: i64,
    cursor: Option<&str>,
) -> AppResult<Vec<SyncFileReport>> {
    let cursor = parse_cursor(cursor)?;
    let mut tx = db.begin().await?;
    store::list_files(&mut tx, actor, limit, cursor)
        .await?
        .into_iter()
        .map(SyncFileReport::from_row)
        .collect()
}

/// Conflicts with `status`, oldest first; the cursor is `created_at|id` of the last shown.
pub async fn conflicts(
    db: &Db,
    actor: &Actor,
    status: ConflictStatus,
    limit: i64,
    cursor: Option<&str>,
) -> AppResult<Vec<Conflict>> {
    let cursor = parse_cursor(cursor)?;
    let mut tx = db.begin().await?;
    Ok(store::list_conflicts(&mut tx, actor, status, limit, cursor).await?)
}

/// Open conflicts of the organization.
pub async fn open_conflicts(db: &Db, actor: &Actor) -> AppResult<i64> {
    let mut tx = db.begin().await?;
    Ok(store::open_count(&mut tx, actor).await?)
}

/// One conflict.
pub async fn conflict(db: &Db, actor: &Actor, id: &str) -> AppResult<Conflict> {
    let mut tx = db.begin().await?;
    Ok(store::conflict_tx(&mut tx, actor, id).await?)
}

fn parse_cursor(cursor: Option<&str>) -> AppResult<Option<(&str, &str)>> {
    match cursor {
        None => Ok(None),
        Some(c) => c
            .split_once('|')
            .map(Some)
            .ok_or_else(|| AppError::field("cursor", "is not a cursor this list returned")),
    }
}

/// The organization's ownership.
pub async fn ownership(db: &Db, actor: &Actor) -> AppResult<Ownership> {
    let mut tx = db.begin().await?;
    Ok(store::ownership_tx(&mut tx, actor).await?)
}

/// Sets the ownership (audited, event `sync.ownership_changed` when it changed).
pub async fn put_ownership(db: &Db, actor: &Actor, new: &Ownership) -> AppResult<Ownership> {
    let mut tx = db.begin().await?;
    store::put_ownership_tx(&mut tx, actor, new).await?;
    let out = store::ownership_tx(&mut tx, actor).await?;
    tx.commit().await?;
    Ok(out)
}

/// Resolves an OPEN conflict: TAKE_OURS keeps our value; TAKE_THEIRS and EDIT write the value
/// through the same path as an owned change. Audited, event `sync.conflict_resolved`.
pub async fn resolve_conflict(
    db: &Db,
    actor: &Actor,
    id: &str,
    resolution: Resolution,
    value: Option<&str>,
) -> AppResult<Conflict> {
    store::staff(actor, Permission::Operate)?;
    let mut tx = db.begin().await?;
    let c = store::conflict_tx(&mut tx, actor, id).await?;
    if c.status != ConflictStatus::Open {
        return Err(AppError::conflict(format!(
            "conflict {id} is already resolved"
        )));
    }
    let chosen = match resolution {
        Resolution::TakeOurs => c.ours.clone(),
        Resolution::TakeTheirs => Some(c.theirs.clone()),
        Resolution::Edit => Some(edited(c.domain, &c.field, value)?),
    };
    if resolution != Resolution::TakeOurs {
        let after = chosen.clone().unwrap_or_default();
        let change = Change {
            domain: c.domain,
            entity_id: c.entity_id.clone(),
            label: c.label.clone(),
            field: c.field.clone(),
            before: c.ours.clone(),
            after,
            outcome: Outcome::Apply,
        };
        apply::write_changes(
            &mut tx,
            actor,
            std::iter::once(&change),
            &format!("sync:conflict:{id}"),
        )
        .await
        .map_err(|e| match e {
            // A value that no longer fits (an account disabled since) is the value's fault.
            AppError::Store(StoreError::NotFound(what)) => {
                AppError::field("value", format!("{what} not found"))
            }
            other => other,
        })?;
    }
    let out = store::mark_resolved(&mut tx, actor, id, resolution, chosen.as_deref()).await?;
    tx.commit().await?;
    Ok(out)
}

/// The edited value, parsed for its domain's field.
fn edited(domain: Domain, field: &str, value: Option<&str>) -> AppResult<String> {
    let v = value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AppError::field("value", "is required with EDIT"))?;
    let parsed = match domain {
        Domain::Schedules => {
            return schedules::edited(field, v).map_err(|e| AppError::field("value", e))
        }
        Domain::Nav => clearway_core::sync::parse_positive(v),
        Domain::Holdings => clearway_core::sync::parse_decimal(v).and_then(|d| {
            if d.is_sign_negative() && !d.is_zero() {
                Err(format!("'{v}' must not be negative"))
            } else {
                Ok(d)
            }
        }),
        Domain::Elections => clearway_core::sync::parse_percent(v),
        Domain::BankDetails => {
            return clearway_core::sync::parse_id(v).map_err(|e| AppError::field("value", e))
        }
    };
    parsed
        .map(clearway_core::sync::canonical)
        .map_err(|e| AppError::field("value", e))
}
