//! File ID Modifiers of the ACH files we originate: `A`-`Z` then `0`-`9` per immediate origin
//! and file creation date, never reused that day (a bank rejects a second file with the same
//! origin, date and modifier as a duplicate). Installation-wide, like the trace sequences.

use chrono::NaiveDate;

use crate::{now_text, q, Actor, StoreError, Tx};

use super::allocate_sequence;

/// The modifiers of one origin and day, in allocation order.
pub const FILE_ID_MODIFIERS: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Allocates up to `count` unused modifiers of `(immediate_origin, creation_date)`, in order;
/// fewer (or none) once the day's 36 are used. The sequence row serializes concurrent jobs.
pub async fn allocate_file_ids(
    tx: &mut Tx,
    immediate_origin: &str,
    creation_date: NaiveDate,
    count: usize,
) -> Result<Vec<char>, StoreError> {
    let name = format!("ach_file_id:{}:{creation_date}", immediate_origin.trim());
    // why: a count of files in memory fits an i64
    let first = allocate_sequence(tx, "*", &name, 0, count as i64).await?;
    Ok((first..first + count as i64)
        .filter_map(|i| usize::try_from(i).ok())
        .filter_map(|i| FILE_ID_MODIFIERS.get(i).map(|b| char::from(*b)))
        .collect())
}

/// Records that `modifier` was used on `creation_date` by a file of `actor`'s organization,
/// carried by payment batch `batch_id` (`None`: the file was refused before being stored).
/// The primary key refuses a modifier used twice the same day.
pub async fn record_file_id(
    tx: &mut Tx,
    actor: &Actor,
    immediate_origin: &str,
    creation_date: NaiveDate,
    modifier: char,
    batch_id: Option<&str>,
) -> Result<(), StoreError> {
    tx.execute(
        q("INSERT INTO ach_file_ids (immediate_origin, creation_date, modifier, org_id, batch_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(immediate_origin.trim())
            .bind(creation_date.to_string())
            .bind(modifier.to_string())
            .bind(&actor.org_id)
            .bind(batch_id)
            .bind(now_text()),
    )
    .await?;
    Ok(())
}

/// The File ID Modifier of an ACH payment batch of `actor`'s organization, if recorded.
pub async fn file_id_of_batch(
    tx: &mut Tx,
    actor: &Actor,
    batch_id: &str,
) -> Result<Option<char>, StoreError> {
    let row = tx
        .fetch_optional(
            q("SELECT modifier FROM ach_file_ids WHERE org_id = $1 AND batch_id = $2")
                .bind(&actor.org_id)
                .bind(batch_id),
        )
        .await?;
    row.map(|r| r.text("modifier"))
        .transpose()
        .map(|m| m.and_then(|m| m.chars().next()))
}
