//! Our distributions, lines and payments as read for the administrator (outbound files and
//! pushes), the outbound files stored, and the fingerprint of each record as last exported.

use clearway_core::access::Permission;

use super::connector::staff;
use crate::{q, Actor, Row, StoreError, Tx};

/// Distributions the administrator hears of: past approval.
const VISIBLE: &str = "d.status NOT IN ('DRAFT','READY')";

/// A distribution as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistRow {
    pub id: String,
    pub fund_id: String,
    pub kind: String,
    pub status: String,
    pub currency: String,
    pub declaration_date: String,
    pub record_date: String,
    pub payable_date: String,
    pub total_minor: i64,
    pub line_count: i64,
    pub description: String,
    pub reverses_id: Option<String>,
    /// Fingerprint of its last exported row.
    pub mark: Option<String>,
}

/// A line as exported (amounts in the distribution's currency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRow {
    pub distribution_id: String,
    pub investor_id: String,
    pub fund_id: String,
    pub currency: String,
    pub units: Option<String>,
    pub total_minor: i64,
    /// Ordinary, qualified, short-term gain, long-term gain, return of capital, interest.
    pub components: [i64; 6],
    pub foreign_tax_minor: i64,
    pub withholding_minor: i64,
    pub reinvested_minor: Option<i64>,
    pub cash_minor: Option<i64>,
    pub status: String,
    pub mark: Option<String>,
}

/// A payment as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub id: String,
    pub distribution_id: String,
    pub investor_id: String,
    pub method: String,
    pub status: String,
    pub currency: String,
    pub amount_minor: i64,
    pub fund_currency: String,
    pub fund_amount_minor: i64,
    pub expected_date: String,
    pub cleared_date: Option<String>,
    pub attempt: i64,
    pub reference: Option<String>,
    pub failure_code: Option<String>,
    pub mark: Option<String>,
}

fn dist(r: &Row) -> Result<DistRow, StoreError> {
    Ok(DistRow {
        id: r.text("id")?,
        fund_id: r.text("fund_id")?,
        kind: r.text("kind")?,
        status: r.text("status")?,
        currency: r.text("currency")?,
        declaration_date: r.text("declaration_date")?,
        record_date: r.text("record_date")?,
        payable_date: r.text("payable_date")?,
        total_minor: r.i64("total_minor")?,
        line_count: r.i64("line_count")?,
        description: r.text("description")?,
        reverses_id: r.opt_text("reverses_id")?,
        mark: r.opt_text("mark")?,
    })
}

fn line(r: &Row) -> Result<LineRow, StoreError> {
    Ok(LineRow {
        distribution_id: r.text("distribution_id")?,
        investor_id: r.text("investor_id")?,
        fund_id: r.text("fund_id")?,
        currency: r.text("currency")?,
        units: r.opt_text("units")?,
        total_minor: r.i64("total_minor")?,
        components: [
            r.i64("ordinary_minor")?,
            r.i64("qualified_minor")?,
            r.i64("st_gain_minor")?,
            r.i64("lt_gain_minor")?,
            r.i64("roc_minor")?,
            r.i64("interest_minor")?,
        ],
        foreign_tax_minor: r.i64("foreign_tax_minor")?,
        withholding_minor: r.i64("withholding_minor")?,
        reinvested_minor: r.opt_i64("reinvested_minor")?,
        cash_minor: r.opt_i64("cash_minor")?,
        status: r.text("status")?,
        mark: r.opt_text("mark")?,
    })
}

fn payment(r: &Row) -> Result<PaymentRow, StoreError> {
    Ok(PaymentRow {
        id: r.text("id")?,
        distribution_id: r.text("distribution_id")?,
        investor_id: r.text("investor_id")?,
        method: r.text("method")?,
        status: r.text("status")?,
        currency: r.text("currency")?,
        amount_minor: r.i64("amount_minor")?,
        fund_currency: r.text("fund_currency")?,
        fund_amount_minor: r.i64("fund_amount_minor")?,
        expected_date: r.text("expected_date")?,
        cleared_date: r.opt_text("cleared_date")?,
        attempt: r.i64("attempt")?,
        reference: r.opt_text("reference")?,
        failure_code: r.opt_text("failure_code")?,
        mark: r.opt_text("mark")?,
    })
}

const DIST_COLS: &str = "d.id, d.fund_id, d.kind, d.status, d.currency, d.declaration_date, d.record_date, d.payable_date, d.total_minor, d.line_count, d.description, d.reverses_id";
const LINE_COLS: &str = "l.distribution_id, l.investor_id, d.fund_id, d.currency, l.units, l.total_minor, l.ordinary_minor, l.qualified_minor, l.st_gain_minor, l.lt_gain_minor, l.roc_minor, l.interest_minor, l.foreign_tax_minor, l.withholding_minor, l.reinvested_minor, l.cash_minor, l.status";
const PAY_COLS: &str = "p.id, p.distribution_id, p.investor_id, p.method, p.status, p.currency, p.amount_minor, d.currency AS fund_currency, p.fund_amount_minor, p.expected_date, p.cleared_date, p.attempt, COALESCE(p.trace_number, p.end_to_end_id, p.check_number) AS reference, p.failure_code";

/// Distributions changed at or after `since` (all when `None`), with their marks.
pub async fn distributions_since(
    tx: &mut Tx,
    actor: &Actor,
    since: Option<&str>,
) -> Result<Vec<DistRow>, StoreError> {
    staff(actor, Permission::Operate)?;
    let rows = tx
        .fetch_all(
            q(format!(
                "SELECT {DIST_COLS}, m.fingerprint AS mark FROM distributions d
                 LEFT JOIN sync_export_marks m ON m.org_id = d.org_id AND m.kind = 'DISTRIBUTIONS' AND m.record_id = d.id
                 WHERE d.org_id = $1 AND {VISIBLE} AND ($2 IS NULL OR d.updated_at >= $2)
                 ORDER BY d.id"
            ))
            .bind(&actor.org_id)
            .bind(since),
        )
        .await?;
    rows.iter().map(dist).collect()
}

/// Lines of the distributions changed at or after `since`, or with a payment changed then.
pub async fn lines_since(
    tx: &mut Tx,
    actor: &Actor,
    since: Option<&str>,
) -> Result<Vec<LineRow>, StoreError> {
    staff(actor, Permission::Operate)?;
    let rows = tx
        .fetch_all(
            q(format!(
                "SELECT {LINE_COLS}, m.fingerprint AS mark FROM distribution_lines l
                 JOIN distributions d ON d.id = l.distribution_id
                 LEFT JOIN sync_export_marks m ON m.org_id = d.org_id AND m.kind = 'LINES'
                      AND m.record_id = l.distribution_id || ':' || l.investor_id
                 WHERE d.org_id = $1 AND {VISIBLE}
                   AND ($2 IS NULL OR d.updated_at >= $2 OR EXISTS (SELECT 1 FROM payments p
                        WHERE p.distribution_id = l.distribution_id AND p.investor_id = l.investor_id AND p.updated_at >= $2))
                 ORDER BY l.distribution_id, l.investor_id"
            ))
            .bind(&actor.org_id)
            .bind(since),
        )
        .await?;
    rows.iter().map(line).collect()
}

/// Payments changed at or after `since`, with their marks.
pub async fn payments_since(
    tx: &mut Tx,
    actor: &Actor,
    since: Option<&str>,
) -> Result<Vec<PaymentRow>, StoreError> {
    staff(actor, Permission::Operate)?;
    let rows = tx
        .fetch_all(
            q(format!(
                "SELECT {PAY_COLS}, m.fingerprint AS mark FROM payments p
                 JOIN distributions d ON d.id = p.distribution_id
                 LEFT JOIN sync_export_marks m ON m.org_id = p.org_id AND m.kind = 'PAYMENTS' AND m.record_id = p.id
                 WHERE p.org_id = $1 AND ($2 IS NULL OR p.updated_at >= $2)
                 ORDER BY p.id"
            ))
            .bind(&actor.org_id)
            .bind(since),
        )
        .await?;
    rows.iter().map(payment).collect()
}

/// One distribution with its lines and payments (for a push); `None` if not visible.
pub async fn distribution_in_full(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
) -> Result<Option<(DistRow, Vec<LineRow>, Vec<PaymentRow>)>, StoreError> {
    staff(actor, Permission::Operate)?;
    let Some(d) = tx
        .fetch_optional(
            q(format!(
                "SELECT {DIST_COLS}, NULL AS mark FROM distributions d WHERE d.org_id = $1 AND d.id = $2"
            ))
            .bind(&actor.org_id)
            .bind(id),
        )
        .await?
    else {
        return Ok(None);
    };
    let lines = tx
        .fetch_all(
            q(format!(
                "SELECT {LINE_COLS}, NULL AS mark FROM distribution_lines l JOIN distributions d ON d.id = l.distribution_id
                 WHERE d.org_id = $1 AND l.distribution_id = $2 ORDER BY l.investor_id"
            ))
            .bind(&actor.org_id)
            .bind(id),
        )
        .await?;
    let payments = tx
        .fetch_all(
            q(format!(
                "SELECT {PAY_COLS}, NULL AS mark FROM payments p JOIN distributions d ON d.id = p.distribution_id
                 WHERE p.org_id = $1 AND p.distribution_id = $2 ORDER BY p.id"
            ))
            .bind(&actor.org_id)
            .bind(id),
        )
        .await?;
    Ok(Some((
        dist(&d)?,
        lines.iter().map(line).collect::<Result<_, _>>()?,
        payments.iter().map(payment).collect::<Result<_, _>>()?,
    )))
}

/// A stored outbound file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub id: String,
    pub kind: String,
    pub file_name: String,
    pub sha256: String,
    pub row_count: i64,
    pub since: Option<String>,
    pub watermark: String,
    pub trigger: String,
    pub written_to: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

const EXPORT_COLS: &str = "id, kind, file_name, sha256, row_count, since, watermark, trigger_kind, written_to, created_by, created_at";

fn export(r: &Row) -> Result<Export, StoreError> {
    Ok(Export {
        id: r.text("id")?,
        kind: r.text("kind")?,
        file_name: r.text("file_name")?,
        sha256: r.text("sha256")?,
        row_count: r.i64("row_count")?,
        since: r.opt_text("since")?,
        watermark: r.text("watermark")?,
        trigger: r.text("trigger_kind")?,
        written_to: r.opt_text("written_to")?,
        created_by: r.text("created_by")?,
        created_at: r.text("created_at")?,
    })
}

/// The watermark of the newest export of `kind`.
pub async fn last_watermark(
    tx: &mut Tx,
    actor: &Actor,
    kind: &str,
) -> Result<Option<String>, StoreError> {
    staff(actor, Permission::Operate)?;
    let row = tx
        .fetch_optional(
            q("SELECT MAX(watermark) AS w FROM sync_exports WHERE org_id = $1 AND kind = $2")
                .bind(&actor.org_id)
                .bind(kind),
        )
        .await?;
    match row {
        Some(r) => r.opt_text("w"),
        None => Ok(None),
    }
}

/// Stores an export with its content and the marks of the records it carried
/// (`(record id, fingerprint)`).
pub async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    e: &Export,
    content: &str,
    marks: &[(String, String)],
) -> Result<(), StoreError> {
    staff(actor, Permission::Operate)?;
    tx.execute(
        q("INSERT INTO sync_exports (id, org_id, kind, file_name, sha256, content, row_count, since, watermark, trigger_kind, written_to, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(&e.id)
        .bind(&actor.org_id)
        .bind(&e.kind)
        .bind(&e.file_name)
        .bind(&e.sha256)
        .bind(content)
        .bind(e.row_count)
        .bind(e.since.as_deref())
        .bind(&e.watermark)
        .bind(&e.trigger)
        .bind(e.written_to.as_deref())
        .bind(&e.created_by)
        .bind(&e.created_at),
    )
    .await?;
    for (record_id, fingerprint) in marks {
        tx.execute(
            q("INSERT INTO sync_export_marks (org_id, kind, record_id, fingerprint, export_id) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (org_id, kind, record_id) DO UPDATE SET fingerprint = $4, export_id = $5")
            .bind(&actor.org_id)
            .bind(&e.kind)
            .bind(record_id)
            .bind(fingerprint)
            .bind(&e.id),
        )
        .await?;
    }
    Ok(())
}

/// Records where the file was also written.
pub async fn set_written_to(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    path: &str,
) -> Result<(), StoreError> {
    staff(actor, Permission::Operate)?;
    tx.execute(
        q("UPDATE sync_exports SET written_to = $3 WHERE org_id = $1 AND id = $2")
            .bind(&actor.org_id)
            .bind(id)
            .bind(path),
    )
    .await?;
    Ok(())
}

/// Exports newest first (ids are time-ordered), after the cursor (the previous page's last id).
pub async fn list(
    tx: &mut Tx,
    actor: &Actor,
    limit: i64,
    cursor: Option<&str>,
) -> Result<Vec<Export>, StoreError> {
    staff(actor, Permission::Read)?;
    let rows = tx
        .fetch_all(
            q(format!(
                "SELECT {EXPORT_COLS} FROM sync_exports WHERE org_id = $1 AND ($2 IS NULL OR id < $2)
                 ORDER BY id DESC LIMIT $3"
            ))
            .bind(&actor.org_id)
            .bind(cursor)
            .bind(limit),
        )
        .await?;
    rows.iter().map(export).collect()
}

/// One export and its content.
pub async fn get(tx: &mut Tx, actor: &Actor, id: &str) -> Result<(Export, String), StoreError> {
    staff(actor, Permission::Read)?;
    let r = tx
        .fetch_optional(
            q(format!(
                "SELECT {EXPORT_COLS}, content FROM sync_exports WHERE org_id = $1 AND id = $2"
            ))
            .bind(&actor.org_id)
            .bind(id),
        )
        .await?
        .ok_or(StoreError::NotFound("sync export"))?;
    Ok((export(&r)?, r.text("content")?))
}
