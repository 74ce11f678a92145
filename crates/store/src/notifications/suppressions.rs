//! Addresses not to send to (hard bounces, complaints, SMS STOP). An email suppression is
//! keyed by the address, so it ends by itself when the investor's address changes.

use std::collections::HashSet;

use crate::{now_text, q, StoreError, Tx};

/// Whether `address` is suppressed on `channel` in the organization.
pub async fn is_suppressed(
    tx: &mut Tx,
    org_id: &str,
    channel: &str,
    address: &str,
) -> Result<bool, StoreError> {
    Ok(!suppressed_among(tx, org_id, channel, &[address])
        .await?
        .is_empty())
}

/// Lifts the suppression of `address` on `channel` (an SMS `START`); whether there was one.
pub async fn lift(
    tx: &mut Tx,
    org_id: &str,
    channel: &str,
    address: &str,
) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            q("DELETE FROM notification_suppressions WHERE org_id = $1 AND channel = $2 AND address = $3")
                .bind(org_id)
                .bind(channel)
                .bind(address),
        )
        .await?;
    Ok(n > 0)
}

/// The organizations with an investor whose mobile number is `phone` (an inbound SMS names
/// only the number, so a STOP applies wherever it is on file).
pub async fn orgs_with_phone(tx: &mut Tx, phone: &str) -> Result<Vec<String>, StoreError> {
    tx.fetch_all(
        q("SELECT DISTINCT org_id FROM investors WHERE phone = $1 ORDER BY org_id").bind(phone),
    )
    .await?
    .iter()
    .map(|r| r.text("org_id"))
    .collect()
}

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
