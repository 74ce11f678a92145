//! Receivables after a reversal and their recoveries (tables of migration `0015_recovery`).
//!
//! Every query is scoped by the actor's organization; investors see only their own
//! receivables. Writes are the application's building blocks, called in its transaction
//! together with the audit entry and the outbox event.

mod files;
mod lines;
mod statement;
mod trail;
mod writes;

pub use files::*;
pub use lines::*;
pub use statement::*;
pub use trail::*;
pub use writes::*;

use clearway_core::access::Permission;
use clearway_core::recovery::{ReceivableStatus, RecoveryMethod};
use clearway_core::Currency;

use crate::{q, Actor, Db, Row, StoreError, Tx};

/// A receivable as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receivable {
    /// Id.
    pub id: String,
    /// Investor who owes it.
    pub investor_id: String,
    /// The distribution whose line was paid.
    pub original_distribution_id: String,
    /// The reversal that made it owed.
    pub reversal_distribution_id: String,
    /// The payment that left (None when the original line was settled by an offset).
    pub original_payment_id: Option<String>,
    /// Fund currency.
    pub currency: Currency,
    /// What left, minor units.
    pub amount_minor: i64,
    /// Still owed, minor units.
    pub outstanding_minor: i64,
    /// On its way back (ACH reversing entry sent), minor units.
    pub expected_minor: i64,
    /// Given up, minor units.
    pub written_off_minor: i64,
    /// Status.
    pub status: ReceivableStatus,
    /// How it is being recovered.
    pub method: RecoveryMethod,
    /// Why it was written off.
    pub write_off_reason: Option<String>,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
    /// Incremented on every change.
    pub version: i64,
}

/// Columns of [`Receivable`], in order.
pub const COLUMNS: &str = "id, investor_id, original_distribution_id, reversal_distribution_id, original_payment_id, currency, amount_minor, outstanding_minor, expected_minor, written_off_minor, status, method, write_off_reason, created_at, updated_at, version";

fn from_row(r: &Row) -> Result<Receivable, StoreError> {
    Ok(Receivable {
        id: r.text("id")?,
        investor_id: r.text("investor_id")?,
        original_distribution_id: r.text("original_distribution_id")?,
        reversal_distribution_id: r.text("reversal_distribution_id")?,
        original_payment_id: r.opt_text("original_payment_id")?,
        currency: Currency::parse(&r.text("currency")?).map_err(StoreError::Corrupt)?,
        amount_minor: r.i64("amount_minor")?,
        outstanding_minor: r.i64("outstanding_minor")?,
        expected_minor: r.i64("expected_minor")?,
        written_off_minor: r.i64("written_off_minor")?,
        status: r.parse("status")?,
        method: r.parse("method")?,
        write_off_reason: r.opt_text("write_off_reason")?,
        created_at: r.text("created_at")?,
        updated_at: r.text("updated_at")?,
        version: r.i64("version")?,
    })
}

/// One recovery of a receivable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Id.
    pub id: String,
    /// Receivable recovered.
    pub receivable_id: String,
    /// Investor.
    pub investor_id: String,
    /// How.
    pub method: RecoveryMethod,
    /// EXPECTED (sent for, not yet on the statement) or RECEIVED.
    pub status: String,
    /// Amount, minor units of the receivable's currency.
    pub amount_minor: i64,
    /// OFFSET: the distribution whose line was reduced.
    pub distribution_id: Option<String>,
    /// Day the money arrived.
    pub received_date: Option<String>,
    /// The payer's reference (wire reference, check number).
    pub reference: Option<String>,
    /// ACH reversal: the reversing entry's trace number.
    pub trace_number: Option<String>,
    /// ACH reversal: its file.
    pub file_id: Option<String>,
    /// Who recorded it.
    pub created_by: String,
    /// Recorded.
    pub created_at: String,
}

const RECOVERY_COLUMNS: &str = "id, receivable_id, investor_id, method, status, amount_minor, distribution_id, received_date, reference, trace_number, file_id, created_by, created_at";

fn recovery_from_row(r: &Row) -> Result<Recovery, StoreError> {
    Ok(Recovery {
        id: r.text("id")?,
        receivable_id: r.text("receivable_id")?,
        investor_id: r.text("investor_id")?,
        method: r.parse("method")?,
        status: r.text("status")?,
        amount_minor: r.i64("amount_minor")?,
        distribution_id: r.opt_text("distribution_id")?,
        received_date: r.opt_text("received_date")?,
        reference: r.opt_text("reference")?,
        trace_number: r.opt_text("trace_number")?,
        file_id: r.opt_text("file_id")?,
        created_by: r.text("created_by")?,
        created_at: r.text("created_at")?,
    })
}

/// Filters of [`list`] and [`totals`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this status.
    pub status: Option<ReceivableStatus>,
    /// Only this investor.
    pub investor_id: Option<String>,
    /// Only receivables of this original or reversal distribution, or offset by it.
    pub distribution_id: Option<String>,
    /// Ids after this one.
    pub after_id: Option<String>,
    /// Page size.
    pub limit: i64,
}

const FILTER: &str = "org_id = $1 AND ($2 IS NULL OR investor_id = $2) AND ($3 IS NULL OR investor_id = $3) AND ($4 IS NULL OR status = $4)
                      AND ($5 IS NULL OR original_distribution_id = $5 OR reversal_distribution_id = $5
                           OR id IN (SELECT r.receivable_id FROM receivable_recoveries r WHERE r.distribution_id = $5))";

fn filtered(sql: String, actor: &Actor, f: &ListFilter) -> crate::db::Q {
    q(sql)
        .bind(&actor.org_id)
        .bind(actor.investor_id.clone())
        .bind(f.investor_id.clone())
        .bind(f.status.map(|s| s.as_str()))
        .bind(f.distribution_id.clone())
}

/// Receivables the actor may see (investors: their own), by id.
pub async fn list(db: &Db, actor: &Actor, f: &ListFilter) -> Result<Vec<Receivable>, StoreError> {
    actor.require(Permission::Read)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM receivables WHERE {FILTER} AND id > $6 ORDER BY id LIMIT $7"
    );
    db.fetch_all(
        filtered(sql, actor, f)
            // why: no cursor: ids after "" are all ids
            .bind(f.after_id.clone().unwrap_or_default())
            .bind(f.limit),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Sums over every receivable matching the filter (all pages), per currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Currency.
    pub currency: Currency,
    /// Receivables counted.
    pub count: i64,
    /// Amounts that left.
    pub amount_minor: i64,
    /// Still owed.
    pub outstanding_minor: i64,
    /// On its way back.
    pub expected_minor: i64,
    /// Written off.
    pub written_off_minor: i64,
}

/// Totals per currency of the receivables matching `f` (ignoring its cursor and limit).
pub async fn totals(db: &Db, actor: &Actor, f: &ListFilter) -> Result<Vec<Totals>, StoreError> {
    actor.require(Permission::Read)?;
    let sql = format!(
        "SELECT currency, COUNT(*) AS n, CAST(SUM(amount_minor) AS BIGINT) AS amount, CAST(SUM(outstanding_minor) AS BIGINT) AS outstanding,
                CAST(SUM(expected_minor) AS BIGINT) AS expected, CAST(SUM(written_off_minor) AS BIGINT) AS written_off
         FROM receivables WHERE {FILTER} GROUP BY currency ORDER BY currency"
    );
    db.fetch_all(filtered(sql, actor, f))
        .await?
        .iter()
        .map(|r| {
            Ok(Totals {
                currency: Currency::parse(&r.text("currency")?).map_err(StoreError::Corrupt)?,
                count: r.i64("n")?,
                amount_minor: r.i64("amount")?,
                outstanding_minor: r.i64("outstanding")?,
                expected_minor: r.i64("expected")?,
                written_off_minor: r.i64("written_off")?,
            })
        })
        .collect()
}

/// One receivable the actor may see.
pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<Receivable, StoreError> {
    actor.require(Permission::Read)?;
    let row = db.fetch_optional(one(actor, id)).await?;
    from_row(&row.ok_or(StoreError::NotFound("receivable"))?)
}

/// One receivable inside a transaction. Not locked: [`update`] refuses a change made
/// meanwhile (version check).
pub async fn get_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Receivable, StoreError> {
    actor.require(Permission::Read)?;
    let row = tx.fetch_optional(one(actor, id)).await?;
    from_row(&row.ok_or(StoreError::NotFound("receivable"))?)
}

/// The query of receivable `id` as `actor` may see it (an investor: only their own).
fn one(actor: &Actor, id: &str) -> crate::db::Q {
    q(format!("SELECT {COLUMNS} FROM receivables WHERE id = $1 AND org_id = $2 AND ($3 IS NULL OR investor_id = $3)"))
        .bind(id)
        .bind(&actor.org_id)
        .bind(actor.investor_id.clone())
}

/// The recoveries of a receivable the actor may see, oldest first.
pub async fn recoveries(db: &Db, actor: &Actor, id: &str) -> Result<Vec<Recovery>, StoreError> {
    get(db, actor, id).await?;
    db.fetch_all(
        q(format!("SELECT {RECOVERY_COLUMNS} FROM receivable_recoveries WHERE receivable_id = $1 AND org_id = $2 ORDER BY id"))
            .bind(id)
            .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(recovery_from_row)
    .collect()
}

/// One recovery inside a transaction.
pub async fn recovery_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Recovery, StoreError> {
    let row = tx
        .fetch_optional(
            q(format!("SELECT {RECOVERY_COLUMNS} FROM receivable_recoveries WHERE id = $1 AND org_id = $2"))
                .bind(id)
                .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("recovery"))?;
    recovery_from_row(&row)
}
