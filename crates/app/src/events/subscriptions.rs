//! Webhook subscriptions: created (with a fresh signing secret) and removed, each audited in
//! the same transaction.

use clearway_store::audit::{self, Change};
use clearway_store::{webhooks, Actor, Db};
use serde_json::json;

use crate::outbound::OutboundPolicy;
use crate::{AppError, AppResult};

/// A subscription to create (the URL and event types as the caller validated them).
#[derive(Debug, Clone)]
pub struct NewSubscription {
    /// http(s) URL receiving POSTs.
    pub url: String,
    /// Event types delivered (`*` for all).
    pub event_types: Vec<String>,
}

/// A created subscription, with its signing secret (shown only once).
#[derive(Debug, Clone)]
pub struct CreatedSubscription {
    /// Id.
    pub id: String,
    /// URL.
    pub url: String,
    /// HMAC-SHA256 signing secret (`whsec_…`).
    pub secret: String,
}

/// Creates a subscription with a new signing secret (admins), audited. The URL must pass the
/// outbound policy (https, a public host) or nothing is stored.
pub async fn create_subscription(
    db: &Db,
    policy: &OutboundPolicy,
    actor: &Actor,
    new: NewSubscription,
) -> AppResult<CreatedSubscription> {
    actor.require(clearway_core::access::Permission::Administer)?;
    policy
        .check(&new.url)
        .await
        .map_err(|e| AppError::field("url", e))?;
    let secret = format!("whsec_{}", uuid::Uuid::new_v4().simple());
    let mut tx = db.begin().await?;
    let id = webhooks::create(&mut tx, actor, &new.url, &secret, &new.event_types).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "webhook.create",
            entity_type: "webhook",
            entity_id: &id,
            before: None,
            after: Some(json!({ "url": new.url, "eventTypes": new.event_types })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedSubscription {
        id,
        url: new.url,
        secret,
    })
}

/// Removes (deactivates) a subscription, audited.
pub async fn delete_subscription(db: &Db, actor: &Actor, id: &str) -> AppResult<()> {
    let mut tx = db.begin().await?;
    webhooks::deactivate(&mut tx, actor, id).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "webhook.delete",
            entity_type: "webhook",
            entity_id: id,
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Enables a subscription disabled for failing (admins), audited; its URL must still pass
/// the outbound policy. A subscription that is not disabled is a conflict.
pub async fn enable_subscription(
    db: &Db,
    policy: &OutboundPolicy,
    actor: &Actor,
    id: &str,
) -> AppResult<webhooks::Subscription> {
    // The URL is resolved outside the write transaction (DNS may take a while).
    let sub = webhooks::get(&mut db.begin().await?, actor, id).await?;
    policy
        .check(&sub.url)
        .await
        .map_err(|e| AppError::field("url", e))?;
    let mut tx = db.begin().await?;
    if !webhooks::enable(&mut tx, actor, id).await? {
        return Err(AppError::conflict(
            "the webhook subscription is not disabled",
        ));
    }
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "webhook.enable",
            entity_type: "webhook",
            entity_id: id,
            before: Some(json!({ "disabledAt": sub.disabled_at, "consecutiveFailures": sub.consecutive_failures })),
            after: None,
        },
    )
    .await?;
    let enabled = webhooks::get(&mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(enabled)
}
