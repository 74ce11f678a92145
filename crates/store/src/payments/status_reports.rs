//! pain.002 payment status reports as stored (migration `0019_payment_status_reports`): the
//! report, once per organization and file content, and what each of its transactions did.
//! Applying a status to a payment goes through the settlement path (`clearway_app`), not here.

use clearway_core::access::Permission;

use crate::{new_id, now_text, q, Actor, Row, StoreError, Tx};

use super::{from_row, Payment, COLUMNS};

/// A report to record.
#[derive(Debug, Clone, Default)]
pub struct NewReport {
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// `GrpHdr/MsgId`.
    pub message_id: String,
    /// `OrgnlMsgId`.
    pub original_message_id: String,
    /// `OrgnlMsgNmId`.
    pub original_message_name: Option<String>,
    /// `GrpSts`.
    pub group_status: Option<String>,
}

/// One transaction's outcome to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    /// `OrgnlEndToEndId`.
    pub end_to_end_id: Option<String>,
    /// `OrgnlInstrId`.
    pub instruction_id: Option<String>,
    /// Status code applied.
    pub status: Option<String>,
    /// First reason code.
    pub reason_code: Option<String>,
    /// Reasons as text.
    pub reason_text: Option<String>,
    /// Our payment, when matched.
    pub payment_id: Option<String>,
    /// APPLIED, RECORDED, UNCHANGED or UNMATCHED.
    pub outcome: &'static str,
    /// Why (unmatched) or what (applied).
    pub detail: Option<String>,
    /// 1-based line in the file.
    pub line: usize,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Id.
    pub id: String,
    /// File SHA-256.
    pub sha256: String,
    /// `GrpHdr/MsgId`.
    pub message_id: String,
    /// `OrgnlMsgId`.
    pub original_message_id: String,
    /// `OrgnlMsgNmId`.
    pub original_message_name: Option<String>,
    /// `GrpSts`.
    pub group_status: Option<String>,
    /// Transactions reported.
    pub transaction_count: i64,
    /// Applied (failed or settled).
    pub applied_count: i64,
    /// Recorded (accepted / pending).
    pub recorded_count: i64,
    /// Already in that state.
    pub unchanged_count: i64,
    /// Unmatched.
    pub unmatched_count: i64,
    /// Who imported it.
    pub imported_by: String,
    /// When.
    pub created_at: String,
}

/// A stored item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// 1-based order in the file.
    pub seq: i64,
    /// What was recorded.
    pub item: NewItem,
}

const REPORT_COLS: &str = "id, content_sha256, message_id, original_message_id, original_message_name, group_status, transaction_count, applied_count, recorded_count, unchanged_count, unmatched_count, imported_by, created_at";

fn report_row(r: &Row) -> Result<Report, StoreError> {
    Ok(Report {
        id: r.text("id")?,
        sha256: r.text("content_sha256")?,
        message_id: r.text("message_id")?,
        original_message_id: r.text("original_message_id")?,
        original_message_name: r.opt_text("original_message_name")?,
        group_status: r.opt_text("group_status")?,
        transaction_count: r.i64("transaction_count")?,
        applied_count: r.i64("applied_count")?,
        recorded_count: r.i64("recorded_count")?,
        unchanged_count: r.i64("unchanged_count")?,
        unmatched_count: r.i64("unmatched_count")?,
        imported_by: r.text("imported_by")?,
        created_at: r.text("created_at")?,
    })
}

fn outcome_of(s: &str) -> &'static str {
    match s {
        "APPLIED" => "APPLIED",
        "RECORDED" => "RECORDED",
        "UNCHANGED" => "UNCHANGED",
        _ => "UNMATCHED",
    }
}

fn item_row(r: &Row) -> Result<Item, StoreError> {
    Ok(Item {
        seq: r.i64("seq")?,
        item: NewItem {
            end_to_end_id: r.opt_text("end_to_end_id")?,
            instruction_id: r.opt_text("instruction_id")?,
            status: r.opt_text("status")?,
            reason_code: r.opt_text("reason_code")?,
            reason_text: r.opt_text("reason_text")?,
            payment_id: r.opt_text("payment_id")?,
            outcome: outcome_of(&r.text("outcome")?),
            detail: r.opt_text("detail")?,
            line: usize::try_from(r.i64("source_line")?).unwrap_or(0),
        },
    })
}

/// Claims the report for `actor`'s organization: `Ok(None)` when the same file (by SHA-256)
/// was recorded before, else the new report id (counts zero until [`finish`]).
pub async fn claim(
    tx: &mut Tx,
    actor: &Actor,
    r: &NewReport,
) -> Result<Option<String>, StoreError> {
    actor.require(Permission::Operate)?;
    let id = new_id();
    let n = tx
        .execute(
            q("INSERT INTO payment_status_reports (id, org_id, content_sha256, message_id, original_message_id, original_message_name, group_status, transaction_count, applied_count, recorded_count, unchanged_count, unmatched_count, imported_by, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0, 0, 0, $8, $9) ON CONFLICT (org_id, content_sha256) DO NOTHING")
                .bind(&id)
                .bind(&actor.org_id)
                .bind(&r.sha256)
                .bind(&r.message_id)
                .bind(&r.original_message_id)
                .bind(r.original_message_name.clone())
                .bind(r.group_status.clone())
                .bind(&actor.user_id)
                .bind(now_text()),
        )
        .await?;
    Ok((n == 1).then_some(id))
}

/// Writes the items of report `id` and its counts.
pub async fn finish(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    items: &[NewItem],
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    for (seq, it) in items.iter().enumerate() {
        tx.execute(
            q("INSERT INTO payment_status_report_items (id, org_id, report_id, seq, end_to_end_id, instruction_id, status, reason_code, reason_text, payment_id, outcome, detail, source_line)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
                .bind(new_id())
                .bind(&actor.org_id)
                .bind(id)
                .bind(i64::try_from(seq + 1).unwrap_or(i64::MAX))
                .bind(it.end_to_end_id.clone())
                .bind(it.instruction_id.clone())
                .bind(it.status.clone())
                .bind(it.reason_code.clone())
                .bind(it.reason_text.clone())
                .bind(it.payment_id.clone())
                .bind(it.outcome)
                .bind(it.detail.clone())
                .bind(i64::try_from(it.line).unwrap_or(i64::MAX)),
        )
        .await?;
    }
    let count =
        |o: &str| i64::try_from(items.iter().filter(|i| i.outcome == o).count()).unwrap_or(0);
    tx.execute(
        q("UPDATE payment_status_reports SET transaction_count = $1, applied_count = $2, recorded_count = $3, unchanged_count = $4, unmatched_count = $5 WHERE id = $6 AND org_id = $7")
            .bind(i64::try_from(items.len()).unwrap_or(0))
            .bind(count("APPLIED"))
            .bind(count("RECORDED"))
            .bind(count("UNCHANGED"))
            .bind(count("UNMATCHED"))
            .bind(id)
            .bind(&actor.org_id),
    )
    .await?;
    Ok(())
}

/// A report of `actor`'s organization by file SHA-256, with its items.
pub async fn by_sha256(
    tx: &mut Tx,
    actor: &Actor,
    sha256: &str,
) -> Result<Option<(Report, Vec<Item>)>, StoreError> {
    actor.require(Permission::Read)?;
    let Some(row) = tx
        .fetch_optional(
            q(format!("SELECT {REPORT_COLS} FROM payment_status_reports WHERE org_id = $1 AND content_sha256 = $2"))
                .bind(&actor.org_id)
                .bind(sha256),
        )
        .await?
    else {
        return Ok(None);
    };
    let report = report_row(&row)?;
    let items = tx
        .fetch_all(
            q("SELECT seq, end_to_end_id, instruction_id, status, reason_code, reason_text, payment_id, outcome, detail, source_line
               FROM payment_status_report_items WHERE org_id = $1 AND report_id = $2 ORDER BY seq")
                .bind(&actor.org_id)
                .bind(&report.id),
        )
        .await?
        .iter()
        .map(item_row)
        .collect::<Result<_, _>>()?;
    Ok(Some((report, items)))
}

/// The newest wire payment of `actor`'s organization with this end-to-end id. Scoped to the
/// organization: another organization's id is simply not found.
pub async fn wire_by_end_to_end_id(
    tx: &mut Tx,
    actor: &Actor,
    end_to_end_id: &str,
) -> Result<Option<Payment>, StoreError> {
    actor.require(Permission::Operate)?;
    tx.fetch_optional(
        q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND method = 'WIRE' AND end_to_end_id = $2 ORDER BY id DESC LIMIT 1"))
            .bind(&actor.org_id)
            .bind(end_to_end_id),
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// The wire payments of `actor`'s organization that went out in the pain.001 whose message id
/// is `message_id` (our message id is the batch id without hyphens).
pub async fn wires_of_message(
    tx: &mut Tx,
    actor: &Actor,
    message_id: &str,
) -> Result<Vec<Payment>, StoreError> {
    actor.require(Permission::Operate)?;
    tx.fetch_all(
        q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND method = 'WIRE' AND batch_id IS NOT NULL AND REPLACE(batch_id, '-', '') = $2 ORDER BY id"))
            .bind(&actor.org_id)
            .bind(message_id),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// The bank's latest word on a payment from a status report (what its status detail shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankStatus {
    /// Status code (`ACSP`, `RJCT`, …).
    pub status: Option<String>,
    /// First reason code.
    pub reason_code: Option<String>,
    /// Reasons as text.
    pub reason_text: Option<String>,
    /// What it did: APPLIED, RECORDED or UNCHANGED.
    pub outcome: String,
    /// The report's message id.
    pub message_id: String,
    /// When the report was imported.
    pub reported_at: String,
}

/// The latest status a report gave `payment_id` (of `actor`'s organization), if any; reports
/// that could not apply to it are left out.
pub async fn latest_for_payment(
    db: &crate::Db,
    actor: &Actor,
    payment_id: &str,
) -> Result<Option<BankStatus>, StoreError> {
    actor.require(Permission::Read)?;
    db.fetch_optional(
        q(
            "SELECT i.status, i.reason_code, i.reason_text, i.outcome, r.message_id, r.created_at
           FROM payment_status_report_items i JOIN payment_status_reports r ON r.id = i.report_id
           WHERE i.org_id = $1 AND i.payment_id = $2 AND i.outcome <> 'UNMATCHED'
           ORDER BY r.created_at DESC, i.seq DESC LIMIT 1",
        )
        .bind(&actor.org_id)
        .bind(payment_id),
    )
    .await?
    .map(|r| {
        Ok(BankStatus {
            status: r.opt_text("status")?,
            reason_code: r.opt_text("reason_code")?,
            reason_text: r.opt_text("reason_text")?,
            outcome: r.text("outcome")?,
            message_id: r.text("message_id")?,
            reported_at: r.text("created_at")?,
        })
    })
    .transpose()
}
