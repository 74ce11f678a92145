//! The in-app inbox: an investor's notices, newest first, with read marks. The engine
//! writes the rows; here they are listed, counted, marked read and read after an id (the
//! live feed). Ids are time-ordered (UUIDv7), so id order is arrival order.

use clearway_core::access::Role;

use crate::{new_id, now_text, q, Actor, Db, Row, StoreError, Tx};

use super::preferences::check_investor;

/// One notice in the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    /// Id (time-ordered).
    pub id: String,
    /// The investor it is for.
    pub investor_id: String,
    /// The outbox event it came from.
    pub event_id: String,
    /// Event kind (stored spelling).
    pub event_kind: String,
    /// The fund it is about, if any.
    pub fund_id: Option<String>,
    /// Short title.
    pub title: String,
    /// Text.
    pub body: String,
    /// A link into the portal, if any.
    pub link: Option<String>,
    /// When it arrived.
    pub created_at: String,
    /// When the investor read it.
    pub read_at: Option<String>,
}

/// A notice to store (tests and seeding; the engine has its own batched writer).
#[derive(Debug, Clone)]
pub struct NewInboxItem {
    /// Investor.
    pub investor_id: String,
    /// Outbox event id (one notice per event and investor).
    pub event_id: String,
    /// Event kind (stored spelling).
    pub event_kind: String,
    /// Fund, if any.
    pub fund_id: Option<String>,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Portal link.
    pub link: Option<String>,
}

const COLUMNS: &str =
    "id, investor_id, event_id, event_kind, fund_id, title, body, link, created_at, read_at";

fn from_row(r: &Row) -> Result<InboxItem, StoreError> {
    Ok(InboxItem {
        id: r.text("id")?,
        investor_id: r.text("investor_id")?,
        event_id: r.text("event_id")?,
        event_kind: r.text("event_kind")?,
        fund_id: r.opt_text("fund_id")?,
        title: r.text("title")?,
        body: r.text("body")?,
        link: r.opt_text("link")?,
        created_at: r.text("created_at")?,
        read_at: r.opt_text("read_at")?,
    })
}

/// A page of the investor's notices, newest first, older than `cursor` (an id).
pub async fn list(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Vec<InboxItem>, StoreError> {
    let mut tx = db.begin().await?;
    check_investor(&mut tx, actor, investor_id).await?;
    let rows = tx
        .fetch_all(
            q(format!(
                "SELECT {COLUMNS} FROM notifications WHERE org_id = $1 AND investor_id = $2 AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT {}",
                limit.clamp(1, 1000)
            ))
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(cursor.unwrap_or("")),
        )
        .await?;
    tx.commit().await?;
    rows.iter().map(from_row).collect()
}

/// How many of the investor's notices are unread.
pub async fn unread_count(db: &Db, actor: &Actor, investor_id: &str) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    check_investor(&mut tx, actor, investor_id).await?;
    let n = tx
        .count(
            q("SELECT COUNT(*) AS n FROM notifications WHERE org_id = $1 AND investor_id = $2 AND read_at IS NULL")
                .bind(&actor.org_id)
                .bind(investor_id),
        )
        .await?;
    tx.commit().await?;
    Ok(n)
}

/// The investor's notices after `after_id` (oldest first, at most `limit`): the live feed.
pub async fn after(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    after_id: &str,
    limit: i64,
) -> Result<Vec<InboxItem>, StoreError> {
    let mut tx = db.begin().await?;
    check_investor(&mut tx, actor, investor_id).await?;
    let rows = tx
        .fetch_all(
            q(format!(
                "SELECT {COLUMNS} FROM notifications WHERE org_id = $1 AND investor_id = $2 AND id > $3 ORDER BY id LIMIT {}",
                limit.clamp(1, 1000)
            ))
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(after_id),
        )
        .await?;
    tx.commit().await?;
    rows.iter().map(from_row).collect()
}

/// The newest notice id of the investor ('' with none): where a fresh live feed starts.
pub async fn newest_id(db: &Db, actor: &Actor, investor_id: &str) -> Result<String, StoreError> {
    let mut tx = db.begin().await?;
    check_investor(&mut tx, actor, investor_id).await?;
    let row = tx
        .fetch_optional(
            q("SELECT MAX(id) AS id FROM notifications WHERE org_id = $1 AND investor_id = $2")
                .bind(&actor.org_id)
                .bind(investor_id),
        )
        .await?;
    tx.commit().await?;
    Ok(match row {
        Some(r) => r.opt_text("id")?.unwrap_or_default(),
        None => String::new(),
    })
}

/// Marks one of the actor's own notices read (only investor users have an inbox; anyone
/// else's id is 404). Already read: unchanged. Returns the notice and whether it changed.
pub async fn mark_read(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
) -> Result<(InboxItem, bool), StoreError> {
    let own = match (&actor.investor_id, actor.role) {
        (Some(own), Role::Investor) => own.clone(),
        _ => return Err(StoreError::NotFound("notification")),
    };
    let changed = tx
        .execute(
            q("UPDATE notifications SET read_at = $4 WHERE org_id = $1 AND investor_id = $2 AND id = $3 AND read_at IS NULL")
                .bind(&actor.org_id)
                .bind(&own)
                .bind(id)
                .bind(now_text()),
        )
        .await?;
    let row = tx
        .fetch_optional(
            q(format!("SELECT {COLUMNS} FROM notifications WHERE org_id = $1 AND investor_id = $2 AND id = $3"))
                .bind(&actor.org_id)
                .bind(&own)
                .bind(id),
        )
        .await?
        .ok_or(StoreError::NotFound("notification"))?;
    Ok((from_row(&row)?, changed > 0))
}

/// Stores a notice for an investor of `org_id` (no access check: tests and seeding only;
/// production rows come from the engine). A second notice for the same event and investor
/// is ignored. Returns the new id, or `None` when it was already there.
pub async fn insert(db: &Db, org_id: &str, n: &NewInboxItem) -> Result<Option<String>, StoreError> {
    let id = new_id();
    let mut tx = db.begin().await?;
    let inserted = tx
        .execute(
            q("INSERT INTO notifications (id, org_id, investor_id, event_id, event_kind, fund_id, title, body, link, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_id, investor_id) DO NOTHING")
                .bind(&id)
                .bind(org_id)
                .bind(&n.investor_id)
                .bind(&n.event_id)
                .bind(&n.event_kind)
                .bind(n.fund_id.clone())
                .bind(&n.title)
                .bind(&n.body)
                .bind(n.link.clone())
                .bind(now_text()),
        )
        .await?;
    tx.commit().await?;
    Ok((inserted > 0).then_some(id))
}
