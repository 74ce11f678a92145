//! Sync files as stored: one row per file received, with its report.

use clearway_core::access::Permission;
use clearway_core::sync::{FileKind, FileStatus, Source};

use super::staff;
use crate::{q, Actor, Row, StoreError, Tx};

/// A file and its report (errors and changes as JSON array text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
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
    pub errors: String,
    pub changes: String,
    pub changes_truncated: bool,
    pub received_by: String,
    pub received_at: String,
}

const FILE_COLUMNS: &str = "id, kind, file_name, sha256, source, status, rows_total, rows_applied, rows_unchanged, conflicts_opened, errors, changes, changes_truncated, received_by, received_at";

fn file_from(r: &Row) -> Result<FileRow, StoreError> {
    let corrupt = |c: &str| StoreError::Corrupt(format!("sync_files.{c}"));
    Ok(FileRow {
        id: r.text("id")?,
        kind: FileKind::parse(&r.text("kind")?).ok_or_else(|| corrupt("kind"))?,
        file_name: r.text("file_name")?,
        sha256: r.text("sha256")?,
        source: Source::parse(&r.text("source")?).ok_or_else(|| corrupt("source"))?,
        status: FileStatus::parse(&r.text("status")?).ok_or_else(|| corrupt("status"))?,
        rows_total: r.i64("rows_total")?,
        rows_applied: r.i64("rows_applied")?,
        rows_unchanged: r.i64("rows_unchanged")?,
        conflicts_opened: r.i64("conflicts_opened")?,
        errors: r.text("errors")?,
        changes: r.text("changes")?,
        changes_truncated: r.i64("changes_truncated")? != 0,
        received_by: r.text("received_by")?,
        received_at: r.text("received_at")?,
    })
}

/// Stores a file row. A second APPLIED/REFUSED row with the same content for the
/// organization fails the unique index (`StoreError::is_unique_violation`).
pub async fn insert_file(tx: &mut Tx, actor: &Actor, f: &FileRow) -> Result<(), StoreError> {
    staff(actor, Permission::Operate)?;
    tx.execute(
        q(format!("INSERT INTO sync_files ({FILE_COLUMNS}, org_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"))
            .bind(&f.id)
            .bind(f.kind.as_str())
            .bind(&f.file_name)
            .bind(&f.sha256)
            .bind(f.source.as_str())
            .bind(f.status.as_str())
            .bind(f.rows_total)
            .bind(f.rows_applied)
            .bind(f.rows_unchanged)
            .bind(f.conflicts_opened)
            .bind(&f.errors)
            .bind(&f.changes)
            .bind(i64::from(f.changes_truncated))
            .bind(&f.received_by)
            .bind(&f.received_at)
            .bind(&actor.org_id),
    )
    .await?;
    Ok(())
}

/// Writes the report of a stored file (status, counts, errors, changes).
pub async fn update_file(tx: &mut Tx, actor: &Actor, f: &FileRow) -> Result<(), StoreError> {
    staff(actor, Permission::Operate)?;
    tx.execute(
        q("UPDATE sync_files SET status = $1, rows_total = $2, rows_applied = $3, rows_unchanged = $4, conflicts_opened = $5, errors = $6, changes = $7, changes_truncated = $8
           WHERE org_id = $9 AND id = $10")
            .bind(f.status.as_str())
            .bind(f.rows_total)
            .bind(f.rows_applied)
            .bind(f.rows_unchanged)
            .bind(f.conflicts_opened)
            .bind(&f.errors)
            .bind(&f.changes)
            .bind(i64::from(f.changes_truncated))
            .bind(&actor.org_id)
            .bind(&f.id),
    )
    .await?;
    Ok(())
}

/// The id of the APPLIED or REFUSED file of the organization with this content, if any.
pub async fn imported_with_hash(
    tx: &mut Tx,
    actor: &Actor,
    sha256: &str,
) -> Result<Option<String>, StoreError> {
    staff(actor, Permission::Read)?;
    tx.fetch_optional(
        q("SELECT id FROM sync_files WHERE org_id = $1 AND sha256 = $2 AND status IN ('APPLIED','REFUSED')")
            .bind(&actor.org_id)
            .bind(sha256),
    )
    .await?
    .map(|r| r.text("id"))
    .transpose()
}

/// One file of the organization.
pub async fn file_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<FileRow, StoreError> {
    staff(actor, Permission::Read)?;
    tx.fetch_optional(
        q(format!(
            "SELECT {FILE_COLUMNS} FROM sync_files WHERE org_id = $1 AND id = $2"
        ))
        .bind(&actor.org_id)
        .bind(id),
    )
    .await?
    .as_ref()
    .map(file_from)
    .transpose()?
    .ok_or(StoreError::NotFound("sync file"))
}

/// Files, newest first, before the cursor (`received_at|id` of the last shown).
pub async fn list_files(
    tx: &mut Tx,
    actor: &Actor,
    limit: i64,
    cursor: Option<(&str, &str)>,
) -> Result<Vec<FileRow>, StoreError> {
    staff(actor, Permission::Read)?;
    let query = match cursor {
        None => q(format!("SELECT {FILE_COLUMNS} FROM sync_files WHERE org_id = $1 ORDER BY received_at DESC, id DESC LIMIT $2"))
            .bind(&actor.org_id)
            .bind(limit),
        Some((at, id)) => q(format!("SELECT {FILE_COLUMNS} FROM sync_files WHERE org_id = $1 AND (received_at < $2 OR (received_at = $2 AND id < $3)) ORDER BY received_at DESC, id DESC LIMIT $4"))
            .bind(&actor.org_id)
            .bind(at)
            .bind(id)
            .bind(limit),
    };
    tx.fetch_all(query).await?.iter().map(file_from).collect()
}
