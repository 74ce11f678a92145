//! One `clearway serve` per SQLite database: a second process on the same file is refused
//! loudly (SQLite has one writer at a time, so a second process adds contention, not
//! capacity; several processes need PostgreSQL). The first holds lease `serve-sqlite`, renewed
//! while it runs and released on shutdown; a killed one's lease runs out within one TTL, so
//! a restart after a crash waits at most that long.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clearway_server::leader::Leader;
use clearway_store::{leases, Backend, Db};

const LEASE: &str = "serve-sqlite";

/// Holds the SQLite database for this process until [`Guard::release`]; `None` on PostgreSQL.
pub struct Guard {
    leader: Arc<Leader>,
    renew: tokio::task::JoinHandle<()>,
}

/// Takes the lease (waiting out a killed process's for up to one TTL), or refuses.
pub async fn take(db: &Db, ttl: Duration) -> Result<Option<Guard>> {
    if db.backend() != Backend::Sqlite {
        return Ok(None);
    }
    let holder = format!("pid{}", std::process::id());
    let leader = Arc::new(Leader::new(db.clone(), LEASE, &holder, ttl));
    let deadline = Instant::now() + ttl + Duration::from_secs(1);
    while !leader.holds().await {
        if Instant::now() > deadline {
            let other = leases::list(db)
                .await?
                .into_iter()
                .find(|l| l.name == LEASE)
                .map(|l| l.holder)
                .unwrap_or_default();
            bail!("another `clearway serve` ({other}) is running on this SQLite database; SQLite serves one process — use PostgreSQL (DATABASE_URL=postgres://…) to run several");
        }
        tokio::time::sleep(leader.retry_after()).await;
    }
    let renewing = leader.clone();
    let renew = tokio::spawn(async move {
        loop {
            tokio::time::sleep(renewing.retry_after()).await;
            if !renewing.holds().await {
                tracing::error!(
                    "lost the SQLite serve lease: is another process using this database?"
                );
            }
        }
    });
    Ok(Some(Guard { leader, renew }))
}

impl Guard {
    /// Lets the next process start at once.
    pub async fn release(self) {
        self.renew.abort();
        self.leader.release().await;
    }
}
