//! Webhook subscriptions and per-subscriber delivery bookkeeping for outbox events.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use clearway_core::access::Permission;

use crate::db::Arg;
use crate::outbox::Event;
use crate::{new_id, now_text, q, time_text, Actor, Db, StoreError, Tx};

/// A subscription as listed (the secret is shown only when created).
#[derive(Debug, Clone)]
pub struct Subscription {
    /// Id.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// Event types delivered (`*` for all).
    pub event_types: Vec<String>,
    /// When it was created.
    pub created_at: String,
    /// Failed deliveries since the last delivered one.
    pub consecutive_failures: i64,
    /// When it was disabled for failing too often (none while enabled).
    pub disabled_at: Option<String>,
}

fn subscription_from_row(r: &crate::Row) -> Result<Subscription, StoreError> {
    Ok(Subscription {
        id: r.text("id")?,
        url: r.text("url")?,
        event_types: r
            .text("event_types")?
            .split(',')
            .map(str::to_string)
            .collect(),
        created_at: r.text("created_at")?,
        consecutive_failures: r.i64("consecutive_failures")?,
        disabled_at: r.opt_text("disabled_at")?,
    })
}

/// Creates a subscription (admins).
pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    url: &str,
    secret: &str,
    event_types: &[String],
) -> Result<String, StoreError> {
    actor.require(Permission::Administer)?;
    let id = new_id();
    tx.execute(
        q("INSERT INTO webhook_subscriptions (id, org_id, url, secret, event_types, active, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6)")
            .bind(&id)
            .bind(&actor.org_id)
            .bind(url)
            .bind(secret)
            .bind(event_types.join(","))
            .bind(now_text()),
    )
    .await?;
    Ok(id)
}

/// Active subscriptions of the organization (disabled ones included, marked).
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<Subscription>, StoreError> {
    actor.require(Permission::Administer)?;
    db.fetch_all(
        q("SELECT id, url, event_types, created_at, consecutive_failures, disabled_at FROM webhook_subscriptions WHERE org_id = $1 AND active = 1 ORDER BY id")
            .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(subscription_from_row)
    .collect()
}

/// One active subscription of the organization, read inside `tx`.
pub async fn get(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Subscription, StoreError> {
    actor.require(Permission::Administer)?;
    let row = tx
        .fetch_optional(
            q("SELECT id, url, event_types, created_at, consecutive_failures, disabled_at FROM webhook_subscriptions WHERE id = $1 AND org_id = $2 AND active = 1")
                .bind(id)
                .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("webhook"))?;
    subscription_from_row(&row)
}

/// Enables a disabled subscription again with a fresh failure count; false when it was
/// not disabled.
pub async fn enable(tx: &mut Tx, actor: &Actor, id: &str) -> Result<bool, StoreError> {
    actor.require(Permission::Administer)?;
    let n = tx
        .execute(
            q("UPDATE webhook_subscriptions SET disabled_at = NULL, consecutive_failures = 0 WHERE id = $1 AND org_id = $2 AND active = 1 AND disabled_at IS NOT NULL")
                .bind(id)
                .bind(&actor.org_id),
        )
        .await?;
    Ok(n > 0)
}

/// Deactivates a subscription; pending deliveries to it stop.
pub async fn deactivate(tx: &mut Tx, actor: &Actor, id: &str) -> Result<(), StoreError> {
    actor.require(Permission::Administer)?;
    let n = tx
        .execute(
            q("UPDATE webhook_subscriptions SET active = 0 WHERE id = $1 AND org_id = $2 AND active = 1")
                .bind(id)
                .bind(&actor.org_id),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound("webhook"));
    }
    Ok(())
}

/// Creates one pending delivery per event and matching active, enabled subscription of the
/// event's organization (a disabled receiver catches up from the event feed): the
/// subscriptions of each organization read once, the deliveries written in one bulk load.
pub async fn fan_out(tx: &mut Tx, events: &[Event]) -> Result<usize, StoreError> {
    let mut subs_of: HashMap<&str, Vec<(String, String)>> = HashMap::new();
    for e in events {
        if subs_of.contains_key(e.org_id.as_str()) {
            continue;
        }
        let subs = tx
            .fetch_all(
                q("SELECT id, event_types FROM webhook_subscriptions WHERE org_id = $1 AND active = 1 AND disabled_at IS NULL")
                    .bind(&e.org_id),
            )
            .await?
            .iter()
            .map(|s| Ok((s.text("id")?, s.text("event_types")?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        subs_of.insert(&e.org_id, subs);
    }
    let now = now_text();
    let mut rows: Vec<Vec<Arg>> = Vec::new();
    for e in events {
        for (sub, types) in &subs_of[e.org_id.as_str()] {
            if types.split(',').any(|t| t == "*" || t == e.event_type) {
                rows.push(vec![
                    Arg::from(new_id()),
                    Arg::from(e.org_id.as_str()),
                    Arg::from(e.id.as_str()),
                    Arg::from(sub.as_str()),
                    Arg::from("PENDING"),
                    Arg::from(0_i64),
                    Arg::from(now.as_str()),
                ]);
            }
        }
    }
    // The caller marks the events dispatched in this transaction, so their deliveries are new;
    // a second relay racing on them fails on the key and rolls back.
    tx.bulk_insert(
        "webhook_deliveries",
        &[
            "id",
            "org_id",
            "event_id",
            "subscription_id",
            "status",
            "attempts",
            "next_attempt_at",
        ],
        &rows,
    )
    .await?;
    Ok(rows.len())
}

/// A delivery due now.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Id.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// Subscription delivered to.
    pub subscription_id: String,
    /// Event to deliver.
    pub event_id: String,
    /// Subscriber URL.
    pub url: String,
    /// Signing secret.
    pub secret: String,
    /// Attempts made so far.
    pub attempts: i64,
}

/// Pending deliveries whose next attempt is due.
pub async fn due(db: &Db, limit: i64) -> Result<Vec<Delivery>, StoreError> {
    db.fetch_all(
        q("SELECT d.id, d.org_id, d.subscription_id, d.event_id, s.url, s.secret, d.attempts FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
           WHERE d.status = 'PENDING' AND d.next_attempt_at <= $1 AND s.active = 1 AND s.disabled_at IS NULL ORDER BY d.next_attempt_at, d.id LIMIT $2")
            .bind(now_text())
            .bind(limit),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Delivery {
            id: r.text("id")?,
            org_id: r.text("org_id")?,
            subscription_id: r.text("subscription_id")?,
            event_id: r.text("event_id")?,
            url: r.text("url")?,
            secret: r.text("secret")?,
            attempts: r.i64("attempts")?,
        })
    })
    .collect()
}

/// Takes a due delivery for one attempt: its next attempt moves `hold` into the future, so
/// no other relay pass (another process that became leader while this one is still sending)
/// sees it as due meanwhile. `false` when it was taken or recorded already. A sender killed
/// after taking it leaves it due again once `hold` has passed (at least once, never twice at
/// the same time).
pub async fn take(db: &Db, d: &Delivery, hold: std::time::Duration) -> Result<bool, StoreError> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(hold).unwrap_or(chrono::Duration::seconds(60));
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE webhook_deliveries SET next_attempt_at = $1
               WHERE id = $2 AND status = 'PENDING' AND attempts = $3 AND next_attempt_at <= $4")
            .bind(time_text(until))
            .bind(&d.id)
            .bind(d.attempts)
            .bind(time_text(now)),
        )
        .await?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Records the outcome of an attempt inside `tx`: delivered (the subscription's failure
/// count resets), or failed with its retry time (none: dead). A failure counts against the
/// subscription; returns true when this one disabled it (`max_failures` in a row).
pub async fn record_attempt(
    tx: &mut Tx,
    d: &Delivery,
    response_status: Option<u16>,
    outcome: Result<(), (String, Option<DateTime<Utc>>)>,
    max_failures: i64,
) -> Result<bool, StoreError> {
    let status_code = response_status.map(i64::from);
    match outcome {
        Ok(()) => {
            tx.execute(
                q("UPDATE webhook_deliveries SET status = 'DELIVERED', attempts = attempts + 1, response_status = $1, delivered_at = $2, last_error = NULL WHERE id = $3")
                    .bind(status_code)
                    .bind(now_text())
                    .bind(&d.id),
            )
            .await?;
            tx.execute(
                q("UPDATE webhook_subscriptions SET consecutive_failures = 0 WHERE id = $1")
                    .bind(&d.subscription_id),
            )
            .await?;
            Ok(false)
        }
        Err((error, retry_at)) => {
            let (status, next) = match retry_at {
                Some(at) => ("PENDING", time_text(at)),
                None => ("DEAD", now_text()),
            };
            tx.execute(
                q("UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, response_status = $2, next_attempt_at = $3, last_error = $4 WHERE id = $5")
                    .bind(status)
                    .bind(status_code)
                    .bind(next)
                    .bind(error)
                    .bind(&d.id),
            )
            .await?;
            count_failure(tx, &d.subscription_id, max_failures).await
        }
    }
}

/// Adds a failure to the subscription's count and disables it at `max_failures`; true when
/// this call disabled it.
async fn count_failure(tx: &mut Tx, subscription_id: &str, max: i64) -> Result<bool, StoreError> {
    tx.execute(
        q("UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1 WHERE id = $1")
            .bind(subscription_id),
    )
    .await?;
    let disabled = tx
        .execute(
            q("UPDATE webhook_subscriptions SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL AND consecutive_failures >= $3")
                .bind(now_text())
                .bind(subscription_id)
                .bind(max),
        )
        .await?;
    Ok(disabled > 0)
}
