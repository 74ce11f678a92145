//! Idempotency keys. The key is claimed with `INSERT … ON CONFLICT DO NOTHING` inside the
//! request's own transaction, and the response is saved in that same transaction: either the
//! work and its saved response both commit, or neither does. A retry with the same key and the
//! same request gets the saved response; the same key with a different request is refused.
//!
//! Keys belong to the caller: they are scoped by organization and user, and the request hash
//! covers the user too, so a key sent by someone else is simply their own fresh key and never
//! replays another caller's saved response (which could hold data they may not see).

use sha2::{Digest, Sha256};

use crate::{now_text, q, Actor, StoreError, Tx};

/// What to do with a request carrying an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First time: do the work, then [`save`] the response.
    Fresh,
    /// Seen before with the same request: replay this response.
    Replay {
        /// HTTP status.
        status: u16,
        /// JSON body.
        body: String,
    },
    /// Seen before with a different request body.
    Mismatch,
}

/// Hash of what identifies a request: caller, method, path and body.
pub fn request_hash(user_id: &str, method: &str, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(user_id.as_bytes());
    hasher.update([0]);
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// Claims `key` for this request inside `tx`.
pub async fn claim(tx: &mut Tx, actor: &Actor, key: &str, hash: &str) -> Result<Claim, StoreError> {
    let inserted = tx
        .execute(
            q("INSERT INTO idempotency_keys (org_id, idem_key, user_id, request_hash, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, user_id, idem_key) DO NOTHING")
                .bind(&actor.org_id)
                .bind(key)
                .bind(&actor.user_id)
                .bind(hash)
                .bind(now_text()),
        )
        .await?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let row = tx
        .fetch_optional(
            q("SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE org_id = $1 AND user_id = $2 AND idem_key = $3")
                .bind(&actor.org_id)
                .bind(&actor.user_id)
                .bind(key),
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("idempotency key vanished; retry".into()))?;
    if row.text("request_hash")? != hash {
        return Ok(Claim::Mismatch);
    }
    match (row.opt_i64("status_code")?, row.opt_text("response_body")?) {
        (Some(status), Some(body)) => Ok(Claim::Replay {
            status: u16::try_from(status)
                .map_err(|_| StoreError::Corrupt(format!("saved response status {status}")))?,
            body,
        }),
        // Only reachable if a claim committed without its response: treat as in flight.
        _ => Err(StoreError::Conflict(
            "a request with this Idempotency-Key is still in progress".into(),
        )),
    }
}

/// Saves the response for a fresh claim, inside the same transaction as the work.
pub async fn save(
    tx: &mut Tx,
    actor: &Actor,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE idempotency_keys SET status_code = $1, response_body = $2 WHERE org_id = $3 AND user_id = $4 AND idem_key = $5")
            .bind(i64::from(status))
            .bind(body)
            .bind(&actor.org_id)
            .bind(&actor.user_id)
            .bind(key),
    )
    .await?;
    Ok(())
}
