//! Payment batches (files handed to the bank: NACHA, pain.001, check registers; provider
//! submissions) and payee corrections suggested by notifications of change (NACHA COR).
//!
//! Files carry account numbers in clear (the bank needs them), so their content is stored
//! sealed like the account numbers themselves; only admins and operators may read it back,
//! and the server audits every download.

use clearway_core::access::Permission;

use crate::bank_accounts::Sealed;
use crate::{new_id, now_text, q, Actor, Db, Row, StoreError, Tx};

/// A batch as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Id (also the `batch_id` of its payments).
    pub id: String,
    /// NACHA, PAIN001, CHECK_REGISTER, PROVIDER or MICRO_DEPOSIT.
    pub kind: String,
    /// Distribution paid, if any.
    pub distribution_id: Option<String>,
    /// GENERATED (file ready for the bank) or SUBMITTED (provider).
    pub status: String,
    /// Number of payments (entries).
    pub payment_count: i64,
    /// Total in minor units of `currency`.
    pub total_minor: i64,
    /// Currency.
    pub currency: String,
    /// Effective / execution / issue date.
    pub effective_date: String,
    /// Suggested file name.
    pub file_name: Option<String>,
    /// SHA-256 of the file, hex.
    pub file_sha256: Option<String>,
    /// The batch whose stored file carries this one (a NACHA file cut for several
    /// distributions); `None` when the file is this batch's own.
    pub file_batch_id: Option<String>,
    /// Created.
    pub created_at: String,
}

const COLUMNS: &str = "id, kind, distribution_id, status, payment_count, total_minor, currency, effective_date, file_name, file_sha256, file_batch_id, created_at";

/// The sealed file of batch `b` (`file_enc`, `file_key_id`): its own, or that of the batch
/// storing the shared file it points at (`f`). With [`FILE_FROM`].
pub(crate) const FILE_COLUMNS: &str = "COALESCE(f.file_enc, b.file_enc) AS file_enc, COALESCE(f.file_key_id, b.file_key_id) AS file_key_id";
/// The batches [`FILE_COLUMNS`] reads.
pub(crate) const FILE_FROM: &str = "FROM payment_batches b LEFT JOIN payment_batches f ON f.id = b.file_batch_id AND f.org_id = b.org_id";

fn from_row(r: &Row) -> Result<Batch, StoreError> {
    Ok(Batch {
        id: r.text("id")?,
        kind: r.text("kind")?,
        distribution_id: r.opt_text("distribution_id")?,
        status: r.text("status")?,
        payment_count: r.i64("payment_count")?,
        total_minor: r.i64("total_minor")?,
        currency: r.text("currency")?,
        effective_date: r.text("effective_date")?,
        file_name: r.opt_text("file_name")?,
        file_sha256: r.opt_text("file_sha256")?,
        file_batch_id: r.opt_text("file_batch_id")?,
        created_at: r.text("created_at")?,
    })
}

/// A batch to record.
#[derive(Debug, Clone)]
pub struct NewBatch {
    /// Pre-assigned id.
    pub id: String,
    /// Kind.
    pub kind: &'static str,
    /// Distribution.
    pub distribution_id: Option<String>,
    /// Status.
    pub status: &'static str,
    /// Entries.
    pub payment_count: i64,
    /// Total.
    pub total_minor: i64,
    /// Currency.
    pub currency: String,
    /// Date.
    pub effective_date: String,
    /// File name.
    pub file_name: Option<String>,
    /// Sealed file content.
    pub file: Option<Sealed>,
    /// SHA-256 of the clear file.
    pub file_sha256: Option<String>,
    /// The batch (of the same organization) storing the file that carries this one, when
    /// `file` is `None` because the file is shared.
    pub file_batch_id: Option<String>,
}

/// Records a batch inside `tx`.
pub async fn insert(tx: &mut Tx, actor: &Actor, b: &NewBatch) -> Result<(), StoreError> {
    tx.execute(
        q("INSERT INTO payment_batches (id, org_id, kind, distribution_id, status, payment_count, total_minor, currency, effective_date, file_name, file_enc, file_key_id, file_sha256, file_batch_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
            .bind(&b.id)
            .bind(&actor.org_id)
            .bind(b.kind)
            .bind(b.distribution_id.clone())
            .bind(b.status)
            .bind(b.payment_count)
            .bind(b.total_minor)
            .bind(&b.currency)
            .bind(&b.effective_date)
            .bind(b.file_name.clone())
            .bind(b.file.as_ref().map(|f| f.ciphertext.clone()))
            .bind(b.file.as_ref().map(|f| f.key_id.clone()))
            .bind(b.file_sha256.clone())
            .bind(b.file_batch_id.clone())
            .bind(now_text()),
    )
    .await?;
    Ok(())
}

/// Batches of the organization (staff only), newest first.
pub async fn list(
    db: &Db,
    actor: &Actor,
    kind: Option<&str>,
    distribution_id: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Batch>, StoreError> {
    staff(actor)?;
    db.fetch_all(
        q(format!("SELECT {COLUMNS} FROM payment_batches WHERE org_id = $1 AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR distribution_id = $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"))
            .bind(&actor.org_id)
            .bind(kind)
            .bind(distribution_id)
            .bind(before)
            .bind(limit),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

fn staff(actor: &Actor) -> Result<(), StoreError> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("payment batch"));
    }
    actor.require(Permission::Read)
}

/// One batch (staff only).
pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<Batch, StoreError> {
    staff(actor)?;
    let row = db
        .fetch_optional(
            q(format!(
                "SELECT {COLUMNS} FROM payment_batches WHERE id = $1 AND org_id = $2"
            ))
            .bind(id)
            .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("payment batch"))?;
    from_row(&row)
}

/// The sealed file of a batch (a shared file from the batch storing it): admins and operators
/// only (it carries account numbers).
pub async fn file(db: &Db, actor: &Actor, id: &str) -> Result<(Batch, Sealed), StoreError> {
    staff(actor)?;
    actor.require(Permission::Operate)?;
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("b.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let row = db
        .fetch_optional(
            q(format!(
                "SELECT {columns}, {FILE_COLUMNS} {FILE_FROM} WHERE b.id = $1 AND b.org_id = $2"
            ))
            .bind(id)
            .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("payment batch"))?;
    let batch = from_row(&row)?;
    match (row.opt_text("file_enc")?, row.opt_text("file_key_id")?) {
        (Some(ciphertext), Some(key_id)) => Ok((
            batch,
            Sealed {
                key_id,
                ciphertext,
                last4: String::new(),
            },
        )),
        _ => Err(StoreError::NotFound("file of this batch")),
    }
}

/// A payee correction suggested by a notification of change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// Id.
    pub id: String,
    /// Payee to correct.
    pub bank_account_id: String,
    /// Payment whose entry drew the notice.
    pub payment_id: Option<String>,
    /// NACHA change code (C01…).
    pub change_code: String,
    /// Corrected routing number.
    pub routing_number: Option<String>,
    /// Corrected account number, sealed.
    pub account: Option<Sealed>,
    /// Last four of the corrected account number.
    pub account_last4: Option<String>,
    /// Corrected account type.
    pub account_type: Option<String>,
    /// OPEN, ACCEPTED or REJECTED.
    pub status: String,
    /// Created.
    pub created_at: String,
}

const SUGGESTION_COLUMNS: &str = "id, bank_account_id, payment_id, change_code, routing_number, account_enc, account_key_id, account_last4, account_type, status, created_at";

fn suggestion_from_row(r: &Row) -> Result<Suggestion, StoreError> {
    let account = match (r.opt_text("account_enc")?, r.opt_text("account_key_id")?) {
        (Some(ciphertext), Some(key_id)) => Some(Sealed {
            key_id,
            ciphertext,
            // why: a sealed file has no last four digits
            last4: r.opt_text("account_last4")?.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(Suggestion {
        id: r.text("id")?,
        bank_account_id: r.text("bank_account_id")?,
        payment_id: r.opt_text("payment_id")?,
        change_code: r.text("change_code")?,
        routing_number: r.opt_text("routing_number")?,
        account,
        account_last4: r.opt_text("account_last4")?,
        account_type: r.opt_text("account_type")?,
        status: r.text("status")?,
        created_at: r.text("created_at")?,
    })
}

/// A suggestion to record.
#[derive(Debug, Clone)]
pub struct NewSuggestion {
    /// Payee.
    pub bank_account_id: String,
    /// Payment.
    pub payment_id: Option<String>,
    /// Change code.
    pub change_code: String,
    /// Routing number.
    pub routing_number: Option<String>,
    /// Sealed account number.
    pub account: Option<Sealed>,
    /// Account type.
    pub account_type: Option<String>,
}

/// Records a suggestion inside `tx`; returns its id.
pub async fn suggest(tx: &mut Tx, actor: &Actor, s: &NewSuggestion) -> Result<String, StoreError> {
    let id = new_id();
    tx.execute(
        q("INSERT INTO payee_change_suggestions (id, org_id, bank_account_id, payment_id, change_code, routing_number, account_enc, account_key_id, account_last4, account_type, status, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'OPEN', $11)")
            .bind(&id)
            .bind(&actor.org_id)
            .bind(&s.bank_account_id)
            .bind(s.payment_id.clone())
            .bind(&s.change_code)
            .bind(s.routing_number.clone())
            .bind(s.account.as_ref().map(|a| a.ciphertext.clone()))
            .bind(s.account.as_ref().map(|a| a.key_id.clone()))
            .bind(s.account.as_ref().map(|a| a.last4.clone()))
            .bind(s.account_type.clone())
            .bind(now_text()),
    )
    .await?;
    Ok(id)
}

/// Suggestions of the organization (staff), optionally by status, newest first.
pub async fn suggestions(
    db: &Db,
    actor: &Actor,
    status: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Suggestion>, StoreError> {
    staff(actor)?;
    db.fetch_all(
        q(format!("SELECT {SUGGESTION_COLUMNS} FROM payee_change_suggestions WHERE org_id = $1 AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"))
            .bind(&actor.org_id)
            .bind(status)
            .bind(before)
            .bind(limit),
    )
    .await?
    .iter()
    .map(suggestion_from_row)
    .collect()
}

/// One suggestion inside `tx` (operators and admins).
pub async fn suggestion_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Suggestion, StoreError> {
    staff(actor)?;
    actor.require(Permission::Operate)?;
    let row = tx
        .fetch_optional(
            q(format!("SELECT {SUGGESTION_COLUMNS} FROM payee_change_suggestions WHERE id = $1 AND org_id = $2"))
                .bind(id)
                .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("payee change suggestion"))?;
    suggestion_from_row(&row)
}

/// Closes an OPEN suggestion as ACCEPTED or REJECTED.
pub async fn decide(tx: &mut Tx, actor: &Actor, id: &str, status: &str) -> Result<(), StoreError> {
    let n = tx
        .execute(
            q("UPDATE payee_change_suggestions SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4 AND org_id = $5 AND status = 'OPEN'")
                .bind(status)
                .bind(now_text())
                .bind(&actor.user_id)
                .bind(id)
                .bind(&actor.org_id),
        )
        .await?;
    if n != 1 {
        return Err(StoreError::Conflict(
            "this suggestion was already decided".into(),
        ));
    }
    Ok(())
}

/// How many micro-deposit files the organization has sent (their trace sequences follow it).
pub async fn micro_deposit_count(tx: &mut Tx, actor: &Actor) -> Result<i64, StoreError> {
    actor.require(Permission::Read)?;
    tx.count(
        q("SELECT COUNT(*) AS n FROM payment_batches WHERE org_id = $1 AND kind = 'MICRO_DEPOSIT'")
            .bind(&actor.org_id),
    )
    .await
}
