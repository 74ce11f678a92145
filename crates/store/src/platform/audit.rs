//! The audit log: who changed what, when, before and after. Written in the caller's
//! transaction, so a change and its audit entry commit or vanish together.

use clearway_core::access::Permission;
use serde_json::Value;

use crate::db::Arg;
use crate::{new_id, now_text, q, Actor, Db, StoreError, Tx};

/// One change, as recorded.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// Verb, e.g. `distribution.approve`.
    pub action: &'a str,
    /// Kind of thing changed, e.g. `distribution`.
    pub entity_type: &'a str,
    /// Its id.
    pub entity_id: &'a str,
    /// State before (None for creations).
    pub before: Option<Value>,
    /// State after (None for deletions).
    pub after: Option<Value>,
}

/// Writes an audit entry inside `tx`.
pub async fn record(tx: &mut Tx, actor: &Actor, change: Change<'_>) -> Result<(), StoreError> {
    tx.execute(
        q("INSERT INTO audit_log (id, org_id, actor_id, action, entity_type, entity_id, before_json, after_json, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(new_id())
            .bind(&actor.org_id)
            .bind(&actor.user_id)
            .bind(change.action)
            .bind(change.entity_type)
            .bind(change.entity_id)
            .bind(change.before.map(|v| v.to_string()))
            .bind(change.after.map(|v| v.to_string()))
            .bind(now_text()),
    )
    .await?;
    Ok(())
}

/// Writes many audit entries inside `tx` in one bulk load, in the given order (the same rows
/// as [`record`] once per change, stamped with one time).
pub async fn record_many(
    tx: &mut Tx,
    actor: &Actor,
    changes: &[Change<'_>],
) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let now = now_text();
    let rows: Vec<Vec<Arg>> = changes
        .iter()
        .map(|c| {
            vec![
                new_id().into(),
                (&actor.org_id).into(),
                (&actor.user_id).into(),
                c.action.into(),
                c.entity_type.into(),
                c.entity_id.into(),
                c.before.as_ref().map(Value::to_string).into(),
                c.after.as_ref().map(Value::to_string).into(),
                (&now).into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "audit_log",
        &[
            "id",
            "org_id",
            "actor_id",
            "action",
            "entity_type",
            "entity_id",
            "before_json",
            "after_json",
            "at",
        ],
        &rows,
    )
    .await
}

/// An audit entry as returned to admins and auditors.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Position in the log (cursor).
    pub seq: i64,
    /// Who.
    pub actor_id: String,
    /// What.
    pub action: String,
    /// On what kind of thing.
    pub entity_type: String,
    /// On which.
    pub entity_id: String,
    /// Before.
    pub before: Option<Value>,
    /// After.
    pub after: Option<Value>,
    /// When (UTC).
    pub at: String,
}

/// Filters for [`list`].
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this entity.
    pub entity_id: Option<String>,
    /// Only this kind of entity.
    pub entity_type: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this actor.
    pub actor_id: Option<String>,
    /// Entries after this seq (pagination cursor).
    pub after_seq: i64,
    /// Page size.
    pub limit: i64,
}

/// Reads the audit log of the actor's organization (admin and auditor only).
pub async fn list(db: &Db, actor: &Actor, filter: &Filter) -> Result<Vec<Entry>, StoreError> {
    actor.require(Permission::ReadAudit)?;
    let query = q("SELECT seq, actor_id, action, entity_type, entity_id, before_json, after_json, at FROM audit_log
                   WHERE org_id = $1 AND seq > $2
                     AND ($3 IS NULL OR entity_id = $3) AND ($4 IS NULL OR entity_type = $4)
                     AND ($5 IS NULL OR action = $5) AND ($6 IS NULL OR actor_id = $6)
                   ORDER BY seq LIMIT $7")
        .bind(&actor.org_id)
        .bind(filter.after_seq)
        .bind(filter.entity_id.clone())
        .bind(filter.entity_type.clone())
        .bind(filter.action.clone())
        .bind(filter.actor_id.clone())
        .bind(filter.limit);
    let parse =
        |text: Option<String>| text.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)));
    db.fetch_all(query)
        .await?
        .iter()
        .map(|r| {
            Ok(Entry {
                seq: r.i64("seq")?,
                actor_id: r.text("actor_id")?,
                action: r.text("action")?,
                entity_type: r.text("entity_type")?,
                entity_id: r.text("entity_id")?,
                before: parse(r.opt_text("before_json")?),
                after: parse(r.opt_text("after_json")?),
                at: r.text("at")?,
            })
        })
        .collect()
}
