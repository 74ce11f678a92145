//! What providers report back: delivery events (SendGrid's event webhook, Twilio's status
//! callbacks) and texts investors send (STOP, START). The server verified the signature;
//! each event is one transaction, and applying one again changes nothing.

use clearway_core::notifications::delivery::{after_event, DeliveryEvent, MessageStatus};
use clearway_core::notifications::sms::{keyword, SmsKeyword};
use clearway_core::notifications::Channel;
use clearway_store::audit::{self, Change};
use clearway_store::notifications::messages;
use clearway_store::notifications::suppressions;
use clearway_store::{Actor, Db, StoreError};
use serde_json::json;

use super::channels::{ProviderEvent, ProviderEventKind};
use crate::error::AppResult;

/// What became of one provider event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The message moved to this status.
    Moved(&'static str),
    /// The message was found and stays as it was (a replay, an older event, `Other`).
    Unchanged,
    /// No message of ours matches it.
    Unknown,
}

fn delivery_event(kind: &ProviderEventKind) -> Option<DeliveryEvent> {
    Some(match kind {
        ProviderEventKind::Delivered => DeliveryEvent::Delivered,
        ProviderEventKind::Opened => DeliveryEvent::Opened,
        ProviderEventKind::Bounced => DeliveryEvent::Bounced,
        ProviderEventKind::Complained => DeliveryEvent::Complained,
        ProviderEventKind::Failed => DeliveryEvent::Failed,
        ProviderEventKind::Other => return None,
    })
}

/// Applies one provider event to its message on `channel` (found by our id, else by the
/// provider's) through the core's `after_event`; a bounce or complaint that moves it
/// suppresses the address, in the same transaction.
pub async fn apply_provider_event(
    db: &Db,
    channel: Channel,
    event: &ProviderEvent,
) -> AppResult<Applied> {
    let mut tx = db.begin().await?;
    let found = messages::for_provider_event(
        &mut tx,
        channel.as_str(),
        event.message_id.as_deref(),
        event.provider_id.as_deref(),
    )
    .await?;
    let Some(message) = found else {
        tx.commit().await?;
        return Ok(Applied::Unknown);
    };
    let current: MessageStatus = message
        .status
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("message status {}", message.status)))?;
    let next = delivery_event(&event.kind).map_or(current, |e| after_event(current, e));
    if next == current {
        tx.commit().await?;
        return Ok(Applied::Unchanged);
    }
    messages::set_delivery_status(&mut tx, &message, next.as_str(), event.reason.as_deref())
        .await?;
    if let (MessageStatus::Bounced | MessageStatus::Complained, Some(address)) =
        (next, &message.address)
    {
        let why = event
            .reason
            .clone()
            .unwrap_or_else(|| format!("provider reported {}", next.as_str()));
        suppressions::suppress(&mut tx, &message.org_id, channel.as_str(), address, &why).await?;
    }
    tx.commit().await?;
    Ok(Applied::Moved(next.as_str()))
}

/// Applies a text an investor sent from `from`: a STOP-family keyword suppresses the number
/// for SMS in every organization that has an investor with it, a START-family keyword lifts
/// that; each change audited by the organization's system actor. Returns the keyword read.
pub async fn apply_sms_reply(db: &Db, from: &str, body: &str) -> AppResult<Option<SmsKeyword>> {
    let word = keyword(body);
    let stop = match word {
        Some(SmsKeyword::OptOut) => true,
        Some(SmsKeyword::OptIn) => false,
        _ => return Ok(word),
    };
    let mut tx = db.begin().await?;
    let sms = Channel::Sms.as_str();
    for org in suppressions::orgs_with_phone(&mut tx, from).await? {
        let was = suppressions::is_suppressed(&mut tx, &org, sms, from).await?;
        if was == stop {
            continue;
        }
        if stop {
            let why = "the recipient texted STOP";
            suppressions::suppress(&mut tx, &org, sms, from, why).await?;
        } else {
            suppressions::lift(&mut tx, &org, sms, from).await?;
        }
        let state = |on: bool| Some(json!({ "channel": sms, "suppressed": on }));
        audit::record(
            &mut tx,
            &Actor::system(&org),
            Change {
                action: if stop {
                    "notification_suppression.stop"
                } else {
                    "notification_suppression.start"
                },
                entity_type: "notification_suppression",
                entity_id: from,
                before: state(was),
                after: state(stop),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(word)
}
