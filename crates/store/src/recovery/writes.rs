//! Writing receivables and recoveries (inside the application's transaction).

use clearway_core::access::Permission;
use clearway_core::recovery::{ReceivableStatus, RecoveryMethod};

use crate::{new_id, now_text, q, Actor, StoreError, Tx};

use super::*;

/// A receivable to open.
#[derive(Debug, Clone)]
pub struct NewReceivable {
    /// Investor.
    pub investor_id: String,
    /// The distribution whose line was paid.
    pub original_distribution_id: String,
    /// The reversal.
    pub reversal_distribution_id: String,
    /// The payment that left.
    pub original_payment_id: Option<String>,
    /// Fund currency.
    pub currency: Currency,
    /// What left, minor units (> 0).
    pub amount_minor: i64,
}

/// Opens receivables (status OPEN, method OFFSET) and returns them; the unique key (reversal,
/// investor) refuses a second one for a line.
pub async fn insert_receivables(
    tx: &mut Tx,
    actor: &Actor,
    new: &[NewReceivable],
) -> Result<Vec<Receivable>, StoreError> {
    actor.require(Permission::Operate)?;
    let now = now_text();
    let mut out = Vec::with_capacity(new.len());
    for n in new {
        let row = tx
            .fetch_optional(
                q(format!("INSERT INTO receivables (id, org_id, investor_id, original_distribution_id, reversal_distribution_id, original_payment_id, currency, amount_minor, outstanding_minor, status, method, created_at, updated_at)
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $11) RETURNING {COLUMNS}"))
                    .bind(new_id())
                    .bind(&actor.org_id)
                    .bind(&n.investor_id)
                    .bind(&n.original_distribution_id)
                    .bind(&n.reversal_distribution_id)
                    .bind(n.original_payment_id.clone())
                    .bind(n.currency.code())
                    .bind(n.amount_minor)
                    .bind(ReceivableStatus::Open.as_str())
                    .bind(RecoveryMethod::Offset.as_str())
                    .bind(&now),
            )
            .await?
            .ok_or(StoreError::NotFound("receivable"))?;
        out.push(from_row(&row)?);
    }
    Ok(out)
}

/// Open receivables recovered by offset in `currency`, oldest first (system use: processing).
pub async fn open_for_offset(
    tx: &mut Tx,
    actor: &Actor,
    currency: &str,
) -> Result<Vec<Receivable>, StoreError> {
    actor.require(Permission::Operate)?;
    tx.fetch_all(
        q(format!("SELECT {COLUMNS} FROM receivables WHERE org_id = $1 AND currency = $2 AND method = 'OFFSET' AND status IN ('OPEN','PARTIALLY_RECOVERED') ORDER BY created_at, id"))
            .bind(&actor.org_id)
            .bind(currency),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// A recovery to record.
#[derive(Debug, Clone, Default)]
pub struct NewRecovery {
    /// Receivable.
    pub receivable_id: String,
    /// Investor.
    pub investor_id: String,
    /// How.
    pub method: Option<RecoveryMethod>,
    /// EXPECTED or RECEIVED.
    pub received: bool,
    /// Amount, minor units (> 0).
    pub amount_minor: i64,
    /// OFFSET: the distribution whose line was reduced.
    pub distribution_id: Option<String>,
    /// Day the money arrived.
    pub received_date: Option<String>,
    /// Payer's reference.
    pub reference: Option<String>,
    /// ACH reversal trace number.
    pub trace_number: Option<String>,
    /// ACH reversal file.
    pub file_id: Option<String>,
}

/// Inserts a recovery row and returns it.
pub async fn insert_recovery(
    tx: &mut Tx,
    actor: &Actor,
    n: &NewRecovery,
) -> Result<Recovery, StoreError> {
    actor.require(Permission::Operate)?;
    let method = n
        .method
        .ok_or_else(|| StoreError::Corrupt("a recovery needs a method".into()))?;
    let now = now_text();
    let row = tx
        .fetch_optional(
            q(format!("INSERT INTO receivable_recoveries (id, org_id, receivable_id, investor_id, method, status, amount_minor, distribution_id, received_date, reference, trace_number, file_id, created_by, created_at, updated_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING {RECOVERY_COLUMNS}"))
                .bind(new_id())
                .bind(&actor.org_id)
                .bind(&n.receivable_id)
                .bind(&n.investor_id)
                .bind(method.as_str())
                .bind(if n.received { "RECEIVED" } else { "EXPECTED" })
                .bind(n.amount_minor)
                .bind(n.distribution_id.clone())
                .bind(n.received_date.clone())
                .bind(n.reference.clone())
                .bind(n.trace_number.clone())
                .bind(n.file_id.clone())
                .bind(&actor.user_id)
                .bind(&now),
        )
        .await?
        .ok_or(StoreError::NotFound("recovery"))?;
    recovery_from_row(&row)
}

/// Marks an EXPECTED recovery RECEIVED on `date`; false when it was not EXPECTED.
pub async fn mark_received(
    tx: &mut Tx,
    actor: &Actor,
    recovery_id: &str,
    date: &str,
) -> Result<bool, StoreError> {
    actor.require(Permission::Operate)?;
    let n = tx
        .execute(
            q("UPDATE receivable_recoveries SET status = 'RECEIVED', received_date = $1, updated_at = $2 WHERE id = $3 AND org_id = $4 AND status = 'EXPECTED'")
                .bind(date)
                .bind(now_text())
                .bind(recovery_id)
                .bind(&actor.org_id),
        )
        .await?;
    Ok(n == 1)
}

/// The amounts of a receivable after a change.
#[derive(Debug, Clone)]
pub struct Amounts {
    /// Still owed.
    pub outstanding_minor: i64,
    /// On its way back.
    pub expected_minor: i64,
    /// Written off.
    pub written_off_minor: i64,
    /// Status.
    pub status: ReceivableStatus,
    /// Method.
    pub method: RecoveryMethod,
    /// Write-off reason.
    pub write_off_reason: Option<String>,
}

/// Writes a receivable's new amounts, conditional on its version (a concurrent change is a
/// conflict), and returns it. Operators record recoveries; approvers write off.
pub async fn update(
    tx: &mut Tx,
    actor: &Actor,
    current: &Receivable,
    a: &Amounts,
) -> Result<Receivable, StoreError> {
    actor
        .require(Permission::Operate)
        .or_else(|_| actor.require(Permission::Approve))?;
    let row = tx
        .fetch_optional(
            q(format!("UPDATE receivables SET outstanding_minor = $1, expected_minor = $2, written_off_minor = $3, status = $4, method = $5, write_off_reason = $6, updated_at = $7, version = version + 1
                       WHERE id = $8 AND org_id = $9 AND version = $10 RETURNING {COLUMNS}"))
                .bind(a.outstanding_minor)
                .bind(a.expected_minor)
                .bind(a.written_off_minor)
                .bind(a.status.as_str())
                .bind(a.method.as_str())
                .bind(a.write_off_reason.clone())
                .bind(now_text())
                .bind(&current.id)
                .bind(&actor.org_id)
                .bind(current.version),
        )
        .await?
        .ok_or_else(|| StoreError::Conflict(format!("receivable {} changed meanwhile; retry", current.id)))?;
    from_row(&row)
}

/// Open receivables whose original payment came back (RETURNED or FAILED) and that no return
/// reduced yet, with that payment's fund-currency amount.
pub async fn returned_originals(
    tx: &mut Tx,
    actor: &Actor,
) -> Result<Vec<(Receivable, i64)>, StoreError> {
    actor.require(Permission::Operate)?;
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("v.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    tx.fetch_all(
        q(format!("SELECT {columns}, p.fund_amount_minor AS returned_minor FROM receivables v JOIN payments p ON p.id = v.original_payment_id AND p.org_id = v.org_id
                   WHERE v.org_id = $1 AND v.status IN ('OPEN','PARTIALLY_RECOVERED') AND p.status IN ('RETURNED','FAILED')
                     AND NOT EXISTS (SELECT 1 FROM receivable_recoveries x WHERE x.receivable_id = v.id AND x.method = 'RETURNED') ORDER BY v.id"))
            .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(|r| Ok((from_row(r)?, r.i64("returned_minor")?)))
    .collect()
}
