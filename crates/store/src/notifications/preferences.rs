//! Notification preferences: the organization's defaults (`investor_id` '') and each
//! investor's own rows (`fund_id` '' = every fund). A save replaces the whole set of one
//! owner (PUT semantics); an unsubscribe link turns single rows off.

use clearway_core::access::{Permission, Role};
use clearway_core::notifications::preferences::PreferenceRow;
use clearway_core::notifications::{Channel, EventKind};
use clearway_core::{FieldError, Invalid};

// The one investor check of the store (404 across organizations and for another investor).
pub(crate) use crate::reinvestment::check_investor_tx as check_investor;
use crate::{now_text, q, Actor, Db, Row, StoreError, Tx};

const COLUMNS: &str = "investor_id, fund_id, event_kind, channel, enabled";

fn from_row(r: &Row) -> Result<PreferenceRow, StoreError> {
    let some = |t: String| (!t.is_empty()).then_some(t);
    Ok(PreferenceRow {
        investor_id: some(r.text("investor_id")?),
        fund_id: some(r.text("fund_id")?),
        kind: r.parse::<EventKind>("event_kind")?,
        channel: r.parse::<Channel>("channel")?,
        enabled: r.i64("enabled")? != 0,
    })
}

/// Investors change their own; operators and admins anyone's; defaults are for admins.
async fn check_owner(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: Option<&str>,
) -> Result<(), StoreError> {
    match investor_id {
        None => actor.require(Permission::Administer),
        Some(id) => {
            check_investor(tx, actor, id).await?;
            if actor.role == Role::Investor {
                Ok(())
            } else {
                actor.require(Permission::Operate)
            }
        }
    }
}

/// The stored rows of one owner (`None`: the organization's defaults), fund then kind order.
pub async fn list(
    db: &Db,
    actor: &Actor,
    investor_id: Option<&str>,
) -> Result<Vec<PreferenceRow>, StoreError> {
    let mut tx = db.begin().await?;
    match investor_id {
        None => actor.require(Permission::Administer)?,
        Some(id) => check_investor(&mut tx, actor, id).await?,
    }
    let rows = list_tx(&mut tx, actor, investor_id).await?;
    tx.commit().await?;
    Ok(rows)
}

/// [`list`] inside a transaction, without the access check (callers made it).
pub async fn list_tx(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: Option<&str>,
) -> Result<Vec<PreferenceRow>, StoreError> {
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM notification_preferences WHERE org_id = $1 AND investor_id = $2 ORDER BY fund_id, event_kind, channel"))
                .bind(&actor.org_id)
                .bind(investor_id.unwrap_or("")),
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// Every row that can apply to the investor: their own and the organization's defaults
/// (the input of `clearway_core::notifications::preferences::enabled`).
pub async fn applicable(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
) -> Result<Vec<PreferenceRow>, StoreError> {
    let mut tx = db.begin().await?;
    check_investor(&mut tx, actor, investor_id).await?;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM notification_preferences WHERE org_id = $1 AND investor_id IN ('', $2)"))
                .bind(&actor.org_id)
                .bind(investor_id),
        )
        .await?;
    tx.commit().await?;
    rows.iter().map(from_row).collect()
}

/// The fund ids of `rows` resolved from id or code: each must be the organization's, and
/// for investor users one they hold or committed to. Errors name `preferences[i].fundId`.
async fn resolve_funds(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: Option<&str>,
    rows: &[PreferenceRow],
) -> Result<Vec<Option<String>>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let Some(fund) = r.fund_id.as_deref() else {
            out.push(None);
            continue;
        };
        let held = actor.role == Role::Investor;
        let found = tx
            .fetch_optional(
                q("SELECT f.id FROM funds f WHERE f.org_id = $1 AND (f.id = $2 OR f.code = $2)
                     AND ($3 = 0 OR EXISTS (SELECT 1 FROM holdings h WHERE h.fund_id = f.id AND h.investor_id = $4)
                                 OR EXISTS (SELECT 1 FROM commitments c WHERE c.fund_id = f.id AND c.investor_id = $4))")
                    .bind(&actor.org_id)
                    .bind(fund)
                    .bind(i64::from(held))
                    .bind(investor_id.unwrap_or("")),
            )
            .await?;
        match found {
            Some(row) => out.push(Some(row.text("id")?)),
            None => {
                errors.push(FieldError::new(
                    format!("preferences[{i}].fundId"),
                    "no such fund",
                ));
                out.push(None);
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Invalid(errors).into())
    }
}

/// Replaces every row of one owner (`None`: the organization's defaults) with `rows`
/// (their `investor_id` is ignored); returns the rows before and after. A (fund, kind,
/// channel) given twice is refused naming the second.
pub async fn replace(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: Option<&str>,
    rows: &[PreferenceRow],
) -> Result<(Vec<PreferenceRow>, Vec<PreferenceRow>), StoreError> {
    check_owner(tx, actor, investor_id).await?;
    let funds = resolve_funds(tx, actor, investor_id, rows).await?;
    let mut seen = std::collections::HashSet::new();
    for (i, (r, f)) in rows.iter().zip(&funds).enumerate() {
        if !seen.insert((f.clone(), r.kind, r.channel)) {
            return Err(Invalid::from(FieldError::new(
                format!("preferences[{i}]"),
                "the same fund, event kind and channel are given twice",
            ))
            .into());
        }
    }
    let before = list_tx(tx, actor, investor_id).await?;
    let owner = investor_id.unwrap_or("");
    tx.execute(
        q("DELETE FROM notification_preferences WHERE org_id = $1 AND investor_id = $2")
            .bind(&actor.org_id)
            .bind(owner),
    )
    .await?;
    let now = now_text();
    for (r, f) in rows.iter().zip(&funds) {
        insert(
            tx,
            actor,
            owner,
            f.as_deref().unwrap_or(""),
            r.kind,
            r.channel,
            r.enabled,
            &now,
        )
        .await?;
    }
    let after = list_tx(tx, actor, investor_id).await?;
    Ok((before, after))
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    fund_id: &str,
    kind: EventKind,
    channel: Channel,
    enabled: bool,
    now: &str,
) -> Result<(), StoreError> {
    tx.execute(
        q("INSERT INTO notification_preferences (org_id, investor_id, fund_id, event_kind, channel, enabled, updated_at, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (org_id, investor_id, fund_id, event_kind, channel)
           DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(fund_id)
            .bind(kind.as_str())
            .bind(channel.as_str())
            .bind(i64::from(enabled))
            .bind(now)
            .bind(&actor.user_id),
    )
    .await?;
    Ok(())
}

/// Turns the investor's own rows off for `kinds` on `channel` for one fund (`None`: every
/// fund), as an unsubscribe link does (system actor of the link's organization). Returns the
/// investor's rows before and after; a second call changes nothing.
pub async fn turn_off(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    fund_id: Option<&str>,
    kinds: &[EventKind],
    channel: Channel,
) -> Result<(Vec<PreferenceRow>, Vec<PreferenceRow>), StoreError> {
    check_owner(tx, actor, Some(investor_id)).await?;
    let before = list_tx(tx, actor, Some(investor_id)).await?;
    let now = now_text();
    for kind in kinds {
        insert(
            tx,
            actor,
            investor_id,
            fund_id.unwrap_or(""),
            *kind,
            channel,
            false,
            &now,
        )
        .await?;
    }
    let after = list_tx(tx, actor, Some(investor_id)).await?;
    Ok((before, after))
}

/// The funds an investor holds or committed to, as (id, code, name) by code: the funds
/// their preferences may name.
pub async fn investor_funds(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let mut tx = db.begin().await?;
    check_investor(&mut tx, actor, investor_id).await?;
    let rows = tx
        .fetch_all(
            q("SELECT f.id, f.code, f.name FROM funds f WHERE f.org_id = $1
                 AND (EXISTS (SELECT 1 FROM holdings h WHERE h.fund_id = f.id AND h.investor_id = $2)
                      OR EXISTS (SELECT 1 FROM commitments c WHERE c.fund_id = f.id AND c.investor_id = $2))
               ORDER BY f.code")
                .bind(&actor.org_id)
                .bind(investor_id),
        )
        .await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| Ok((r.text("id")?, r.text("code")?, r.text("name")?)))
        .collect()
}
