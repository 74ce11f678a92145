//! Investors' contacts for notices: email, mobile number (E.164) and language. Values
//! arrive already validated (the server parses them strictly).

use clearway_core::access::{Permission, Role};
use clearway_core::notifications::{Channel, Locale};

use crate::{q, Actor, Db, StoreError, Tx};

use super::preferences::check_investor;

/// Where and in which language an investor gets notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Investor.
    pub investor_id: String,
    /// Email address.
    pub email: Option<String>,
    /// Mobile number, E.164.
    pub phone: Option<String>,
    /// Language of notices.
    pub locale: Locale,
}

/// The investor's contact (investors: their own only).
pub async fn get(db: &Db, actor: &Actor, investor_id: &str) -> Result<Contact, StoreError> {
    let mut tx = db.begin().await?;
    let c = get_tx(&mut tx, actor, investor_id).await?;
    tx.commit().await?;
    Ok(c)
}

/// [`get`] inside a transaction.
pub async fn get_tx(tx: &mut Tx, actor: &Actor, investor_id: &str) -> Result<Contact, StoreError> {
    check_investor(tx, actor, investor_id).await?;
    let r = tx
        .fetch_optional(
            q("SELECT id, email, phone, locale FROM investors WHERE org_id = $1 AND id = $2")
                .bind(&actor.org_id)
                .bind(investor_id),
        )
        .await?
        .ok_or(StoreError::NotFound("investor"))?;
    Ok(Contact {
        investor_id: r.text("id")?,
        email: r.opt_text("email")?,
        phone: r.opt_text("phone")?,
        locale: r.parse("locale")?,
    })
}

/// Writes the investor's contact (investors their own; staff who operate anyone's). A
/// changed email lifts the suppression of the old address (a bounce or complaint there
/// says nothing about the new one). Returns the contact before.
pub async fn set(tx: &mut Tx, actor: &Actor, c: &Contact) -> Result<Contact, StoreError> {
    let before = get_tx(tx, actor, &c.investor_id).await?;
    if actor.role != Role::Investor {
        actor.require(Permission::Operate)?;
    }
    tx.execute(
        q("UPDATE investors SET email = $3, phone = $4, locale = $5 WHERE org_id = $1 AND id = $2")
            .bind(&actor.org_id)
            .bind(&c.investor_id)
            .bind(c.email.clone())
            .bind(c.phone.clone())
            .bind(c.locale.as_str()),
    )
    .await?;
    if let Some(old) = before.email.as_deref().filter(|_| before.email != c.email) {
        tx.execute(
            q("DELETE FROM notification_suppressions WHERE org_id = $1 AND channel = $2 AND address = $3")
                .bind(&actor.org_id)
                .bind(Channel::Email.as_str())
                .bind(old),
        )
        .await?;
    }
    Ok(before)
}

/// Whether `address` is suppressed on `channel` in the actor's organization.
pub async fn is_suppressed(
    db: &Db,
    actor: &Actor,
    channel: Channel,
    address: &str,
) -> Result<bool, StoreError> {
    actor.require(Permission::Read)?;
    Ok(db
        .fetch_optional(
            q("SELECT address FROM notification_suppressions WHERE org_id = $1 AND channel = $2 AND address = $3")
                .bind(&actor.org_id)
                .bind(channel.as_str())
                .bind(address),
        )
        .await?
        .is_some())
}

/// Suppresses `address` on `channel` in its own transaction (tests and seeding).
pub async fn suppress(
    db: &Db,
    org_id: &str,
    channel: Channel,
    address: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    super::suppressions::suppress(&mut tx, org_id, channel.as_str(), address, reason).await?;
    tx.commit().await
}
