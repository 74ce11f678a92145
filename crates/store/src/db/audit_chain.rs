//! The audit log's hash chain. Each entry carries the hash of the entry before it in its
//! organization (`prev_hash`) and its own hash over that and every stored field
//! (`entry_hash`); the organization row keeps the hash of its newest entry (`audit_head`), so
//! an edited, deleted, inserted or reordered entry, or a truncated tail, breaks a link that
//! `audit::verify` finds.
//!
//! Entries are appended at commit (see [`super::Tx::commit`]) under a lock on the
//! organization row, so each organization's entries are chained in the order they commit
//! and `seq` order agrees with chain order.

use sha2::{Digest, Sha256};

use super::{ArgRows, RowSink, RowSource, Tx};
use crate::{q, StoreError};

/// The `prev_hash` of an organization's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry, as stored (JSON as its stored text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Entry id.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// Who.
    pub actor_id: String,
    /// Verb.
    pub action: String,
    /// Kind of thing.
    pub entity_type: String,
    /// Which one.
    pub entity_id: String,
    /// State before, as stored.
    pub before_json: Option<String>,
    /// State after, as stored.
    pub after_json: Option<String>,
    /// Request that caused it, if known.
    pub request_id: Option<String>,
    /// When (UTC text, as stored).
    pub at: String,
}

/// SHA-256 (hex) of `prev` and every field of `row`. Each field is length-prefixed and NULL
/// is distinct from the empty string, so no two different entries hash the same input.
pub fn entry_hash(prev: &str, row: &AuditRow) -> String {
    let mut h = Sha256::new();
    let mut field = |value: Option<&str>| match value {
        None => h.update(b"N"),
        Some(v) => {
            h.update(b"S");
            h.update((v.len() as u64).to_be_bytes());
            h.update(v.as_bytes());
        }
    };
    field(Some(prev));
    field(Some(&row.id));
    field(Some(&row.org_id));
    field(Some(&row.actor_id));
    field(Some(&row.action));
    field(Some(&row.entity_type));
    field(Some(&row.entity_id));
    field(row.before_json.as_deref());
    field(row.after_json.as_deref());
    field(row.request_id.as_deref());
    field(Some(&row.at));
    hex::encode(h.finalize())
}

/// Locks the organization's chain head for the rest of `tx` and returns it.
pub(crate) async fn lock_head(tx: &mut Tx, org_id: &str) -> Result<String, StoreError> {
    // A no-op UPDATE takes the row lock on both backends (SQLite has one writer anyway).
    let row = tx
        .fetch_optional(
            q("UPDATE organizations SET audit_head = audit_head WHERE id = $1 RETURNING audit_head")
                .bind(org_id),
        )
        .await?
        .ok_or_else(|| {
            StoreError::Corrupt(format!("audit entry for unknown organization {org_id}"))
        })?;
    Ok(row
        .opt_text("audit_head")?
        .unwrap_or_else(|| GENESIS.into()))
}

/// Chains and writes `rows` (in order) inside `tx`; organizations in id order, so two
/// transactions touching the same two organizations lock them in the same order.
pub(crate) async fn append(tx: &mut Tx, rows: Vec<AuditRow>) -> Result<(), StoreError> {
    let mut orgs: Vec<&str> = rows.iter().map(|r| r.org_id.as_str()).collect();
    orgs.sort_unstable();
    orgs.dedup();
    for org in orgs {
        let head = lock_head(tx, org).await?;
        let mine: Vec<&AuditRow> = rows.iter().filter(|r| r.org_id == org).collect();
        let mut hashes: Vec<String> = Vec::with_capacity(mine.len());
        for row in &mine {
            let prev = hashes.last().unwrap_or(&head);
            hashes.push(entry_hash(prev, row));
        }
        let chained = Chained {
            rows: mine,
            head: &head,
            hashes: &hashes,
        };
        write(tx, &chained).await?;
        tx.execute(
            q("UPDATE organizations SET audit_head = $1 WHERE id = $2")
                .bind(hashes.last().unwrap_or(&head))
                .bind(org),
        )
        .await?;
    }
    Ok(())
}

/// Chained entries as `audit_log` rows ([`COLUMNS`]), written field by field (a bulk
/// settlement chains a million).
struct Chained<'a> {
    rows: Vec<&'a AuditRow>,
    /// The `prev_hash` of the first row.
    head: &'a str,
    /// Each row's `entry_hash` (the next row's `prev_hash`).
    hashes: &'a [String],
}

impl RowSource for Chained<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        let row = self.rows[at];
        let prev = at.checked_sub(1).map_or(self.head, |k| &self.hashes[k]);
        sink.text(&row.id)
            .text(&row.org_id)
            .text(&row.actor_id)
            .text(&row.action)
            .text(&row.entity_type)
            .text(&row.entity_id)
            .opt_text(row.before_json.as_deref())
            .opt_text(row.after_json.as_deref())
            .opt_text(row.request_id.as_deref())
            .text(&row.at)
            .text(prev)
            .text(&self.hashes[at]);
        sink.end_row();
    }
}

const COLUMNS: [&str; 12] = [
    "id",
    "org_id",
    "actor_id",
    "action",
    "entity_type",
    "entity_id",
    "before_json",
    "after_json",
    "request_id",
    "at",
    "prev_hash",
    "entry_hash",
];

/// One INSERT for a single entry (the common case), a bulk load for many.
async fn write(tx: &mut Tx, rows: &Chained<'_>) -> Result<(), StoreError> {
    if rows.len() == 1 {
        let mut row = ArgRows::with_capacity(1);
        rows.write(0, &mut row);
        let mut query = q(format!(
            "INSERT INTO audit_log ({}) VALUES ({})",
            COLUMNS.join(", "),
            super::placeholders(1, COLUMNS.len())
        ));
        for arg in row.rows.into_iter().flatten() {
            query.push(arg);
        }
        tx.execute(query).await?;
        return Ok(());
    }
    tx.bulk_load("audit_log", &COLUMNS, rows).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> AuditRow {
        AuditRow {
            id: "a1".into(),
            org_id: "o1".into(),
            actor_id: "u1".into(),
            action: "distribution.approve".into(),
            entity_type: "distribution".into(),
            entity_id: "d1".into(),
            before_json: Some(r#"{"status":"READY"}"#.into()),
            after_json: None,
            request_id: None,
            at: "2026-12-06T03:00:00Z".into(),
        }
    }

    #[test]
    fn every_field_and_the_previous_hash_change_the_hash() {
        let base = entry_hash(GENESIS, &row());
        assert_eq!(base.len(), 64);
        assert_eq!(base, entry_hash(GENESIS, &row()), "deterministic");
        let variants: Vec<AuditRow> = vec![
            AuditRow {
                id: "a2".into(),
                ..row()
            },
            AuditRow {
                actor_id: "u2".into(),
                ..row()
            },
            AuditRow {
                action: "distribution.cancel".into(),
                ..row()
            },
            AuditRow {
                entity_id: "d2".into(),
                ..row()
            },
            AuditRow {
                before_json: Some(r#"{"status":"DRAFT"}"#.into()),
                ..row()
            },
            AuditRow {
                after_json: Some(String::new()),
                ..row()
            },
            AuditRow {
                request_id: Some("r".into()),
                ..row()
            },
            AuditRow {
                at: "2026-12-06T03:00:01Z".into(),
                ..row()
            },
        ];
        for v in &variants {
            assert_ne!(entry_hash(GENESIS, v), base, "{v:?}");
        }
        assert_ne!(entry_hash(&base, &row()), base);
    }

    #[test]
    fn fields_cannot_be_shifted_into_each_other() {
        let a = AuditRow {
            entity_type: "ab".into(),
            entity_id: "c".into(),
            ..row()
        };
        let b = AuditRow {
            entity_type: "a".into(),
            entity_id: "bc".into(),
            ..row()
        };
        assert_ne!(entry_hash(GENESIS, &a), entry_hash(GENESIS, &b));
    }
}
