//! ACH reversing-entry files: the original file they reverse an entry of, File ID Modifiers
//! per organization and creation day, and the sealed files themselves.

use clearway_core::access::Permission;

use crate::bank_accounts::Sealed;
use crate::payment_batches::{FILE_COLUMNS, FILE_FROM};
use crate::{new_id, now_text, q, Actor, Db, StoreError, Tx};

/// The sealed file of a payment batch (a shared file from the batch storing it), read inside
/// `tx` (operators and admins).
pub async fn batch_file_tx(
    tx: &mut Tx,
    actor: &Actor,
    batch_id: &str,
) -> Result<Sealed, StoreError> {
    actor.require(Permission::Operate)?;
    let row = tx
        .fetch_optional(
            // A batch of a shared ACH file reads the file from the batch storing it.
            q(format!(
                "SELECT {FILE_COLUMNS} {FILE_FROM} WHERE b.id = $1 AND b.org_id = $2"
            ))
            .bind(batch_id)
            .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("payment batch"))?;
    match (row.opt_text("file_enc")?, row.opt_text("file_key_id")?) {
        (Some(ciphertext), Some(key_id)) => Ok(Sealed {
            key_id,
            ciphertext,
            last4: String::new(),
        }),
        _ => Err(StoreError::NotFound("file of this batch")),
    }
}

/// A reversing file to store.
#[derive(Debug, Clone)]
pub struct NewRecoveryFile {
    /// Receivable it recovers.
    pub receivable_id: String,
    /// Creation day (YYYY-MM-DD).
    pub creation_date: String,
    /// File ID Modifier.
    pub file_id_modifier: char,
    /// Effective entry date.
    pub effective_date: String,
    /// Why the original was erroneous.
    pub reason: String,
    /// Debit total, cents.
    pub total_minor: i64,
    /// Suggested name.
    pub file_name: String,
    /// Sealed content.
    pub file: Sealed,
    /// SHA-256 of the clear file, hex.
    pub file_sha256: String,
}

/// Stores a reversing file; returns its id. The unique (organization, day, modifier) refuses
/// a modifier taken meanwhile.
pub async fn insert_file(
    tx: &mut Tx,
    actor: &Actor,
    f: &NewRecoveryFile,
) -> Result<String, StoreError> {
    actor.require(Permission::Operate)?;
    let id = new_id();
    tx.execute(
        q("INSERT INTO recovery_files (id, org_id, receivable_id, creation_date, file_id_modifier, effective_date, reason, total_minor, file_name, file_enc, file_key_id, file_sha256, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
            .bind(&id)
            .bind(&actor.org_id)
            .bind(&f.receivable_id)
            .bind(&f.creation_date)
            .bind(f.file_id_modifier.to_string())
            .bind(&f.effective_date)
            .bind(&f.reason)
            .bind(f.total_minor)
            .bind(&f.file_name)
            .bind(&f.file.ciphertext)
            .bind(&f.file.key_id)
            .bind(&f.file_sha256)
            .bind(now_text()),
    )
    .await?;
    Ok(id)
}

/// The newest reversing file of a receivable: (file name, sealed content) (operators, admins).
pub async fn file_of(
    db: &Db,
    actor: &Actor,
    receivable_id: &str,
) -> Result<(String, Sealed), StoreError> {
    actor.require(Permission::Operate)?;
    let row = db
        .fetch_optional(
            q("SELECT file_name, file_enc, file_key_id FROM recovery_files WHERE receivable_id = $1 AND org_id = $2 ORDER BY id DESC LIMIT 1")
                .bind(receivable_id)
                .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("reversing file"))?;
    Ok((
        row.text("file_name")?,
        Sealed {
            key_id: row.text("file_key_id")?,
            ciphertext: row.text("file_enc")?,
            last4: String::new(),
        },
    ))
}
