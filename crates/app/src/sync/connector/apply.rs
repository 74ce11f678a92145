//! Where a pulled page meets the inbound sync path: the page's records become the same rows a
//! file of their kind would hold, read by the same strict reader and applied by
//! [`crate::sync::apply_records`] as the ADMINISTRATOR side, so ownership and conflicts work
//! exactly as for files. A page with a refused record applies nothing and fails the run
//! (permanently: the cursor stays, the job waits for review with every reason).

use std::collections::BTreeMap;

use clearway_core::sync::{FileKind, Side, Source};
use clearway_formats::sync as formats;
use clearway_store::{Actor, Tx};

use super::pull::PullSummary;
use super::{ChangeRecord, RecordKind};
use crate::jobs::JobError;

/// The file layout a record kind is read with; `None` for a type this connector skips.
fn file_kind(kind: &RecordKind) -> Option<FileKind> {
    match kind {
        RecordKind::Nav => Some(FileKind::Navs),
        RecordKind::Holding => Some(FileKind::Holdings),
        RecordKind::Election | RecordKind::BankDetails => Some(FileKind::Preferences),
        RecordKind::Schedule => Some(FileKind::Schedules),
        RecordKind::Other(_) => None,
    }
}

/// The columns that identify a row of `kind` (a later change of the same key replaces an
/// earlier one in the page, as the feed is oldest first).
fn key_columns(kind: FileKind) -> &'static [&'static str] {
    match kind {
        FileKind::Navs => &["fund_id", "share_class", "nav_date"],
        FileKind::Holdings => &["fund_id", "share_class", "investor_id", "as_of"],
        FileKind::Preferences => &["investor_id", "fund_id"],
        FileKind::Schedules => &["fund_id", "schedule_id"],
    }
}

/// A kind's rows by key, each its fields by column name.
type RowsByKey = BTreeMap<Vec<String>, BTreeMap<String, String>>;

/// The page's records as CSV text per file kind (an election and a bank-details change of the
/// same investor and fund merge into one preferences row).
fn as_files(records: &[ChangeRecord]) -> BTreeMap<&'static str, (FileKind, String)> {
    let mut rows: BTreeMap<&'static str, (FileKind, RowsByKey)> = BTreeMap::new();
    for r in records {
        let Some(kind) = file_kind(&r.kind) else {
            continue;
        };
        let key: Vec<String> = key_columns(kind)
            .iter()
            .map(|c| r.fields.get(*c).cloned().unwrap_or_default())
            .collect();
        let (_, by_key) = rows.entry(kind.as_str()).or_insert((kind, BTreeMap::new()));
        let row = by_key.entry(key).or_default();
        for (k, v) in &r.fields {
            row.insert(k.clone(), v.clone());
        }
    }
    rows.into_iter()
        .map(|(name, (kind, by_key))| {
            let columns = formats::columns(kind);
            let mut w = csv::Writer::from_writer(Vec::new());
            // Writing to memory cannot fail.
            let _ = w.write_record(columns);
            for row in by_key.values() {
                let _ = w.write_record(
                    columns
                        .iter()
                        .map(|c| row.get(*c).map(String::as_str).unwrap_or("")),
                );
            }
            let text = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
            (name, (kind, text))
        })
        .collect()
}

/// Applies the records of one page inside `tx`. Reasons name the row of the page as a file of
/// its kind (header = row 1, one row per key after merging).
pub async fn apply(
    tx: &mut Tx,
    actor: &Actor,
    records: &[ChangeRecord],
    summary: &mut PullSummary,
) -> Result<(), JobError> {
    for (_, (kind, text)) in as_files(records) {
        let parsed = formats::read(kind, text.as_bytes()).map_err(|errors| {
            JobError::Permanent(format!(
                "a pulled {} page was refused: {}",
                kind.as_str(),
                reasons(&errors)
            ))
        })?;
        let applied = crate::sync::apply_records(
            tx,
            actor,
            Source::Api,
            Side::Administrator,
            &parsed,
            false,
            None,
        )
        .await?;
        if !applied.errors.is_empty() {
            return Err(JobError::Permanent(format!(
                "a pulled {} page was refused: {}",
                kind.as_str(),
                reasons(&applied.errors)
            )));
        }
        summary.applied += applied.rows_applied as usize;
        summary.unchanged += applied.rows_unchanged as usize;
        summary.conflicts += applied.conflicts_opened as usize;
    }
    Ok(())
}

fn reasons(errors: &[clearway_core::sync::RowError]) -> String {
    errors
        .iter()
        .take(10)
        .map(|e| format!("row {} {}: {}", e.row, e.field, e.reason))
        .collect::<Vec<_>>()
        .join("; ")
}
