//! Unsubscribe links: made for each email (and SMS footer) the engine sends, used without a
//! login. Using one turns the investor's own preference off for what the link names,
//! audited under a system actor that names the investor; a second use changes nothing.

use clearway_core::notifications::unsubscribe::{sign, verify, Claim};
use clearway_core::notifications::EventKind;
use clearway_store::notifications::preferences as store;
use clearway_store::{Actor, Db};

use crate::{AppError, AppResult};

/// The link to put in a notice: `<public_base>/unsubscribe?token=…` (the token is
/// base64url and '.', safe in a query as it is).
pub fn unsubscribe_url(public_base: &str, key: &[u8], claim: &Claim) -> String {
    format!(
        "{}/unsubscribe?token={}",
        public_base.trim_end_matches('/'),
        sign(key, claim)
    )
}

/// Checks a token; a refused one is a 422 naming `token` (malformed, forged or expired).
pub fn check(key: &[u8], token: &str, now_unix: i64) -> AppResult<Claim> {
    verify(key, token, now_unix).map_err(|e| AppError::field("token", e.to_string()))
}

/// The actor an unsubscribe acts as: the system of the link's organization, named after
/// the investor so the audit trail says whose link it was.
pub fn link_actor(claim: &Claim) -> Actor {
    Actor {
        user_id: format!("unsubscribe-link:{}", claim.investor_id),
        ..Actor::system(&claim.org_id)
    }
}

/// Uses a link: turns the investor's preference off for its fund, kind(s) and channel.
/// Returns the claim and whether anything changed.
pub async fn unsubscribe(
    db: &Db,
    key: &[u8],
    token: &str,
    now_unix: i64,
) -> AppResult<(Claim, bool)> {
    let claim = check(key, token, now_unix)?;
    let actor = link_actor(&claim);
    let kinds: Vec<EventKind> = match claim.kind {
        Some(k) => vec![k],
        None => EventKind::ALL.to_vec(),
    };
    let mut tx = db.begin().await?;
    let (before, after) = store::turn_off(
        &mut tx,
        &actor,
        &claim.investor_id,
        claim.fund_id.as_deref(),
        &kinds,
        claim.channel,
    )
    .await?;
    let changed = before != after;
    if changed {
        super::preferences::trail(&mut tx, &actor, Some(&claim.investor_id), &before, &after)
            .await?;
    }
    tx.commit().await?;
    Ok((claim, changed))
}
