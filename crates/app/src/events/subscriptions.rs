//! Webhook subscriptions: created (with a fresh signing secret) and removed, each audited in
//! the same transaction.

use clearway_store::audit::{self, Change};
use clearway_store::{webhooks, Actor, Db};
use serde_json::json;

use crate::AppResult;

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

/// Creates a subscription with a new signing secret (admins), audited.
pub async fn create_subscription(
    db: &Db,
    actor: &Actor,
    new: NewSubscription,
) -> AppResult<CreatedSubscription> {
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
