//! One leader per singular task when several processes share the database: the task's loop
//! asks [`Leader::holds`] before each pass, which takes or renews the task's lease
//! ([`clearway_store::leases`]) at most every third of its time to live. A process that loses
//! or never gets the lease skips its pass; a killed leader's lease runs out and the next
//! process to ask takes it over within one time to live. Shutdown releases it at once.

use std::time::{Duration, Instant};

use clearway_store::{leases, Db};
use tokio::sync::Mutex;

/// The lease of one singular task, as seen from this process.
pub struct Leader {
    db: Db,
    name: &'static str,
    instance: String,
    ttl: Duration,
    /// When the lease was last taken or renewed by us, if it is ours.
    held_since_renewal: Mutex<Option<Instant>>,
}

impl Leader {
    /// The lease `name` for this process (`instance`), held for `ttl` per renewal.
    pub fn new(db: Db, name: &'static str, instance: &str, ttl: Duration) -> Leader {
        Leader {
            db,
            name,
            instance: instance.to_string(),
            ttl,
            held_since_renewal: Mutex::new(None),
        }
    }

    /// Whether this process holds the lease now (taking or renewing it when due). A database
    /// error counts as not holding it: better a skipped pass than two leaders.
    pub async fn holds(&self) -> bool {
        let mut held = self.held_since_renewal.lock().await;
        if let Some(at) = *held {
            if at.elapsed() < self.ttl / 3 {
                return true;
            }
        }
        let asked = Instant::now();
        match leases::acquire(&self.db, self.name, &self.instance, self.ttl).await {
            Ok(Some(lease)) => {
                if held.is_none() {
                    tracing::info!(task = self.name, fence = lease.fence, "took the lease");
                    metrics::gauge!("clearway_leader", "task" => self.name).set(1.0);
                }
                *held = Some(asked);
                true
            }
            Ok(None) => {
                if held.is_some() {
                    tracing::warn!(task = self.name, "lost the lease to another process");
                    metrics::gauge!("clearway_leader", "task" => self.name).set(0.0);
                }
                *held = None;
                false
            }
            Err(e) => {
                tracing::warn!(task = self.name, error = %e, "could not take or renew the lease");
                *held = None;
                false
            }
        }
    }

    /// How long a follower waits before asking again.
    pub fn retry_after(&self) -> Duration {
        (self.ttl / 3).max(Duration::from_millis(100))
    }

    /// Gives the lease up (on shutdown) so another process takes over without waiting.
    pub async fn release(&self) {
        let mut held = self.held_since_renewal.lock().await;
        if held.take().is_some() {
            if let Err(e) = leases::release(&self.db, self.name, &self.instance).await {
                tracing::warn!(task = self.name, error = %e, "could not release the lease");
            }
            metrics::gauge!("clearway_leader", "task" => self.name).set(0.0);
        }
    }
}
