//! The worker tick that materializes due schedule drafts for every organization.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use clearway_app::schedules::{materialize, Materialized};
use clearway_store::{schedules as store, Actor, Db, StoreError};
use tokio::sync::watch;

use super::dto::draft_request;
use crate::leader::Leader;

/// How often the tick runs. The first run waits one interval after start (a restart loop
/// never hammers the database, and a day's drafts are created within minutes anyway).
pub const TICK: Duration = Duration::from_secs(600);

/// Materializes every organization's due drafts on `today` (system actor per organization).
pub async fn materialize_all(db: &Db, today: NaiveDate) -> Result<Materialized, StoreError> {
    let mut all = Materialized::default();
    for org in store::orgs_with_active(db).await? {
        let actor = Actor::system(&org);
        match materialize(db, &actor, today, draft_request).await {
            Ok(m) => {
                all.existing += m.existing;
                all.created.extend(m.created);
                all.failed.extend(m.failed);
            }
            Err(e) => all.failed.push((format!("org {org}"), e.to_string())),
        }
    }
    Ok(all)
}

/// Runs [`materialize_all`] every [`TICK`] until shutdown.
pub async fn run(db: Db, leader: Arc<Leader>, mut shutdown: watch::Receiver<bool>) {
    loop {
        // The watch guard must not live across the release's await (the task is Send).
        let stop = tokio::select! {
            _ = tokio::time::sleep(TICK) => false,
            _ = shutdown.wait_for(|stop| *stop) => true,
        };
        if stop {
            leader.release().await;
            return;
        }
        if !leader.holds().await {
            continue;
        }
        let today = chrono::Utc::now().date_naive();
        match materialize_all(&db, today).await {
            Ok(m) if !m.created.is_empty() || !m.failed.is_empty() => {
                tracing::info!(
                    created = m.created.len(),
                    failed = m.failed.len(),
                    "schedule drafts materialized"
                );
                for (schedule, error) in &m.failed {
                    tracing::warn!(schedule, error, "schedule materialization failed");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "schedule tick failed"),
        }
    }
}
