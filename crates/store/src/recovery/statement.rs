//! Bank statement credits that may be money coming back for an expected recovery.

use chrono::NaiveDate;
use clearway_core::access::Permission;

use crate::{q, Actor, StoreError, Tx};

/// A recovery waiting for its money (an ACH reversing entry sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedRecovery {
    /// Recovery id.
    pub id: String,
    /// Receivable id.
    pub receivable_id: String,
    /// Currency of the receivable.
    pub currency: String,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// The reversing entry's trace number (or the reference the payer quotes).
    pub reference: String,
}

/// The organization's EXPECTED recoveries with a trace number, oldest first.
pub async fn expected_recoveries(
    tx: &mut Tx,
    actor: &Actor,
) -> Result<Vec<ExpectedRecovery>, StoreError> {
    actor.require(Permission::Operate)?;
    let rows = tx
        .fetch_all(
            q("SELECT x.id, x.receivable_id, v.currency, x.amount_minor, x.trace_number FROM receivable_recoveries x
               JOIN receivables v ON v.id = x.receivable_id AND v.org_id = x.org_id
               WHERE x.org_id = $1 AND x.status = 'EXPECTED' AND x.trace_number IS NOT NULL ORDER BY x.id")
                .bind(&actor.org_id),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ExpectedRecovery {
                id: r.text("id")?,
                receivable_id: r.text("receivable_id")?,
                currency: r.text("currency")?,
                amount_minor: r.i64("amount_minor")?,
                reference: r.text("trace_number")?,
            })
        })
        .collect()
}

/// An unmatched credit (money in) on a bank statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditLine {
    /// Line id.
    pub id: String,
    /// Currency.
    pub currency: String,
    /// Amount, minor units (> 0).
    pub amount_minor: i64,
    /// Value date.
    pub value_date: NaiveDate,
    /// References and free text, joined (where a trace number may appear).
    pub text: String,
}

/// The organization's open (or exception) credit lines of exactly `amount_minor` that
/// automatic runs may still match.
pub async fn credit_lines_of(
    tx: &mut Tx,
    actor: &Actor,
    amount_minor: i64,
) -> Result<Vec<CreditLine>, StoreError> {
    actor.require(Permission::Operate)?;
    let rows = tx
        .fetch_all(
            q("SELECT id, currency, amount_minor, value_date, COALESCE(bank_reference, '') AS bank_reference, COALESCE(customer_reference, '') AS customer_reference,
                      COALESCE(end_to_end_id, '') AS end_to_end_id, description
               FROM bank_statement_lines WHERE org_id = $1 AND status IN ('OPEN','EXCEPTION') AND manual_only = 0 AND amount_minor = $2 ORDER BY id")
                .bind(&actor.org_id)
                .bind(amount_minor),
        )
        .await?;
    rows.iter()
        .map(|r| {
            let date = r.text("value_date")?;
            Ok(CreditLine {
                id: r.text("id")?,
                currency: r.text("currency")?,
                amount_minor: r.i64("amount_minor")?,
                value_date: NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                    .map_err(|e| StoreError::Corrupt(format!("value date '{date}': {e}")))?,
                text: [
                    r.text("bank_reference")?,
                    r.text("customer_reference")?,
                    r.text("end_to_end_id")?,
                    r.text("description")?,
                ]
                .join(" "),
            })
        })
        .collect()
}

/// Marks a statement line MATCHED by a recovery (no payment involved), clearing any
/// exception it was in.
pub async fn mark_line_recovered(
    tx: &mut Tx,
    actor: &Actor,
    line_id: &str,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    tx.execute(
        q("UPDATE bank_statement_lines SET status = 'MATCHED', exception_cause = NULL, candidates = NULL, exception_since = NULL, updated_at = $1
           WHERE org_id = $2 AND id = $3 AND status IN ('OPEN','EXCEPTION')")
            .bind(crate::now_text())
            .bind(&actor.org_id)
            .bind(line_id),
    )
    .await?;
    Ok(())
}
