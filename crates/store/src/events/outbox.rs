//! The transactional outbox: events are rows written in the same transaction as the change
//! they describe; the relay publishes them afterwards. An event exists iff its change does.
//! A notice event is enrolled for the notification engine in the same transaction too.

use serde_json::Value;

use clearway_core::access::Permission;
use clearway_core::notifications::NOTICE_EVENT_TYPES;

use crate::db::{Arg, RowSink, RowSource};
use crate::{new_id, now_text, q, Actor, Db, StoreError, Tx};

/// Appends an event of the actor's organization inside `tx`; returns its id.
pub async fn emit(
    tx: &mut Tx,
    actor: &Actor,
    event_type: &str,
    aggregate_type: &str,
    aggregate_id: &str,
    payload: Value,
) -> Result<String, StoreError> {
    let id = new_id();
    tx.execute(
        q("INSERT INTO outbox (id, org_id, event_type, aggregate_type, aggregate_id, payload, created_at, traceparent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&id)
            .bind(&actor.org_id)
            .bind(event_type)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(payload.to_string())
            .bind(now_text())
            .bind(crate::trace::traceparent()),
    )
    .await?;
    enroll_notices(tx, &[(&id, event_type)]).await?;
    Ok(id)
}

/// Enrolls the notice events among `events` (id, type) for the notification engine
/// (`notification_pending`, read by `notifications::fanout`), inside the transaction that
/// writes them: a notice event exists exactly when its pending row does until it is expanded.
async fn enroll_notices(tx: &mut Tx, events: &[(&str, &str)]) -> Result<(), StoreError> {
    let now = now_text();
    let rows: Vec<Vec<Arg>> = events
        .iter()
        .filter(|(_, t)| NOTICE_EVENT_TYPES.contains(t))
        .map(|(id, _)| vec![Arg::from(*id), Arg::from(now.as_str())])
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    tx.bulk_insert("notification_pending", &["event_id", "enqueued_at"], &rows)
        .await
}

/// An event to append with [`emit_many`].
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// e.g. `payment.completed`.
    pub event_type: &'a str,
    /// e.g. `payment`.
    pub aggregate_type: &'a str,
    /// Id of the thing it is about.
    pub aggregate_id: &'a str,
    /// Event body.
    pub payload: Value,
}

/// Appends many events inside `tx` in one bulk load, in the given order (the same rows as
/// [`emit`] once per event, stamped with one time).
pub async fn emit_many(
    tx: &mut Tx,
    actor: &Actor,
    events: &[NewEvent<'_>],
) -> Result<(), StoreError> {
    let texts: Vec<NewEventText<'_>> = events
        .iter()
        .map(|e| NewEventText {
            event_type: e.event_type,
            aggregate_type: e.aggregate_type,
            aggregate_id: e.aggregate_id,
            payload: e.payload.to_string(),
        })
        .collect();
    emit_many_text(tx, actor, &texts).await
}

/// [`emit_many`] for events whose payloads are JSON text already (the same rows): for bulk
/// writers that build the text directly instead of a `Value` per event.
pub async fn emit_many_text(
    tx: &mut Tx,
    actor: &Actor,
    events: &[NewEventText<'_>],
) -> Result<(), StoreError> {
    struct Rows<'e, 'a> {
        events: &'e [NewEventText<'a>],
        org: &'e str,
        now: &'e str,
        ids: Vec<String>,
        traceparent: Option<String>,
    }
    impl RowSource for Rows<'_, '_> {
        fn len(&self) -> usize {
            self.events.len()
        }
        fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
            let e = &self.events[at];
            sink.text(&self.ids[at])
                .text(self.org)
                .text(e.event_type)
                .text(e.aggregate_type)
                .text(e.aggregate_id)
                .text(&e.payload)
                .text(self.now)
                .opt_text(self.traceparent.as_deref());
            sink.end_row();
        }
    }
    let now = now_text();
    let rows = Rows {
        events,
        org: &actor.org_id,
        now: &now,
        ids: events.iter().map(|_| new_id()).collect(),
        traceparent: crate::trace::traceparent(),
    };
    tx.bulk_load(
        "outbox",
        &[
            "id",
            "org_id",
            "event_type",
            "aggregate_type",
            "aggregate_id",
            "payload",
            "created_at",
            "traceparent",
        ],
        &rows,
    )
    .await?;
    let enrolled: Vec<(&str, &str)> = rows
        .ids
        .iter()
        .zip(events)
        .map(|(id, e)| (id.as_str(), e.event_type))
        .collect();
    enroll_notices(tx, &enrolled).await
}

/// An event to append with [`emit_many_text`].
#[derive(Debug, Clone)]
pub struct NewEventText<'a> {
    /// e.g. `payment.completed`.
    pub event_type: &'a str,
    /// e.g. `payment`.
    pub aggregate_type: &'a str,
    /// Id of the thing it is about.
    pub aggregate_id: &'a str,
    /// Event body as JSON text.
    pub payload: String,
}

/// An event as published.
#[derive(Debug, Clone)]
pub struct Event {
    /// Position in the outbox.
    pub seq: i64,
    /// Unique id; receivers deduplicate on it.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// e.g. `distribution.approved`.
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

pub(crate) fn event_from_row(r: &crate::Row) -> Result<Event, StoreError> {
    Ok(Event {
        seq: r.i64("seq")?,
        id: r.text("id")?,
        org_id: r.text("org_id")?,
        event_type: r.text("event_type")?,
        aggregate_type: r.text("aggregate_type")?,
        aggregate_id: r.text("aggregate_id")?,
        data: serde_json::from_str(&r.text("payload")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        created_at: r.text("created_at")?,
    })
}

const EVENT_COLUMNS: &str =
    "seq, id, org_id, event_type, aggregate_type, aggregate_id, payload, created_at";

/// Events not yet fanned out to subscribers, oldest first.
pub async fn undispatched(tx: &mut Tx, limit: i64) -> Result<Vec<Event>, StoreError> {
    tx.fetch_all(
        q(format!(
            "SELECT {EVENT_COLUMNS} FROM outbox WHERE dispatched_at IS NULL ORDER BY seq LIMIT $1"
        ))
        .bind(limit),
    )
    .await?
    .iter()
    .map(event_from_row)
    .collect()
}

/// Marks events fanned out, in one statement per 1,000; returns how many were not yet (an
/// event another relay marked first is not counted).
pub async fn mark_dispatched(tx: &mut Tx, seqs: &[i64]) -> Result<u64, StoreError> {
    let now = now_text();
    let mut marked = 0;
    for chunk in seqs.chunks(1_000) {
        let mut query = q(format!(
            "UPDATE outbox SET dispatched_at = $1 WHERE dispatched_at IS NULL AND seq IN ({})",
            crate::db::placeholders(2, chunk.len())
        ))
        .bind(now.as_str());
        for seq in chunk {
            query.push(*seq);
        }
        marked += tx.execute(query).await?;
    }
    Ok(marked)
}

/// One event by id (for delivery).
pub async fn get(db: &Db, event_id: &str) -> Result<Event, StoreError> {
    let row = db
        .fetch_optional(
            q(format!("SELECT {EVENT_COLUMNS} FROM outbox WHERE id = $1")).bind(event_id),
        )
        .await?
        .ok_or(StoreError::NotFound("event"))?;
    event_from_row(&row)
}

/// The W3C trace context an event was written under (its delivery continues that trace).
pub async fn traceparent(db: &Db, event_id: &str) -> Result<Option<String>, StoreError> {
    match db
        .fetch_optional(q("SELECT traceparent FROM outbox WHERE id = $1").bind(event_id))
        .await?
    {
        Some(row) => row.opt_text("traceparent"),
        None => Ok(None),
    }
}

/// Events of the actor's organization after `after_seq` (an event feed, for those who may
/// read the audit trail; also used by tests to count).
pub async fn list(
    db: &Db,
    actor: &Actor,
    event_type: Option<&str>,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    actor.require(Permission::ReadAudit)?;
    db.fetch_all(
        q(format!("SELECT {EVENT_COLUMNS} FROM outbox WHERE org_id = $1 AND seq > $2 AND ($3 IS NULL OR event_type = $3) ORDER BY seq LIMIT $4"))
            .bind(&actor.org_id)
            .bind(after_seq)
            .bind(event_type)
            .bind(limit),
    )
    .await?
    .iter()
    .map(event_from_row)
    .collect()
}
