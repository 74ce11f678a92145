//! Notification preferences: save an investor's (or the organization's default) set, with
//! an audit entry of before and after in the same transaction, and the effective matrix.

use clearway_core::notifications::preferences::{enabled, PreferenceRow};
use clearway_core::notifications::{Channel, EventKind};
use clearway_store::audit::{self, Change};
use clearway_store::notifications::preferences as store;
use clearway_store::{Actor, Db, Tx};
use serde_json::{json, Value};

use crate::AppResult;

/// The audited view of a set of rows.
pub fn snapshot(rows: &[PreferenceRow]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| {
                json!({"fundId": r.fund_id, "eventKind": r.kind.as_str(),
                       "channel": r.channel.as_str(), "enabled": r.enabled})
            })
            .collect(),
    )
}

/// Audits one owner's rows changing from `before` to `after` (the entity is the investor,
/// or `organization` for the defaults).
pub async fn trail(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: Option<&str>,
    before: &[PreferenceRow],
    after: &[PreferenceRow],
) -> AppResult<()> {
    audit::record(
        tx,
        actor,
        Change {
            action: if investor_id.is_some() {
                "notification_preferences.replace"
            } else {
                "notification_preferences.replace_defaults"
            },
            entity_type: "notification_preferences",
            entity_id: investor_id.unwrap_or("organization"),
            before: Some(snapshot(before)),
            after: Some(snapshot(after)),
        },
    )
    .await?;
    Ok(())
}

/// Replaces the rows of one investor (`None`: the organization's defaults) with `rows`
/// (PUT semantics); returns the stored rows.
pub async fn replace(
    db: &Db,
    actor: &Actor,
    investor_id: Option<&str>,
    rows: &[PreferenceRow],
) -> AppResult<Vec<PreferenceRow>> {
    let mut tx = db.begin().await?;
    let (before, after) = store::replace(&mut tx, actor, investor_id, rows).await?;
    trail(&mut tx, actor, investor_id, &before, &after).await?;
    tx.commit().await?;
    Ok(after)
}

/// One cell of the effective matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    /// The fund (`None`: a notice not about one fund, or the general setting).
    pub fund_id: Option<String>,
    /// Event kind.
    pub kind: EventKind,
    /// Channel.
    pub channel: Channel,
    /// Whether the investor gets it.
    pub enabled: bool,
}

/// What the investor gets: every kind × channel for no particular fund and for each fund any
/// row names (`rows`: their own and the organization's, see `store::applicable`).
pub fn effective(rows: &[PreferenceRow], investor_id: &str) -> Vec<Effective> {
    let mut funds: Vec<Option<String>> = vec![None];
    for r in rows {
        if r.fund_id.is_some() && !funds.contains(&r.fund_id) {
            funds.push(r.fund_id.clone());
        }
    }
    let mut out = Vec::with_capacity(funds.len() * EventKind::ALL.len() * Channel::ALL.len());
    for fund in &funds {
        for kind in EventKind::ALL {
            for channel in Channel::ALL {
                out.push(Effective {
                    fund_id: fund.clone(),
                    kind,
                    channel,
                    enabled: enabled(rows, investor_id, fund.as_deref(), kind, channel),
                });
            }
        }
    }
    out
}
