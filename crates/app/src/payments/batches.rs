//! Payment batches (the files sent to the bank): the audited download.

use clearway_store::audit::{self, Change};
use clearway_store::payment_batches::{self as batches, Batch};
use clearway_store::{Actor, Db, StoreError};
use serde_json::json;

use super::Vault;
use crate::AppResult;

/// Decrypts a batch's file for an admin or operator, auditing the download.
pub async fn open_file(
    db: &Db,
    vault: &Vault,
    actor: &Actor,
    batch_id: &str,
) -> AppResult<(Batch, Vec<u8>)> {
    let (batch, sealed) = batches::file(db, actor, batch_id).await?;
    let bytes = vault
        .open_bytes(&sealed.key_id, &sealed.ciphertext)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut tx = db.begin().await?;
    audit::record(&mut tx, actor, Change { action: "payment_batch.download", entity_type: "payment_batch", entity_id: batch_id, before: None, after: Some(json!({ "fileName": batch.file_name, "sha256": batch.file_sha256, "bytes": bytes.len() })) }).await?;
    tx.commit().await?;
    Ok((batch, bytes))
}
