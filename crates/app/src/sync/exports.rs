//! Outbound files for the administrator: each export of a kind carries what changed since the
//! previous export of that kind. The candidates are the records changed since a little before
//! the previous export's watermark (a transaction still open when it read commits later with
//! an older `updated_at`); of those, a record whose row is the same as when last exported is
//! dropped, so no payment is sent twice unless it changed.

use std::path::Path;

use chrono::{DateTime, Utc};
use clearway_core::access::Permission;
use clearway_formats::sync::outbound::{
    self as fmt, DistributionRecord, ExportKind, FieldError, LineRecord, PaymentRecord,
};
use clearway_store::sync::exports::{self as store, Export};
use clearway_store::{audit, new_id, now_text, outbox, time_text, Actor, Db};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{AppError, AppResult};

/// How far before the previous watermark the next export looks again.
pub const OVERLAP: chrono::Duration = chrono::Duration::minutes(5);

/// Why an export was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `POST /api/sync/exports`: stored even when empty.
    Api,
    /// The schedule: an empty export is not stored.
    Schedule,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Api => "API",
            Trigger::Schedule => "SCHEDULE",
        }
    }
}

/// Rows with the id and fingerprint of each record.
struct Rows {
    rows: Vec<Vec<String>>,
    marks: Vec<(String, String)>,
}

impl Rows {
    /// Adds a record's row unless it is the one last exported.
    fn add(
        &mut self,
        kind: ExportKind,
        id: String,
        mark: Option<String>,
        row: Result<Vec<String>, FieldError>,
    ) -> AppResult<()> {
        let row = row
            .and_then(|r| fmt::fit(kind, &id, r))
            .map_err(|e| AppError::field("records", e.to_string()))?;
        let fingerprint = hex::encode(Sha256::digest(row.join("\u{1f}").as_bytes()));
        if mark.as_deref() != Some(fingerprint.as_str()) {
            self.rows.push(row);
            self.marks.push((id, fingerprint));
        }
        Ok(())
    }
}

async fn changed_rows(
    tx: &mut clearway_store::Tx,
    actor: &Actor,
    kind: ExportKind,
    since: Option<&str>,
) -> AppResult<Rows> {
    let mut out = Rows {
        rows: Vec::new(),
        marks: Vec::new(),
    };
    match kind {
        ExportKind::Distributions => {
            for d in store::distributions_since(tx, actor, since).await? {
                let row = fmt::distribution_row(&distribution_record(&d));
                out.add(kind, d.id, d.mark, row)?;
            }
        }
        ExportKind::Lines => {
            for l in store::lines_since(tx, actor, since).await? {
                let id = format!("{}:{}", l.distribution_id, l.investor_id);
                let row = fmt::line_row(&line_record(&l));
                out.add(kind, id, l.mark, row)?;
            }
        }
        ExportKind::Payments => {
            for p in store::payments_since(tx, actor, since).await? {
                let row = fmt::payment_row(&payment_record(&p));
                out.add(kind, p.id, p.mark, row)?;
            }
        }
    }
    Ok(out)
}

/// Makes the export of `kind` (operators): stored with its rows' marks, audited, event
/// `sync.exported`, and written into `outbox_dir` when given (before the commit: a crash after
/// writing leaves a file the next export repeats, never a stored export without its file).
/// `None` when the schedule found nothing changed.
pub async fn export(
    db: &Db,
    actor: &Actor,
    kind: ExportKind,
    trigger: Trigger,
    outbox_dir: Option<&Path>,
) -> AppResult<Option<Export>> {
    actor.require(Permission::Operate)?;
    let mut tx = db.begin().await?;
    // Read before the rows: a change committed while they are read is newer than this.
    let watermark = now_text();
    let since = store::last_watermark(&mut tx, actor, kind.as_str())
        .await?
        .map(|w| back_off(&w));
    let rows = changed_rows(&mut tx, actor, kind, since.as_deref()).await?;
    if rows.rows.is_empty() && trigger == Trigger::Schedule {
        return Ok(None);
    }
    let content = fmt::write(kind, &rows.rows);
    let id = new_id();
    let mut e = Export {
        file_name: format!(
            "clearway-{}-{}-{}.csv",
            kind.as_str().to_lowercase(),
            &watermark[..19].replace([':', '-'], ""),
            &id[id.len() - 8..]
        ),
        id,
        kind: kind.as_str().into(),
        sha256: hex::encode(Sha256::digest(content.as_bytes())),
        row_count: rows.rows.len() as i64,
        since,
        watermark,
        trigger: trigger.as_str().into(),
        written_to: None,
        created_by: actor.user_id.clone(),
        created_at: now_text(),
    };
    if let Some(dir) = outbox_dir {
        e.written_to = Some(write_file(dir, &e.file_name, &content)?);
    }
    store::insert(&mut tx, actor, &e, &content, &rows.marks).await?;
    let after = json!({ "kind": e.kind, "fileName": e.file_name, "sha256": e.sha256, "rows": e.row_count, "since": e.since, "watermark": e.watermark, "trigger": e.trigger });
    audit::record(
        &mut tx,
        actor,
        audit::Change {
            action: "sync_export.create",
            entity_type: "sync_export",
            entity_id: &e.id,
            before: None,
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(&mut tx, actor, "sync.exported", "sync_export", &e.id, after).await?;
    tx.commit().await?;
    Ok(Some(e))
}

/// `watermark` − [`OVERLAP`], as stored text (as is when it does not parse).
fn back_off(watermark: &str) -> String {
    DateTime::parse_from_rfc3339(watermark)
        .map(|w| time_text(w.with_timezone(&Utc) - OVERLAP))
        .unwrap_or_else(|_| watermark.to_string())
}

/// Writes the file into `dir` whole (a temporary name, then renamed), so a reader of the
/// directory never sees half a file; returns its path.
fn write_file(dir: &Path, name: &str, content: &str) -> AppResult<String> {
    let fail =
        |e: std::io::Error| AppError::Remote(format!("writing {name} to {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    std::fs::write(&tmp, content).map_err(fail)?;
    std::fs::rename(&tmp, &path).map_err(fail)?;
    Ok(path.display().to_string())
}

/// A stored distribution row as the file writer takes it.
pub fn distribution_record(d: &store::DistRow) -> DistributionRecord {
    DistributionRecord {
        id: d.id.clone(),
        fund_id: d.fund_id.clone(),
        kind: d.kind.clone(),
        status: d.status.clone(),
        currency: d.currency.clone(),
        declaration_date: d.declaration_date.clone(),
        record_date: d.record_date.clone(),
        payable_date: d.payable_date.clone(),
        total_minor: d.total_minor,
        line_count: d.line_count,
        description: d.description.clone(),
        reverses_id: d.reverses_id.clone(),
    }
}

/// A stored line row as the file writer takes it.
pub fn line_record(l: &store::LineRow) -> LineRecord {
    LineRecord {
        distribution_id: l.distribution_id.clone(),
        investor_id: l.investor_id.clone(),
        fund_id: l.fund_id.clone(),
        currency: l.currency.clone(),
        units: l.units.clone(),
        total_minor: l.total_minor,
        components: l.components,
        foreign_tax_minor: l.foreign_tax_minor,
        withholding_minor: l.withholding_minor,
        reinvested_minor: l.reinvested_minor,
        cash_minor: l.cash_minor,
        status: l.status.clone(),
    }
}

/// A stored payment row as the file writer takes it.
pub fn payment_record(p: &store::PaymentRow) -> PaymentRecord {
    PaymentRecord {
        id: p.id.clone(),
        distribution_id: p.distribution_id.clone(),
        investor_id: p.investor_id.clone(),
        method: p.method.clone(),
        status: p.status.clone(),
        currency: p.currency.clone(),
        amount_minor: p.amount_minor,
        fund_currency: p.fund_currency.clone(),
        fund_amount_minor: p.fund_amount_minor,
        expected_date: p.expected_date.clone(),
        cleared_date: p.cleared_date.clone(),
        attempt: p.attempt,
        reference: p.reference.clone(),
        failure_code: p.failure_code.clone(),
    }
}
