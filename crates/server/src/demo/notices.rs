//! The demo's notifications: a few investors with a mobile number who consented to texts, and
//! the notices of the latest processed distribution (in-app at once; emails and texts queued
//! for the senders). Older history is not notified: the engine starts after it.

use clearway_app::notifications::contacts::{self, ContactPatch};
use clearway_app::notifications::engine::{self, EngineSettings};
use clearway_app::notifications::preferences;
use clearway_app::AppError;
use clearway_core::notifications::preferences::PreferenceRow;
use clearway_core::notifications::{Channel, EventKind};
use clearway_store::notifications::fanout;
use clearway_store::{outbox, Actor, Db, StoreError};
use serde_json::json;

/// Investors given a phone and SMS consent (the first ones, the demo investor user included).
const SMS_INVESTORS: usize = 3;

/// Seeds contacts and consent, then notifies the latest processed distribution of `fund_id`.
pub async fn seed(
    db: &Db,
    operator: &Actor,
    fund_id: &str,
    investor_ids: &[String],
) -> Result<(), StoreError> {
    for (i, id) in investor_ids.iter().take(SMS_INVESTORS).enumerate() {
        let patch = ContactPatch {
            phone: Some(Some(format!("+1202555{:04}", i + 1))),
            ..ContactPatch::default()
        };
        contacts::update(db, operator, id, &patch)
            .await
            .map_err(app)?;
        let consent: Vec<PreferenceRow> = EventKind::ALL
            .iter()
            .map(|&kind| PreferenceRow {
                investor_id: Some(id.clone()),
                fund_id: None,
                kind,
                channel: Channel::Sms,
                enabled: true,
            })
            .collect();
        preferences::replace(db, operator, Some(id), &consent)
            .await
            .map_err(app)?;
    }
    // The history is imported without events: the latest open-end distribution's completion
    // is announced here, and the engine starts just before it.
    let Some(latest) = fanout::latest_completed(db, &operator.org_id, fund_id).await? else {
        return Ok(());
    };
    let mut tx = db.begin().await?;
    let data = json!({ "distributionId": latest, "source": "demo" });
    outbox::emit(
        &mut tx,
        operator,
        "distribution.completed",
        "distribution",
        &latest,
        data,
    )
    .await?;
    tx.commit().await?;
    let seq = fanout::latest_seq(db, &operator.org_id, "distribution.completed").await?;
    fanout::replay_from(db, seq.unwrap_or(1) - 1).await?;
    while engine::run_once(db, &EngineSettings::default())
        .await
        .map_err(app)?
        .events
        > 0
    {}
    Ok(())
}

fn app(e: AppError) -> StoreError {
    match e {
        AppError::Store(s) => s,
        AppError::Invalid(i) => StoreError::Invalid(i),
        AppError::Remote(r) => StoreError::Conflict(r),
    }
}
