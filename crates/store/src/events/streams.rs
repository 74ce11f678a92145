//! Events still to publish to each stream sink (NATS JetStream, Kafka): one `stream_pending`
//! row per (sink, outbox event), written by [`enroll`] in the transaction that fans the event
//! out to webhooks and marks it dispatched, and deleted by [`mark_published`] once the broker
//! acknowledged it.
//!
//! Why a row per pending event rather than a cursor over `seq`: a PostgreSQL sequence value is
//! taken at insert, not at commit, so an event can commit after one with a higher `seq` and a
//! cursor already past it would skip it for good. The dispatch flag (`dispatched_at`) is per
//! row and so cannot skip; enrolling in the same transaction inherits that. A separate table
//! (rather than a column per sink on `outbox`) keeps sinks configurable without migrations and
//! keeps the pending set as small as the backlog, whatever the outbox's size.

use crate::db::{placeholders, Arg};
use crate::events::outbox::{event_from_row, Event};
use crate::{now_text, q, Actor, Db, StoreError, Tx};
use clearway_core::access::Permission;

/// Enrolls `events` (being dispatched in `tx`) for publication to each of `sinks`. Enrolling
/// one twice fails on the key and rolls `tx` back: two relays racing on the same events
/// cannot double them.
pub async fn enroll(tx: &mut Tx, sinks: &[&str], events: &[Event]) -> Result<(), StoreError> {
    if sinks.is_empty() || events.is_empty() {
        return Ok(());
    }
    let now = now_text();
    let rows: Vec<Vec<Arg>> = sinks
        .iter()
        .flat_map(|sink| {
            events
                .iter()
                .map(|e| vec![Arg::from(*sink), Arg::from(e.seq), Arg::from(now.as_str())])
        })
        .collect();
    tx.bulk_insert("stream_pending", &["sink", "seq", "enqueued_at"], &rows)
        .await
}

/// The oldest `limit` events pending for `sink`, in outbox order (`seq`), which is commit
/// order for the events of one aggregate (they are written under its row lock).
pub async fn pending(db: &Db, sink: &str, limit: i64) -> Result<Vec<Event>, StoreError> {
    db.fetch_all(
        q("SELECT o.seq, o.id, o.org_id, o.event_type, o.aggregate_type, o.aggregate_id, o.payload, o.created_at
           FROM stream_pending p JOIN outbox o ON o.seq = p.seq WHERE p.sink = $1 ORDER BY p.seq LIMIT $2")
            .bind(sink)
            .bind(limit),
    )
    .await?
    .iter()
    .map(event_from_row)
    .collect()
}

/// Records that the broker acknowledged the events `seqs` of `sink`: their pending rows go
/// and the sink's totals move, in one transaction. Returns how many rows went (fewer than
/// `seqs` when another process recorded some first).
pub async fn mark_published(db: &Db, sink: &str, seqs: &[i64]) -> Result<u64, StoreError> {
    let mut tx = db.begin().await?;
    let mut gone = 0;
    // Bounded parameter lists (SQLite allows 32,766 per statement).
    for chunk in seqs.chunks(1_000) {
        let mut query = q(format!(
            "DELETE FROM stream_pending WHERE sink = $1 AND seq IN ({})",
            placeholders(2, chunk.len())
        ))
        .bind(sink);
        for seq in chunk {
            query.push(*seq);
        }
        gone += tx.execute(query).await?;
    }
    tx.execute(
        q("INSERT INTO stream_sinks (sink, published, last_published_at) VALUES ($1, $2, $3)
           ON CONFLICT (sink) DO UPDATE SET published = stream_sinks.published + $2, last_published_at = $3")
            .bind(sink)
            .bind(i64::try_from(gone).unwrap_or(i64::MAX))
            .bind(now_text()),
    )
    .await?;
    tx.commit().await?;
    Ok(gone)
}

/// What is pending for a sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// Events pending.
    pub pending: i64,
    /// When the oldest of them was written (`None` when none is pending).
    pub oldest_created_at: Option<String>,
}

/// Everything pending for `sink`, every organization (metrics; operators only).
pub async fn backlog(db: &Db, sink: &str) -> Result<Backlog, StoreError> {
    backlog_of(db, sink, None).await
}

/// What is pending for `sink` of the actor's organization (those who may read the audit log).
pub async fn org_backlog(db: &Db, actor: &Actor, sink: &str) -> Result<Backlog, StoreError> {
    actor.require(Permission::ReadAudit)?;
    backlog_of(db, sink, Some(&actor.org_id)).await
}

async fn backlog_of(db: &Db, sink: &str, org: Option<&str>) -> Result<Backlog, StoreError> {
    let row = db
        .fetch_optional(
            q("SELECT COUNT(*) AS n, MIN(o.created_at) AS oldest FROM stream_pending p JOIN outbox o ON o.seq = p.seq
               WHERE p.sink = $1 AND ($2 IS NULL OR o.org_id = $2)")
                .bind(sink)
                .bind(org),
        )
        .await?
        .ok_or(StoreError::Corrupt("COUNT returned no row".into()))?;
    Ok(Backlog {
        pending: row.i64("n")?,
        oldest_created_at: row.opt_text("oldest")?,
    })
}

/// A sink's publication totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Events acknowledged by the broker, all time.
    pub published: i64,
    /// When the last of them was.
    pub last_published_at: String,
}

/// The totals of `sink`; `None` before its first publication.
pub async fn published(db: &Db, sink: &str) -> Result<Option<Published>, StoreError> {
    db.fetch_optional(
        q("SELECT published, last_published_at FROM stream_sinks WHERE sink = $1").bind(sink),
    )
    .await?
    .map(|r| {
        Ok(Published {
            published: r.i64("published")?,
            last_published_at: r.text("last_published_at")?,
        })
    })
    .transpose()
}
