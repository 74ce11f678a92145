//! Named leases: one holder at a time for a task that must run in a single process when
//! several processes share the database (the outbox relay, the schedule tick, the notification
//! engine). A lease is taken when free or expired and renewed by its holder; a holder that dies
//! stops renewing, and another process takes the lease over once it expires. Times are the
//! processes' clocks, so the processes sharing a database must keep their clocks in sync
//! (NTP) to well within a lease's time to live.

use std::time::Duration;

use chrono::Utc;

use crate::{q, time_text, Db, StoreError};

/// A lease as held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// e.g. `outbox-relay`.
    pub name: String,
    /// Who holds it (a process's instance id).
    pub holder: String,
    /// Grows by one at every change of holder.
    pub fence: i64,
    /// When the current holder took it.
    pub acquired_at: String,
    /// When it runs out unless renewed.
    pub expires_at: String,
}

fn lease_from_row(r: &crate::Row) -> Result<Lease, StoreError> {
    Ok(Lease {
        name: r.text("name")?,
        holder: r.text("holder")?,
        fence: r.i64("fence")?,
        acquired_at: r.text("acquired_at")?,
        expires_at: r.text("expires_at")?,
    })
}

/// Takes the lease `name` for `holder` for `ttl` when it is free, expired or already
/// `holder`'s (a renewal); `None` while another holder's lease runs. One statement, so two
/// processes racing for a free lease cannot both win.
pub async fn acquire(
    db: &Db,
    name: &str,
    holder: &str,
    ttl: Duration,
) -> Result<Option<Lease>, StoreError> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::seconds(30));
    let mut tx = db.begin().await?;
    let row = tx
        .fetch_optional(
            q("INSERT INTO leases (name, holder, fence, acquired_at, expires_at) VALUES ($1, $2, 1, $3, $4)
               ON CONFLICT (name) DO UPDATE SET
                   fence = CASE WHEN leases.holder = excluded.holder THEN leases.fence ELSE leases.fence + 1 END,
                   acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
                   holder = excluded.holder,
                   expires_at = excluded.expires_at
               WHERE leases.holder = excluded.holder OR leases.expires_at < excluded.acquired_at
               RETURNING name, holder, fence, acquired_at, expires_at")
                .bind(name)
                .bind(holder)
                .bind(time_text(now))
                .bind(time_text(until)),
        )
        .await?;
    tx.commit().await?;
    row.as_ref().map(lease_from_row).transpose()
}

/// Gives the lease up at once (graceful shutdown), so another process need not wait for it
/// to expire; does nothing when `holder` no longer holds it.
pub async fn release(db: &Db, name: &str, holder: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    tx.execute(
        q("UPDATE leases SET expires_at = $1 WHERE name = $2 AND holder = $3")
            .bind(time_text(chrono::DateTime::<Utc>::UNIX_EPOCH))
            .bind(name)
            .bind(holder),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every lease as stored, by name (expired ones included: `expires_at` tells).
pub async fn list(db: &Db) -> Result<Vec<Lease>, StoreError> {
    db.fetch_all(q(
        "SELECT name, holder, fence, acquired_at, expires_at FROM leases ORDER BY name",
    ))
    .await?
    .iter()
    .map(lease_from_row)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fresh_database;
    use crate::DbOptions;

    async fn each_backend(check: impl AsyncFn(&Db)) {
        let pg = std::env::var("TEST_DATABASE_URL").ok();
        let mut bases = vec![None];
        if pg.is_some() {
            bases.push(pg.as_deref());
        }
        for base in bases {
            let fresh = fresh_database(base, &DbOptions::default()).await.unwrap();
            check(&fresh.db).await;
            fresh.drop_database().await;
        }
    }

    #[tokio::test]
    async fn one_holder_at_a_time_and_takeover_after_expiry() {
        each_backend(async |db| {
            let long = Duration::from_secs(60);
            let a = acquire(db, "relay", "a", long).await.unwrap().unwrap();
            assert_eq!((a.holder.as_str(), a.fence), ("a", 1));
            // Another holder waits while a's lease runs; a renews and keeps its fence.
            assert_eq!(acquire(db, "relay", "b", long).await.unwrap(), None);
            let renewed = acquire(db, "relay", "a", long).await.unwrap().unwrap();
            assert_eq!(
                (renewed.fence, renewed.acquired_at),
                (1, a.acquired_at.clone())
            );
            assert!(renewed.expires_at >= a.expires_at);
            // Other names are other leases.
            assert_eq!(
                acquire(db, "tick", "b", long).await.unwrap().unwrap().fence,
                1
            );
            // An expired lease (a killed holder) goes to the next taker, with a new fence.
            acquire(db, "relay", "a", Duration::ZERO)
                .await
                .unwrap()
                .unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
            let b = acquire(db, "relay", "b", long).await.unwrap().unwrap();
            assert_eq!((b.holder.as_str(), b.fence), ("b", 2));
            assert_eq!(acquire(db, "relay", "a", long).await.unwrap(), None);
            // Released: free at once; a release by a non-holder changes nothing.
            release(db, "relay", "a").await.unwrap();
            assert_eq!(acquire(db, "relay", "a", long).await.unwrap(), None);
            release(db, "relay", "b").await.unwrap();
            let a2 = acquire(db, "relay", "a", long).await.unwrap().unwrap();
            assert_eq!((a2.holder.as_str(), a2.fence), ("a", 3));
            let names: Vec<_> = list(db)
                .await
                .unwrap()
                .into_iter()
                .map(|l| (l.name, l.holder))
                .collect();
            assert_eq!(
                names,
                [("relay".into(), "a".into()), ("tick".into(), "b".into())]
            );
        })
        .await;
    }
}
