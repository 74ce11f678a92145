//! Addresses not to send to (hard bounces, complaints, SMS STOP). An email suppression is
//! keyed by the address, so it ends by itself when the investor's address changes.

use std::collections::HashSet;

use crate::{now_text, q, StoreError, Tx};

/// Suppresses `address` on `channel` for the organization (kept if already there).
pub async fn suppress(
    tx: &mut Tx,
    org_id: &str,
    channel: &str,
    address: &str,
    reason: &str,
) -> Result<(), StoreError> {
    tx.execute(
        q(
            "INSERT INTO notification_suppressions (org_id, channel, address, reason, created_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, channel, address) DO NOTHING",
        )
        .bind(org_id)
        .bind(channel)
        .bind(address)
        .bind(reason)
        .bind(now_text()),
    )
    .await?;
    Ok(())
}

/// Which of `addresses` are suppressed on `channel`.
pub async fn suppressed_among(
    tx: &mut Tx,
    org_id: &str,
    channel: &str,
    addresses: &[&str],
) -> Result<HashSet<String>, StoreError> {
    let mut found = HashSet::new();
    for chunk in addresses.chunks(500) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let mut query = q(format!(
            "SELECT address FROM notification_suppressions WHERE org_id = $1 AND channel = $2 AND address IN ({})",
            marks.join(", ")
        ))
        .bind(org_id)
        .bind(channel);
        for a in chunk {
            query.push(*a);
        }
        for row in tx.fetch_all(query).await? {
            found.insert(row.text("address")?);
        }
    }
    Ok(found)
}
