//! Wire shapes of the event feed, webhook deliveries and webhook subscriptions.

use clearway_store::outbox::Event;
use clearway_store::webhooks::Subscription;
use serde::Serialize;
use serde_json::Value;

/// An event as published (the feed's items and the body of a webhook delivery).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    /// Position in the outbox.
    pub seq: i64,
    /// Unique id; receivers deduplicate on it.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// e.g. `distribution.approved`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// e.g. `distribution`.
    pub aggregate_type: String,
    /// Id of the thing it is about.
    pub aggregate_id: String,
    /// Event body.
    pub data: Value,
    /// When it was written.
    pub created_at: String,
}

impl From<&Event> for EventView {
    fn from(e: &Event) -> Self {
        EventView {
            seq: e.seq,
            id: e.id.clone(),
            org_id: e.org_id.clone(),
            event_type: e.event_type.clone(),
            aggregate_type: e.aggregate_type.clone(),
            aggregate_id: e.aggregate_id.clone(),
            data: e.data.clone(),
            created_at: e.created_at.clone(),
        }
    }
}

/// A subscription as listed (the secret is shown only when created).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
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
    /// Disabled for failing too often (an admin enables it again); no deliveries meanwhile.
    pub disabled: bool,
    /// When it was disabled.
    pub disabled_at: Option<String>,
}

impl From<&Subscription> for SubscriptionView {
    fn from(s: &Subscription) -> Self {
        SubscriptionView {
            id: s.id.clone(),
            url: s.url.clone(),
            event_types: s.event_types.clone(),
            created_at: s.created_at.clone(),
            consecutive_failures: s.consecutive_failures,
            disabled: s.disabled_at.is_some(),
            disabled_at: s.disabled_at.clone(),
        }
    }
}
