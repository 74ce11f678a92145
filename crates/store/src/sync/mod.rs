//! Fund-administrator sync: per-organization ownership of each domain, the files received with
//! their reports, and the conflict queue. Staff only: an investor's actor gets NotFound.
//! The writes of applied values go through each domain's own store (NAVs, holdings, elections,
//! payees); what is here is the sync's own bookkeeping, plus the bulk reads it compares with.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::sync::{ConflictStatus, Domain, Ownership, Resolution, Side};
use rust_decimal::Decimal;
use serde_json::json;

use crate::audit::{self, Change};
use crate::{new_id, now_text, outbox, q, Actor, Row, StoreError, Tx};

mod files;
pub use files::*;

/// Staff who may do `permission`; investors learn nothing (NotFound).
pub fn staff(actor: &Actor, permission: Permission) -> Result<(), StoreError> {
    actor.require(permission)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("sync"));
    }
    Ok(())
}

/// The organization's ownership (defaults where no row was written).
pub async fn ownership_tx(tx: &mut Tx, actor: &Actor) -> Result<Ownership, StoreError> {
    staff(actor, Permission::Read)?;
    let mut out = Ownership::default();
    for r in tx
        .fetch_all(
            q("SELECT domain, owner FROM sync_ownership WHERE org_id = $1").bind(&actor.org_id),
        )
        .await?
    {
        let domain = Domain::parse(&r.text("domain")?)
            .ok_or_else(|| StoreError::Corrupt("sync_ownership.domain".into()))?;
        let owner = Side::parse(&r.text("owner")?)
            .ok_or_else(|| StoreError::Corrupt("sync_ownership.owner".into()))?;
        out.set(domain, owner);
    }
    Ok(out)
}

fn ownership_json(o: &Ownership) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for d in Domain::ALL {
        m.insert(d.as_str().into(), o.owner(*d).as_str().into());
    }
    m.into()
}

/// Sets the ownership (operators), audited with an event `sync.ownership_changed`; returns
/// whether anything changed (an identical PUT writes nothing).
pub async fn put_ownership_tx(
    tx: &mut Tx,
    actor: &Actor,
    new: &Ownership,
) -> Result<bool, StoreError> {
    staff(actor, Permission::Operate)?;
    let before = ownership_tx(tx, actor).await?;
    if before == *new {
        return Ok(false);
    }
    let now = now_text();
    for d in Domain::ALL {
        tx.execute(
            q("INSERT INTO sync_ownership (org_id, domain, owner, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (org_id, domain) DO UPDATE SET owner = excluded.owner, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
                .bind(&actor.org_id)
                .bind(d.as_str())
                .bind(new.owner(*d).as_str())
                .bind(&actor.user_id)
                .bind(&now),
        )
        .await?;
    }
    let after = ownership_json(new);
    audit::record(
        tx,
        actor,
        Change {
            action: "sync.ownership.change",
            entity_type: "organization",
            entity_id: &actor.org_id,
            before: Some(ownership_json(&before)),
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "sync.ownership_changed",
        "organization",
        &actor.org_id,
        json!({ "ownership": after, "actorId": actor.user_id }),
    )
    .await?;
    Ok(true)
}

/// A conflict as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub id: String,
    pub domain: Domain,
    pub entity_id: String,
    pub label: String,
    pub field: String,
    pub ours: Option<String>,
    pub theirs: String,
    pub source: String,
    pub file_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub status: ConflictStatus,
    pub resolution: Option<Resolution>,
    pub resolved_value: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
}

const CONFLICT_COLUMNS: &str = "id, domain, entity_id, label, field, ours, theirs, source, file_id, created_at, updated_at, status, resolution, resolved_value, resolved_by, resolved_at";

fn conflict_from(r: &Row) -> Result<Conflict, StoreError> {
    let corrupt = |c: &str| StoreError::Corrupt(format!("sync_conflicts.{c}"));
    Ok(Conflict {
        id: r.text("id")?,
        domain: Domain::parse(&r.text("domain")?).ok_or_else(|| corrupt("domain"))?,
        entity_id: r.text("entity_id")?,
        label: r.text("label")?,
        field: r.text("field")?,
        ours: r.opt_text("ours")?,
        theirs: r.text("theirs")?,
        source: r.text("source")?,
        file_id: r.opt_text("file_id")?,
        created_at: r.text("created_at")?,
        updated_at: r.text("updated_at")?,
        status: ConflictStatus::parse(&r.text("status")?).ok_or_else(|| corrupt("status"))?,
        resolution: match r.opt_text("resolution")? {
            None => None,
            Some(t) => Some(Resolution::parse(&t).ok_or_else(|| corrupt("resolution"))?),
        },
        resolved_value: r.opt_text("resolved_value")?,
        resolved_by: r.opt_text("resolved_by")?,
        resolved_at: r.opt_text("resolved_at")?,
    })
}

/// A conflict to open (or, when one is open for the same entity and field, to refresh).
#[derive(Debug, Clone)]
pub struct NewConflict<'a> {
    pub domain: Domain,
    pub entity_id: &'a str,
    pub label: &'a str,
    pub field: &'a str,
    pub ours: Option<&'a str>,
    pub theirs: &'a str,
    pub source: &'a str,
    pub file_id: Option<&'a str>,
}

/// Opens the conflicts, or updates the open one of the same entity and field with the newer
/// "theirs" (and "ours" as it is now). Returns how many were new.
pub async fn open_conflicts(
    tx: &mut Tx,
    actor: &Actor,
    conflicts: &[NewConflict<'_>],
) -> Result<usize, StoreError> {
    staff(actor, Permission::Operate)?;
    let now = now_text();
    let mut opened = 0;
    for c in conflicts {
        let updated = tx
            .execute(
                q("UPDATE sync_conflicts SET theirs = $1, ours = $2, source = $3, file_id = $4, updated_at = $5
                   WHERE org_id = $6 AND domain = $7 AND entity_id = $8 AND field = $9 AND status = 'OPEN'")
                    .bind(c.theirs)
                    .bind(c.ours.map(str::to_string))
                    .bind(c.source)
                    .bind(c.file_id.map(str::to_string))
                    .bind(&now)
                    .bind(&actor.org_id)
                    .bind(c.domain.as_str())
                    .bind(c.entity_id)
                    .bind(c.field),
            )
            .await?;
        if updated > 0 {
            continue;
        }
        tx.execute(
            q(format!("INSERT INTO sync_conflicts ({CONFLICT_COLUMNS}, org_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 'OPEN', NULL, NULL, NULL, NULL, $11)"))
                .bind(new_id())
                .bind(c.domain.as_str())
                .bind(c.entity_id)
                .bind(c.label)
                .bind(c.field)
                .bind(c.ours.map(str::to_string))
                .bind(c.theirs)
                .bind(c.source)
                .bind(c.file_id.map(str::to_string))
                .bind(&now)
                .bind(&actor.org_id),
        )
        .await?;
        opened += 1;
    }
    Ok(opened)
}

/// One conflict of the organization (NotFound for another's).
pub async fn conflict_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Conflict, StoreError> {
    staff(actor, Permission::Read)?;
    tx.fetch_optional(
        q(format!(
            "SELECT {CONFLICT_COLUMNS} FROM sync_conflicts WHERE org_id = $1 AND id = $2"
        ))
        .bind(&actor.org_id)
        .bind(id),
    )
    .await?
    .as_ref()
    .map(conflict_from)
    .transpose()?
    .ok_or(StoreError::NotFound("conflict"))
}

/// Conflicts with `status`, oldest first, after the cursor (`created_at|id` of the last shown).
pub async fn list_conflicts(
    tx: &mut Tx,
    actor: &Actor,
    status: ConflictStatus,
    limit: i64,
    cursor: Option<(&str, &str)>,
) -> Result<Vec<Conflict>, StoreError> {
    staff(actor, Permission::Read)?;
    let (at, id) = cursor.unwrap_or(("", ""));
    tx.fetch_all(
        q(format!("SELECT {CONFLICT_COLUMNS} FROM sync_conflicts WHERE org_id = $1 AND status = $2
                   AND (created_at > $3 OR (created_at = $3 AND id > $4)) ORDER BY created_at, id LIMIT $5"))
            .bind(&actor.org_id)
            .bind(status.as_str())
            .bind(at)
            .bind(id)
            .bind(limit),
    )
    .await?
    .iter()
    .map(conflict_from)
    .collect()
}

/// Open conflicts of the organization.
pub async fn open_count(tx: &mut Tx, actor: &Actor) -> Result<i64, StoreError> {
    staff(actor, Permission::Read)?;
    tx.count(
        q("SELECT COUNT(*) AS n FROM sync_conflicts WHERE org_id = $1 AND status = 'OPEN'")
            .bind(&actor.org_id),
    )
    .await
}

/// Marks an OPEN conflict resolved (Conflict when it is not open any more), audited with an
/// event `sync.conflict_resolved`. The value itself is written by the caller, in the same
/// transaction, through the domain's own store.
pub async fn mark_resolved(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    resolution: Resolution,
    value: Option<&str>,
) -> Result<Conflict, StoreError> {
    staff(actor, Permission::Operate)?;
    let before = conflict_tx(tx, actor, id).await?;
    let n = tx
        .execute(
            q("UPDATE sync_conflicts SET status = 'RESOLVED', resolution = $1, resolved_value = $2, resolved_by = $3, resolved_at = $4, updated_at = $4
               WHERE org_id = $5 AND id = $6 AND status = 'OPEN'")
                .bind(resolution.as_str())
                .bind(value.map(str::to_string))
                .bind(&actor.user_id)
                .bind(now_text())
                .bind(&actor.org_id)
                .bind(id),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "conflict {id} is {}, not OPEN",
            before.status
        )));
    }
    let after = conflict_tx(tx, actor, id).await?;
    let state = |c: &Conflict| {
        json!({ "domain": c.domain.as_str(), "entityId": c.entity_id, "field": c.field,
                "ours": c.ours, "theirs": c.theirs, "status": c.status.as_str(),
                "resolution": c.resolution.map(|r| r.as_str()), "resolvedValue": c.resolved_value })
    };
    audit::record(
        tx,
        actor,
        Change {
            action: "sync.conflict.resolve",
            entity_type: "sync_conflict",
            entity_id: id,
            before: Some(state(&before)),
            after: Some(state(&after)),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "sync.conflict_resolved",
        "sync_conflict",
        id,
        json!({ "conflict": state(&after), "actorId": actor.user_id }),
    )
    .await?;
    Ok(after)
}

/// Which of `ids` are investors of the organization.
pub async fn known_investors(
    tx: &mut Tx,
    actor: &Actor,
    ids: &HashSet<&str>,
) -> Result<HashSet<String>, StoreError> {
    let ids: Vec<&str> = ids.iter().copied().collect();
    let mut out = HashSet::new();
    for chunk in ids.chunks(4_000) {
        let mut query = q(format!(
            "SELECT id FROM investors WHERE org_id = $1 AND id IN ({})",
            crate::db::placeholders(2, chunk.len())
        ))
        .bind(&actor.org_id);
        for id in chunk {
            query.push(*id);
        }
        for r in tx.fetch_all(query).await? {
            out.insert(r.text("id")?);
        }
    }
    Ok(out)
}

/// Units per investor in one class of a fund as of `date` (the latest row on or before it),
/// with the date of that row.
pub async fn units_as_of(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    class: &str,
    date: NaiveDate,
) -> Result<HashMap<String, (NaiveDate, Decimal)>, StoreError> {
    let rows = tx
        .fetch_all(
            q("SELECT investor_id, as_of, units FROM holdings WHERE org_id = $1 AND fund_id = $2 AND share_class = $3 AND as_of <= $4 ORDER BY investor_id, as_of")
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(class)
                .bind(date.to_string()),
        )
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        // Sorted by date within an investor: the last row wins.
        out.insert(
            r.text("investor_id")?,
            (r.parse("as_of")?, r.parse("units")?),
        );
    }
    Ok(out)
}

/// Removes the holdings rows of exactly `as_of` for these investors (before they are written
/// again with the new units: the holdings key includes the date).
pub async fn clear_holdings_at(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    class: &str,
    as_of: NaiveDate,
    investors: &[&str],
) -> Result<(), StoreError> {
    staff(actor, Permission::Operate)?;
    for chunk in investors.chunks(4_000) {
        let mut query = q(format!(
            "DELETE FROM holdings WHERE org_id = $1 AND fund_id = $2 AND share_class = $3 AND as_of = $4 AND investor_id IN ({})",
            crate::db::placeholders(5, chunk.len())
        ))
        .bind(&actor.org_id)
        .bind(fund_id)
        .bind(class)
        .bind(as_of.to_string());
        for id in chunk {
            query.push(*id);
        }
        tx.execute(query).await?;
    }
    Ok(())
}

/// Stored NAVs of a fund between two dates, by (class, date).
pub async fn navs_between(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<HashMap<(String, NaiveDate), Decimal>, StoreError> {
    tx.fetch_all(
        q("SELECT share_class, as_of, nav FROM nav_snapshots WHERE org_id = $1 AND fund_id = $2 AND as_of >= $3 AND as_of <= $4")
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(first.to_string())
            .bind(last.to_string()),
    )
    .await?
    .iter()
    .map(|r| Ok(((r.text("share_class")?, r.parse("as_of")?), r.parse("nav")?)))
    .collect()
}
