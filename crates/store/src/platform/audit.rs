//! The audit log: who changed what, when, before and after. Written in the caller's
//! transaction, so a change and its audit entry commit or vanish together.

use clearway_core::access::Permission;
use serde_json::Value;

use crate::db::audit_chain::{self, AuditRow, GENESIS};
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

/// Writes an audit entry inside `tx` (chained to the organization's log at commit).
pub async fn record(tx: &mut Tx, actor: &Actor, change: Change<'_>) -> Result<(), StoreError> {
    tx.push_audit(row(actor, &change, now_text()));
    Ok(())
}

/// Writes many audit entries inside `tx`, in the given order, stamped with one time (the
/// same rows as [`record`] once per change; loaded in bulk at commit).
pub async fn record_many(
    tx: &mut Tx,
    actor: &Actor,
    changes: &[Change<'_>],
) -> Result<(), StoreError> {
    let now = now_text();
    for change in changes {
        tx.push_audit(row(actor, change, now.clone()));
    }
    Ok(())
}

/// One change with its states already as JSON text (compact, as `Value::to_string` writes
/// them): for bulk writers that build the text directly instead of a `Value` per entry.
#[derive(Debug, Clone)]
pub struct ChangeText<'a> {
    /// Verb.
    pub action: &'a str,
    /// Kind of thing changed.
    pub entity_type: &'a str,
    /// Its id.
    pub entity_id: &'a str,
    /// State before, as JSON text.
    pub before: Option<String>,
    /// State after, as JSON text.
    pub after: Option<String>,
}

/// [`record_many`] for changes whose states are JSON text already (the same rows).
pub fn record_many_text(tx: &mut Tx, actor: &Actor, changes: Vec<ChangeText<'_>>) {
    let now = now_text();
    for c in changes {
        tx.push_audit(AuditRow {
            id: new_id(),
            org_id: actor.org_id.clone(),
            actor_id: actor.user_id.clone(),
            action: c.action.into(),
            entity_type: c.entity_type.into(),
            entity_id: c.entity_id.into(),
            before_json: c.before,
            after_json: c.after,
            request_id: None,
            at: now.clone(),
        });
    }
}

fn row(actor: &Actor, change: &Change<'_>, at: String) -> AuditRow {
    AuditRow {
        id: new_id(),
        org_id: actor.org_id.clone(),
        actor_id: actor.user_id.clone(),
        action: change.action.into(),
        entity_type: change.entity_type.into(),
        entity_id: change.entity_id.into(),
        before_json: change.before.as_ref().map(Value::to_string),
        after_json: change.after.as_ref().map(Value::to_string),
        request_id: None,
        at,
    }
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

/// Filters of [`recent`]: the newest entries first, within a range of days.
#[derive(Debug, Clone, Default)]
pub struct RecentFilter {
    /// Only this entity.
    pub entity_id: Option<String>,
    /// Only this kind of entity.
    pub entity_type: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Entries on or after this day (UTC).
    pub from: Option<chrono::NaiveDate>,
    /// Entries on or before this day (UTC).
    pub to: Option<chrono::NaiveDate>,
    /// Entries before this seq (pagination cursor).
    pub before_seq: Option<i64>,
    /// Page size.
    pub limit: i64,
}

/// An entry with the name of the user who made it (`None` for system actors).
#[derive(Debug, Clone)]
pub struct NamedEntry {
    /// The entry.
    pub entry: Entry,
    /// Its actor's name.
    pub actor_name: Option<String>,
}

/// Reads the audit log of the actor's organization newest first (admin and auditor only).
pub async fn recent(
    db: &Db,
    actor: &Actor,
    f: &RecentFilter,
) -> Result<Vec<NamedEntry>, StoreError> {
    actor.require(Permission::ReadAudit)?;
    // Stored times are `YYYY-MM-DDTHH:MM:SS.ffffffZ`: a day range is a text range.
    let from = f.from.map(|d| d.to_string());
    let until = f.to.and_then(|d| d.succ_opt()).map(|d| d.to_string());
    let query = q("SELECT a.seq, a.actor_id, a.action, a.entity_type, a.entity_id, a.before_json, a.after_json, a.at,
                          (SELECT u.name FROM users u WHERE u.id = a.actor_id AND u.org_id = a.org_id) AS actor_name
                   FROM audit_log a
                   WHERE a.org_id = $1 AND ($2 IS NULL OR a.seq < $2)
                     AND ($3 IS NULL OR a.entity_id = $3) AND ($4 IS NULL OR a.entity_type = $4)
                     AND ($5 IS NULL OR a.action = $5) AND ($6 IS NULL OR a.at >= $6) AND ($7 IS NULL OR a.at < $7)
                   ORDER BY a.seq DESC LIMIT $8")
        .bind(&actor.org_id)
        .bind(f.before_seq)
        .bind(f.entity_id.clone())
        .bind(f.entity_type.clone())
        .bind(f.action.clone())
        .bind(from)
        .bind(until)
        .bind(f.limit);
    let parse =
        |text: Option<String>| text.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)));
    db.fetch_all(query)
        .await?
        .iter()
        .map(|r| {
            Ok(NamedEntry {
                entry: Entry {
                    seq: r.i64("seq")?,
                    actor_id: r.text("actor_id")?,
                    action: r.text("action")?,
                    entity_type: r.text("entity_type")?,
                    entity_id: r.text("entity_id")?,
                    before: parse(r.opt_text("before_json")?),
                    after: parse(r.opt_text("after_json")?),
                    at: r.text("at")?,
                },
                actor_name: r.opt_text("actor_name")?,
            })
        })
        .collect()
}

/// What [`verify`] found in one organization's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries checked.
    pub entries: u64,
    /// Hash of the newest entry (the organization's recorded head when the chain is intact).
    pub head: String,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}

/// Where and why the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// `seq` of the first entry that fails (None when the tail is missing).
    pub seq: Option<i64>,
    /// Its id.
    pub id: Option<String>,
    /// What does not match.
    pub reason: String,
}

const VERIFY_PAGE: i64 = 5_000;

/// Walks the actor's organization's audit chain in order and names the first broken link:
/// an entry whose `prev_hash` is not its predecessor's hash (deleted, inserted or reordered
/// entries), whose `entry_hash` does not match its fields (an edited entry), or a newest
/// entry that is not the organization's recorded head (a removed tail).
pub async fn verify(db: &Db, actor: &Actor) -> Result<Verification, StoreError> {
    actor.require(Permission::ReadAudit)?;
    let mut prev = GENESIS.to_string();
    let (mut entries, mut after) = (0u64, 0i64);
    let broken = |seq: i64, id: String, reason: String| BrokenLink {
        seq: Some(seq),
        id: Some(id),
        reason,
    };
    loop {
        let rows = db
            .fetch_all(
                q(format!(
                    "SELECT {STORED_COLUMNS}, prev_hash, entry_hash
                   FROM audit_log WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                ))
                .bind(&actor.org_id)
                .bind(after)
                .bind(VERIFY_PAGE),
            )
            .await?;
        for r in &rows {
            let (seq, row) = (r.i64("seq")?, stored_row(r)?);
            let (stored_prev, stored_hash) = (r.opt_text("prev_hash")?, r.opt_text("entry_hash")?);
            let fail = if stored_prev.as_deref() != Some(prev.as_str()) {
                Some("its previous-entry hash does not match the entry before it (an entry was removed, inserted or moved)".to_string())
            } else if stored_hash.as_deref() != Some(audit_chain::entry_hash(&prev, &row).as_str())
            {
                Some("its contents do not match its hash (the entry was edited)".to_string())
            } else {
                None
            };
            if let Some(reason) = fail {
                return Ok(Verification {
                    entries,
                    head: prev,
                    broken: Some(broken(seq, row.id, reason)),
                });
            }
            prev = stored_hash.unwrap_or_default();
            entries += 1;
            after = seq;
        }
        if (rows.len() as i64) < VERIFY_PAGE {
            break;
        }
    }
    let head = db
        .fetch_optional(q("SELECT audit_head FROM organizations WHERE id = $1").bind(&actor.org_id))
        .await?
        .map(|r| r.opt_text("audit_head"))
        .transpose()?
        .flatten()
        .unwrap_or_else(|| GENESIS.into());
    let broken = (head != prev).then(|| BrokenLink {
        seq: None,
        id: None,
        reason: format!("the newest entry ({prev}) is not the recorded head ({head}): entries at the end were removed"),
    });
    Ok(Verification {
        entries,
        head: prev,
        broken,
    })
}

/// What [`stored_row`] reads (and `seq`), for both readers of the chain.
const STORED_COLUMNS: &str = "seq, id, org_id, actor_id, action, entity_type, entity_id, before_json, after_json, request_id, at";

fn stored_row(r: &crate::Row) -> Result<AuditRow, StoreError> {
    Ok(AuditRow {
        id: r.text("id")?,
        org_id: r.text("org_id")?,
        actor_id: r.text("actor_id")?,
        action: r.text("action")?,
        entity_type: r.text("entity_type")?,
        entity_id: r.text("entity_id")?,
        before_json: r.opt_text("before_json")?,
        after_json: r.opt_text("after_json")?,
        request_id: r.opt_text("request_id")?,
        at: r.text("at")?,
    })
}

/// Chains the entries written before the chain existed (migration `0012_audit_chain`), per
/// organization in `seq` order. Runs at every migration run, before anything new is
/// written; only organizations without a head are touched, so once chained, an entry whose
/// hash is later removed stays a broken link for [`verify`] instead of being re-chained.
pub(crate) async fn chain_existing(db: &Db) -> Result<u64, StoreError> {
    let unchained = q(
        "SELECT DISTINCT a.org_id FROM audit_log a JOIN organizations o ON o.id = a.org_id
           WHERE a.entry_hash IS NULL AND o.audit_head IS NULL ORDER BY a.org_id",
    );
    // Read first: a migration run with nothing to chain (every start) opens no write
    // transaction, so a process that only reads never becomes a writer.
    if db.fetch_all(unchained.clone()).await?.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let orgs = tx.fetch_all(unchained).await?;
    let mut chained = 0;
    for org in &orgs {
        let org = org.text("org_id")?;
        let mut prev = audit_chain::lock_head(&mut tx, &org).await?;
        let rows = tx
            .fetch_all(
                q(format!(
                    "SELECT {STORED_COLUMNS}
                   FROM audit_log WHERE org_id = $1 AND entry_hash IS NULL ORDER BY seq"
                ))
                .bind(&org),
            )
            .await?;
        for r in &rows {
            let hash = audit_chain::entry_hash(&prev, &stored_row(r)?);
            tx.execute(
                q("UPDATE audit_log SET prev_hash = $1, entry_hash = $2 WHERE seq = $3")
                    .bind(&prev)
                    .bind(&hash)
                    .bind(r.i64("seq")?),
            )
            .await?;
            prev = hash;
            chained += 1;
        }
        tx.execute(
            q("UPDATE organizations SET audit_head = $1 WHERE id = $2")
                .bind(&prev)
                .bind(&org),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(chained)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::fresh_database;
    use crate::DbOptions;

    fn base_url() -> Option<String> {
        std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
    }

    async fn org(db: &Db, name: &str) -> Actor {
        let mut tx = db.begin().await.unwrap();
        let id = crate::auth::create_org(&mut tx, name).await.unwrap();
        tx.commit().await.unwrap();
        Actor::system(&id)
    }

    fn change(i: usize) -> Change<'static> {
        Change {
            action: "test.change",
            entity_type: "thing",
            entity_id: "t1",
            before: None,
            after: Some(json!({ "i": i })),
        }
    }

    /// Concurrent writers of one organization (and of another, interleaved) still leave one
    /// unbroken chain each: the head is locked at commit, so entries chain in commit order.
    #[tokio::test]
    async fn concurrent_writers_leave_one_intact_chain_per_organization() {
        let options = DbOptions { max_connections: 8 };
        let fresh = fresh_database(base_url().as_deref(), &options)
            .await
            .unwrap();
        let (a, b) = (org(&fresh.db, "A").await, org(&fresh.db, "B").await);
        let mut tasks = Vec::new();
        for t in 0..8 {
            let (db, actor) = (
                fresh.db.clone(),
                if t % 2 == 0 { a.clone() } else { b.clone() },
            );
            tasks.push(tokio::spawn(async move {
                for i in 0..20 {
                    let mut tx = db.begin().await.unwrap();
                    if i % 5 == 0 {
                        let many: Vec<_> = (0..3).map(change).collect();
                        record_many(&mut tx, &actor, &many).await.unwrap();
                    } else {
                        record(&mut tx, &actor, change(i)).await.unwrap();
                    }
                    tx.commit().await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        for actor in [&a, &b] {
            let v = verify(&fresh.db, actor).await.unwrap();
            assert_eq!(v.broken, None);
            assert_eq!(v.entries, 4 * (16 + 4 * 3));
            assert_ne!(v.head, GENESIS);
        }
        // A rolled-back transaction leaves nothing behind, chain included.
        let mut tx = fresh.db.begin().await.unwrap();
        record(&mut tx, &a, change(99)).await.unwrap();
        drop(tx);
        assert_eq!(verify(&fresh.db, &a).await.unwrap().entries, 112);
        // Investors and operators may not read (or verify) the audit log.
        let operator = Actor {
            role: clearway_core::access::Role::Operator,
            ..a.clone()
        };
        assert!(matches!(
            verify(&fresh.db, &operator).await,
            Err(StoreError::Forbidden(_))
        ));
        fresh.drop_database().await;
    }

    /// Entries written before the chain existed are chained by the next migration run, in
    /// seq order; entries written afterwards continue that chain.
    #[tokio::test]
    async fn entries_from_before_the_chain_are_chained_at_migration() {
        let fresh = fresh_database(base_url().as_deref(), &DbOptions::default())
            .await
            .unwrap();
        let a = org(&fresh.db, "A").await;
        let mut tx = fresh.db.begin().await.unwrap();
        for i in 0..5 {
            tx.execute(
                q("INSERT INTO audit_log (id, org_id, actor_id, action, entity_type, entity_id, after_json, at) VALUES ($1, $2, 'u', 'legacy', 'thing', 't', $3, '2026-01-01T00:00:00Z')")
                    .bind(format!("legacy-{i}"))
                    .bind(&a.org_id)
                    .bind(format!("{{\"i\":{i}}}")),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let before = verify(&fresh.db, &a).await.unwrap();
        assert_eq!(before.entries, 0, "unchained entries are a broken link");
        assert!(before.broken.is_some());
        crate::migrate::run(&fresh.db).await.unwrap();
        let mut tx = fresh.db.begin().await.unwrap();
        record(&mut tx, &a, change(5)).await.unwrap();
        tx.commit().await.unwrap();
        let after = verify(&fresh.db, &a).await.unwrap();
        assert_eq!((after.entries, after.broken), (6, None));
        // Removing a chained entry's hashes does not get it re-chained by a later run.
        let mut tx = fresh.db.begin().await.unwrap();
        tx.execute(q(
            "UPDATE audit_log SET entry_hash = NULL, prev_hash = NULL WHERE id = 'legacy-2'",
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
        crate::migrate::run(&fresh.db).await.unwrap();
        let broken = verify(&fresh.db, &a).await.unwrap().broken.unwrap();
        assert_eq!(broken.id.as_deref(), Some("legacy-2"));
        fresh.drop_database().await;
    }
}

/// One step of a record's history: what was done, by whom, when (no before/after bodies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Position in the log (cursor).
    pub seq: i64,
    /// What.
    pub action: String,
    /// Who (user id).
    pub actor_id: String,
    /// Their name, if they are a user of the organization.
    pub actor_name: Option<String>,
    /// When (UTC).
    pub at: String,
}

/// The history of one record of the organization, oldest first, after `after_seq`: staff who
/// may read the record may read who changed it and when (the bodies stay [`list`]'s, for
/// admins and auditors).
pub async fn history(
    db: &Db,
    actor: &Actor,
    entity_type: &str,
    entity_id: &str,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Step>, StoreError> {
    actor.require(Permission::Read)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("history"));
    }
    let query = q("SELECT a.seq, a.action, a.actor_id, a.at, (SELECT u.name FROM users u WHERE u.id = a.actor_id AND u.org_id = a.org_id) AS actor_name
                   FROM audit_log a WHERE a.org_id = $1 AND a.entity_type = $2 AND a.entity_id = $3 AND a.seq > $4
                   ORDER BY a.seq LIMIT $5")
        .bind(&actor.org_id)
        .bind(entity_type)
        .bind(entity_id)
        .bind(after_seq)
        .bind(limit);
    db.fetch_all(query)
        .await?
        .iter()
        .map(|r| {
            Ok(Step {
                seq: r.i64("seq")?,
                action: r.text("action")?,
                actor_id: r.text("actor_id")?,
                actor_name: r.opt_text("actor_name")?,
                at: r.text("at")?,
            })
        })
        .collect()
}
