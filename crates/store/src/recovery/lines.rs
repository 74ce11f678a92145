//! The distribution lines recovery touches: reversal lines becoming receivables (or nothing
//! owed), and later lines whose cash is offset against them.

use clearway_core::access::Permission;
use clearway_core::distribution::LineStatus;
use clearway_core::payments::PaymentStatus;

use crate::{q, Actor, StoreError, Tx};

/// A reversal line not yet settled, with what its original line's cash became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReversedLine {
    /// Investor.
    pub investor_id: String,
    /// The original line's live payment: id, status, fund-currency amount.
    pub payment: Option<(String, PaymentStatus, i64)>,
    /// The original line's cash settled by an offset (it left too, as a debt repaid).
    pub original_offset_minor: i64,
}

/// The reversal's lines still PENDING, each with its original line's live payment.
pub async fn reversed_lines_tx(
    tx: &mut Tx,
    actor: &Actor,
    reversal_id: &str,
) -> Result<Vec<ReversedLine>, StoreError> {
    actor.require(Permission::Operate)?;
    let rows = tx
        .fetch_all(
            q("SELECT r.investor_id, o.offset_minor, p.id AS payment_id, p.status AS payment_status, p.fund_amount_minor
               FROM distribution_lines r
               JOIN distribution_lines o ON o.distribution_id = r.reverses_distribution_id AND o.investor_id = r.investor_id AND o.org_id = r.org_id
               LEFT JOIN payments p ON p.distribution_id = o.distribution_id AND p.investor_id = o.investor_id AND p.org_id = o.org_id
                    AND p.status NOT IN ('FAILED','RETURNED','CANCELLED')
               WHERE r.distribution_id = $1 AND r.org_id = $2 AND r.status = 'PENDING'
               ORDER BY r.investor_id")
                .bind(reversal_id)
                .bind(&actor.org_id),
        )
        .await?;
    rows.iter()
        .map(|r| {
            let payment = match r.opt_text("payment_id")? {
                Some(id) => Some((id, r.parse("payment_status")?, r.i64("fund_amount_minor")?)),
                None => None,
            };
            Ok(ReversedLine {
                investor_id: r.text("investor_id")?,
                payment,
                original_offset_minor: r.opt_i64("offset_minor")?.unwrap_or(0),
            })
        })
        .collect()
}

/// Gives every still-PENDING line of a processed reversal its final status: RECEIVABLE
/// (pointing at the receivable opened for it) or NOTHING_OWED. Returns lines changed.
pub async fn settle_reversal_lines(
    tx: &mut Tx,
    actor: &Actor,
    reversal_id: &str,
) -> Result<u64, StoreError> {
    actor.require(Permission::Operate)?;
    tx.execute(
        q("UPDATE distribution_lines SET
              receivable_id = (SELECT v.id FROM receivables v WHERE v.reversal_distribution_id = distribution_lines.distribution_id AND v.investor_id = distribution_lines.investor_id AND v.org_id = distribution_lines.org_id),
              status = CASE WHEN EXISTS (SELECT 1 FROM receivables v WHERE v.reversal_distribution_id = distribution_lines.distribution_id AND v.investor_id = distribution_lines.investor_id AND v.org_id = distribution_lines.org_id)
                            THEN $1 ELSE $2 END
           WHERE distribution_id = $3 AND org_id = $4 AND status = 'PENDING'")
            .bind(LineStatus::Receivable.as_str())
            .bind(LineStatus::NothingOwed.as_str())
            .bind(reversal_id)
            .bind(&actor.org_id),
    )
    .await
}

/// A line a later distribution pays in cash, to an investor who owes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineToOffset {
    /// Investor.
    pub investor_id: String,
    /// Its cash part, minor units (> 0).
    pub cash_minor: i64,
}

/// The lines of `distribution_id` with cash, not yet offset nor paid, whose investor has an
/// open receivable recovered by offset in `currency`.
pub async fn lines_to_offset(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    currency: &str,
) -> Result<Vec<LineToOffset>, StoreError> {
    actor.require(Permission::Operate)?;
    let rows = tx
        .fetch_all(
            q("SELECT l.investor_id, l.cash_minor FROM distribution_lines l
               WHERE l.distribution_id = $1 AND l.org_id = $2 AND l.cash_minor > 0 AND l.offset_minor IS NULL
                 AND l.investor_id IN (SELECT v.investor_id FROM receivables v WHERE v.org_id = $2 AND v.currency = $3 AND v.method = 'OFFSET' AND v.status IN ('OPEN','PARTIALLY_RECOVERED'))
                 AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.distribution_id = l.distribution_id AND p.investor_id = l.investor_id)
               ORDER BY l.investor_id")
                .bind(distribution_id)
                .bind(&actor.org_id)
                .bind(currency),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(LineToOffset {
                investor_id: r.text("investor_id")?,
                cash_minor: r.i64("cash_minor")?,
            })
        })
        .collect()
}

/// Records `offset_minor` on a line and the (oldest) receivable it settled; a line whose whole
/// cash was offset is OFFSET (settled, no payment).
pub async fn set_line_offset(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    investor_id: &str,
    offset_minor: i64,
    receivable_id: &str,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    tx.execute(
        q("UPDATE distribution_lines SET offset_minor = $1, receivable_id = $6, status = CASE WHEN cash_minor = $1 THEN $2 ELSE status END
           WHERE distribution_id = $3 AND investor_id = $4 AND org_id = $5")
            .bind(offset_minor)
            .bind(LineStatus::Offset.as_str())
            .bind(distribution_id)
            .bind(investor_id)
            .bind(&actor.org_id)
            .bind(receivable_id),
    )
    .await?;
    Ok(())
}

/// The offsets taken from one line: (receivable id, amount), by receivable.
pub async fn offsets_of_line(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    investor_id: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    actor.require(Permission::Read)?;
    let rows = tx
        .fetch_all(
            q("SELECT receivable_id, amount_minor FROM receivable_recoveries
               WHERE org_id = $1 AND distribution_id = $2 AND investor_id = $3 AND method = 'OFFSET' ORDER BY receivable_id")
                .bind(&actor.org_id)
                .bind(distribution_id)
                .bind(investor_id),
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.text("receivable_id")?, r.i64("amount_minor")?)))
        .collect()
}
