//! Notification messages: one row per (event, investor, channel, recipient role), queued by
//! the engine, claimed by senders under a lease, and left with the outcome. Statuses are the
//! core's `MessageStatus` spellings.

use std::time::Duration;

use chrono::{DateTime, Utc};
use clearway_core::access::Permission;
use serde_json::json;

use crate::audit::{self, Change};
use crate::{new_id, now_text, q, time_text, Actor, Db, Row, StoreError, Tx};

/// Why a message found `sending` after its lease is not sent again by itself.
pub const IN_DOUBT: &str = "in doubt: the sender stopped while this message was with the server; resend or mark sent after checking";

/// A message to record (queued, or skipped/suppressed with a reason).
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Organization.
    pub org_id: String,
    /// Outbox event.
    pub event_id: String,
    /// Investor told.
    pub investor_id: String,
    /// `email`, `sms` or `inApp`.
    pub channel: &'static str,
    /// Event kind spelling.
    pub event_kind: &'static str,
    /// Fund, when the event is about one.
    pub fund_id: Option<String>,
    /// `investor` or `previousContact`.
    pub recipient_role: &'static str,
    /// Address at queue time.
    pub address: Option<String>,
    /// Locale spelling.
    pub locale: &'static str,
    /// `queued`, `sent` (in-app), `skipped` or `suppressed`.
    pub status: &'static str,
    /// Why it was skipped or suppressed.
    pub reason: Option<String>,
    /// The notice's facts (`NoticeContext` as JSON).
    pub context: String,
}

const INSERT_COLUMNS: &str = "id, org_id, event_id, investor_id, channel, event_kind, fund_id, recipient_role, address, locale, status, reason, context, attempts, next_attempt_at, created_at, updated_at, sent_at";
const BOUND_PER_ROW: usize = 14;
const ROWS_PER_INSERT: usize = 400;

/// Records `messages` inside `tx`; one already recorded for the same key is left alone.
/// Returns how many were new.
pub async fn insert_many(tx: &mut Tx, messages: &[NewMessage]) -> Result<u64, StoreError> {
    let now = now_text();
    let mut added = 0;
    for chunk in messages.chunks(ROWS_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * BOUND_PER_ROW;
                let marks: Vec<String> =
                    (1..=BOUND_PER_ROW).map(|k| format!("${}", b + k)).collect();
                format!("({}, 0, $0, $0, $0, {})", marks[..13].join(", "), marks[13])
            })
            .collect();
        // `$0` is the shared timestamp, bound last.
        let ts = format!("${}", chunk.len() * BOUND_PER_ROW + 1);
        let sql = format!(
            "INSERT INTO notification_messages ({INSERT_COLUMNS}) VALUES {} ON CONFLICT (event_id, investor_id, channel, recipient_role) DO NOTHING",
            rows.join(", ").replace("$0", &ts)
        );
        let mut query = q(sql);
        for m in chunk {
            query.push(new_id());
            query.push(m.org_id.as_str());
            query.push(m.event_id.as_str());
            query.push(m.investor_id.as_str());
            query.push(m.channel);
            query.push(m.event_kind);
            query.push(m.fund_id.as_deref());
            query.push(m.recipient_role);
            query.push(m.address.as_deref());
            query.push(m.locale);
            query.push(m.status);
            query.push(m.reason.as_deref());
            query.push(m.context.as_str());
            query.push((m.status == "sent").then_some(now.as_str()));
        }
        query.push(now.as_str());
        added += tx.execute(query).await?;
    }
    Ok(added)
}

/// An in-app notice to write (the delivery of the in-app channel).
#[derive(Debug, Clone)]
pub struct NewInApp {
    /// Organization.
    pub org_id: String,
    /// Investor.
    pub investor_id: String,
    /// Outbox event.
    pub event_id: String,
    /// Event kind spelling.
    pub event_kind: &'static str,
    /// Fund.
    pub fund_id: Option<String>,
    /// Title.
    pub title: String,
    /// Body (plain text).
    pub body: String,
    /// Link in the portal.
    pub link: Option<String>,
}

/// Writes in-app notices inside `tx`; one already there for (event, investor) is left alone.
pub async fn insert_in_app(tx: &mut Tx, notices: &[NewInApp]) -> Result<u64, StoreError> {
    const PER_ROW: usize = 10;
    let now = now_text();
    let mut added = 0;
    for chunk in notices.chunks(500) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let marks: Vec<String> = (1..=PER_ROW)
                    .map(|k| format!("${}", i * PER_ROW + k))
                    .collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        let mut query = q(format!(
            "INSERT INTO notifications (id, org_id, investor_id, event_id, event_kind, fund_id, title, body, link, created_at)
             VALUES {} ON CONFLICT (event_id, investor_id) DO NOTHING",
            rows.join(", ")
        ));
        for n in chunk {
            query.push(new_id());
            query.push(n.org_id.as_str());
            query.push(n.investor_id.as_str());
            query.push(n.event_id.as_str());
            query.push(n.event_kind);
            query.push(n.fund_id.as_deref());
            query.push(n.title.as_str());
            query.push(n.body.as_str());
            query.push(n.link.as_deref());
            query.push(now.as_str());
        }
        added += tx.execute(query).await?;
    }
    Ok(added)
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Id (also the email's `Message-ID` local part).
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// Outbox event.
    pub event_id: String,
    /// Investor.
    pub investor_id: String,
    /// Channel spelling.
    pub channel: String,
    /// Event kind spelling.
    pub event_kind: String,
    /// Fund.
    pub fund_id: Option<String>,
    /// `investor` or `previousContact`.
    pub recipient_role: String,
    /// Address at queue time.
    pub address: Option<String>,
    /// Locale spelling.
    pub locale: String,
    /// Status spelling.
    pub status: String,
    /// Send attempts so far.
    pub attempts: i64,
    /// When a queued message is due.
    pub next_attempt_at: String,
    /// Provider's id once accepted.
    pub provider_id: Option<String>,
    /// Last error of a failed attempt.
    pub last_error: Option<String>,
    /// Why it is skipped, suppressed, dead or was marked sent.
    pub reason: Option<String>,
    /// The notice's facts as JSON.
    pub context: String,
    /// Created at.
    pub created_at: String,
    /// Updated at.
    pub updated_at: String,
    /// Sent at.
    pub sent_at: Option<String>,
}

const COLUMNS: &str = "id, org_id, event_id, investor_id, channel, event_kind, fund_id, recipient_role, address, locale, status, attempts, next_attempt_at, provider_id, last_error, reason, context, created_at, updated_at, sent_at";

fn message_from_row(r: &Row) -> Result<Message, StoreError> {
    Ok(Message {
        id: r.text("id")?,
        org_id: r.text("org_id")?,
        event_id: r.text("event_id")?,
        investor_id: r.text("investor_id")?,
        channel: r.text("channel")?,
        event_kind: r.text("event_kind")?,
        fund_id: r.opt_text("fund_id")?,
        recipient_role: r.text("recipient_role")?,
        address: r.opt_text("address")?,
        locale: r.text("locale")?,
        status: r.text("status")?,
        attempts: r.i64("attempts")?,
        next_attempt_at: r.text("next_attempt_at")?,
        provider_id: r.opt_text("provider_id")?,
        last_error: r.opt_text("last_error")?,
        reason: r.opt_text("reason")?,
        context: r.text("context")?,
        created_at: r.text("created_at")?,
        updated_at: r.text("updated_at")?,
        sent_at: r.opt_text("sent_at")?,
    })
}

/// Claims up to `limit` due queued messages of `channel` for `worker_id`: each becomes
/// `sending` (attempts + 1) under a lease, committed before anything is sent.
pub async fn claim(
    db: &Db,
    channel: &str,
    worker_id: &str,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Message>, StoreError> {
    let now = Utc::now();
    let now_s = time_text(now);
    let until =
        time_text(now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60)));
    let mut tx = db.begin().await?;
    let lock = crate::db::dialect::skip_locked(tx.backend());
    let ids = tx
        .fetch_all(
            q(format!("SELECT id FROM notification_messages WHERE status = 'queued' AND next_attempt_at <= $1 AND channel = $2
                       ORDER BY next_attempt_at, id LIMIT $3{lock}"))
            .bind(&now_s)
            .bind(channel)
            .bind(limit),
        )
        .await?;
    let mut claimed = Vec::new();
    for row in ids {
        let id = row.text("id")?;
        // The conditional UPDATE is what makes a claim exclusive (SKIP LOCKED only spares
        // PostgreSQL claimers from waiting on each other).
        let r = tx
            .fetch_optional(
                q(format!("UPDATE notification_messages SET status = 'sending', attempts = attempts + 1, locked_by = $1, locked_until = $2, updated_at = $3
                           WHERE id = $4 AND status = 'queued' RETURNING {COLUMNS}"))
                .bind(worker_id)
                .bind(&until)
                .bind(&now_s)
                .bind(&id),
            )
            .await?;
        if let Some(r) = r {
            claimed.push(message_from_row(&r)?);
        }
    }
    tx.commit().await?;
    Ok(claimed)
}

/// What one attempt came to, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the server: `sent`.
    Sent {
        /// Provider's id, if any.
        provider_id: Option<String>,
    },
    /// Temporary failure: queued again at the time given.
    Retry {
        /// Error text.
        error: String,
        /// When to try again.
        at: DateTime<Utc>,
    },
    /// Temporary failures until retries ran out: `dead`.
    Dead {
        /// Error text.
        error: String,
    },
    /// Permanent refusal of the address: `bounced`, and the address suppressed.
    Bounced {
        /// Error text.
        error: String,
    },
    /// Permanent failure not about the address (the notice cannot be rendered or built):
    /// `failed`.
    Failed {
        /// Error text.
        error: String,
    },
}

/// Records the outcome of `worker_id`'s attempt at `message` in one transaction; `false` when
/// the message is no longer this worker's (its lease ran out and it was declared in doubt).
pub async fn record_outcome(
    db: &Db,
    message: &Message,
    worker_id: &str,
    outcome: &Outcome,
) -> Result<bool, StoreError> {
    let now = now_text();
    let mut tx = db.begin().await?;
    let (status, next, error, provider, sent_at) = match outcome {
        Outcome::Sent { provider_id } => (
            "sent",
            now.clone(),
            None,
            provider_id.clone(),
            Some(now.clone()),
        ),
        Outcome::Retry { error, at } => ("queued", time_text(*at), Some(error.clone()), None, None),
        Outcome::Dead { error } => ("dead", now.clone(), Some(error.clone()), None, None),
        Outcome::Bounced { error } => ("bounced", now.clone(), Some(error.clone()), None, None),
        Outcome::Failed { error } => ("failed", now.clone(), Some(error.clone()), None, None),
    };
    let n = tx
        .execute(
            q("UPDATE notification_messages SET status = $1, next_attempt_at = $2, last_error = COALESCE($3, last_error),
                 provider_id = COALESCE($4, provider_id), sent_at = COALESCE($5, sent_at), locked_by = NULL, locked_until = NULL,
                 reason = CASE WHEN $1 = 'dead' THEN 'retries ran out' ELSE reason END, updated_at = $6
               WHERE id = $7 AND status = 'sending' AND locked_by = $8 AND attempts = $9")
            .bind(status)
            .bind(next)
            .bind(error.clone())
            .bind(provider)
            .bind(sent_at)
            .bind(&now)
            .bind(&message.id)
            .bind(worker_id)
            .bind(message.attempts),
        )
        .await?;
    if n == 1 {
        if let (Outcome::Bounced { error }, Some(address)) = (outcome, &message.address) {
            super::suppressions::suppress(
                &mut tx,
                &message.org_id,
                &message.channel,
                address,
                error,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(n == 1)
}

/// Declares every message left `sending` more than `grace` after its lease ended (a sender
/// that stopped) in doubt: `dead` with [`IN_DOUBT`], never sent again by itself. Returns how
/// many. The grace spares a live sender of another process that is slightly late (clock
/// skew, a slow render) from having its message declared in doubt under it.
pub async fn sweep_in_doubt(db: &Db, grace: Duration) -> Result<u64, StoreError> {
    let now = now_text();
    let cutoff = time_text(
        Utc::now() - chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::zero()),
    );
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE notification_messages SET status = 'dead', reason = $1, locked_by = NULL, locked_until = NULL, updated_at = $2
               WHERE status = 'sending' AND locked_until < $3")
            .bind(IN_DOUBT)
            .bind(&now)
            .bind(&cutoff),
        )
        .await?;
    tx.commit().await?;
    Ok(n)
}

/// Filters of the operators' list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Status spelling.
    pub status: Option<String>,
    /// Channel spelling.
    pub channel: Option<String>,
    /// Outbox event.
    pub event_id: Option<String>,
    /// Keyset: messages with an id after this one.
    pub after: Option<String>,
}

/// The organization's messages, by id (creation order), for staff.
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<Message>, StoreError> {
    require_staff(actor, Permission::Read)?;
    db.fetch_all(
        q(format!(
            "SELECT {COLUMNS} FROM notification_messages WHERE org_id = $1 AND ($2 IS NULL OR status = $2)
               AND ($3 IS NULL OR channel = $3) AND ($4 IS NULL OR event_id = $4) AND ($5 IS NULL OR id > $5)
             ORDER BY id LIMIT $6"
        ))
        .bind(&actor.org_id)
        .bind(filter.status.as_deref())
        .bind(filter.channel.as_deref())
        .bind(filter.event_id.as_deref())
        .bind(filter.after.as_deref())
        .bind(limit),
    )
    .await?
    .iter()
    .map(message_from_row)
    .collect()
}

/// Delivery records are for those who operate or audit (investors see theirs in the inbox):
/// reading needs Operate or ReadAudit, acting needs Operate.
fn require_staff(actor: &Actor, permission: Permission) -> Result<(), StoreError> {
    if actor.investor_id.is_some() {
        return Err(StoreError::Forbidden(
            "investors may not read delivery records".into(),
        ));
    }
    if permission == Permission::Read {
        if actor.role.allows(Permission::Operate) || actor.role.allows(Permission::ReadAudit) {
            return Ok(());
        }
        return actor.require(Permission::Operate);
    }
    actor.require(permission)
}

/// One message of the organization.
pub async fn get(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Message, StoreError> {
    require_staff(actor, Permission::Read)?;
    let r = tx
        .fetch_optional(
            q(format!(
                "SELECT {COLUMNS} FROM notification_messages WHERE org_id = $1 AND id = $2"
            ))
            .bind(&actor.org_id)
            .bind(id),
        )
        .await?
        .ok_or(StoreError::NotFound("notification message"))?;
    message_from_row(&r)
}

/// An operator's decision on a dead or failed message: send it again, or record that it was
/// sent after all (checked with the mail server). Audited in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Queue again now, attempts from zero.
    Resend,
    /// Record as sent.
    MarkSent,
}

/// Applies `decision` to message `id` (dead or failed only) and returns it afterwards.
pub async fn decide(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    decision: Decision,
) -> Result<Message, StoreError> {
    require_staff(actor, Permission::Operate)?;
    let before = get(tx, actor, id).await?;
    if !matches!(before.status.as_str(), "dead" | "failed") {
        return Err(StoreError::Conflict(format!(
            "only a dead or failed message can be resent or marked sent; this one is {}",
            before.status
        )));
    }
    let now = now_text();
    let (sql, action) = match decision {
        Decision::Resend => (
            "UPDATE notification_messages SET status = 'queued', attempts = 0, next_attempt_at = $1, reason = NULL, updated_at = $1
             WHERE id = $2 AND org_id = $3 AND status = $4",
            "notification_message.resend",
        ),
        Decision::MarkSent => (
            "UPDATE notification_messages SET status = 'sent', sent_at = $1, reason = 'marked sent by an operator', updated_at = $1
             WHERE id = $2 AND org_id = $3 AND status = $4",
            "notification_message.mark_sent",
        ),
    };
    let n = tx
        .execute(
            q(sql)
                .bind(&now)
                .bind(id)
                .bind(&actor.org_id)
                .bind(&before.status),
        )
        .await?;
    if n != 1 {
        return Err(StoreError::Conflict(
            "the message changed meanwhile; try again".into(),
        ));
    }
    let after = get(tx, actor, id).await?;
    audit::record(
        tx,
        actor,
        Change {
            action,
            entity_type: "notification_message",
            entity_id: id,
            before: Some(summary(&before)),
            after: Some(summary(&after)),
        },
    )
    .await?;
    Ok(after)
}

fn summary(m: &Message) -> serde_json::Value {
    json!({ "status": m.status, "attempts": m.attempts, "reason": m.reason, "channel": m.channel, "eventId": m.event_id, "investorId": m.investor_id })
}

/// Number of messages per (channel, status), all organizations (metrics, tests).
pub async fn counts(db: &Db) -> Result<Vec<(String, String, i64)>, StoreError> {
    db.fetch_all(q(
        "SELECT channel, status, COUNT(*) AS n FROM notification_messages GROUP BY channel, status ORDER BY channel, status",
    ))
    .await?
    .iter()
    .map(|r| Ok((r.text("channel")?, r.text("status")?, r.i64("n")?)))
    .collect()
}

/// Number of messages per (channel, status) of the actor's organization (operator page).
pub async fn org_counts(db: &Db, actor: &Actor) -> Result<Vec<(String, String, i64)>, StoreError> {
    require_staff(actor, Permission::Read)?;
    db.fetch_all(
        q("SELECT channel, status, COUNT(*) AS n FROM notification_messages WHERE org_id = $1 GROUP BY channel, status ORDER BY channel, status")
            .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(|r| Ok((r.text("channel")?, r.text("status")?, r.i64("n")?)))
    .collect()
}

/// When the oldest queued message was due, if any (metrics: how far the sender is behind).
pub async fn oldest_queued(db: &Db) -> Result<Option<String>, StoreError> {
    Ok(db
        .fetch_optional(q(
            "SELECT MIN(next_attempt_at) AS at FROM notification_messages WHERE status = 'queued'",
        ))
        .await?
        .and_then(|r| r.opt_text("at").ok().flatten()))
}

/// The message a provider event is about: by our id when the provider echoes it, else by the
/// provider's id; either way only on `channel`. The webhook was verified, so no actor: the
/// message's own organization is the tenancy.
pub async fn for_provider_event(
    tx: &mut Tx,
    channel: &str,
    message_id: Option<&str>,
    provider_id: Option<&str>,
) -> Result<Option<Message>, StoreError> {
    let by = |column: &str, value: &str| {
        q(format!(
            "SELECT {COLUMNS} FROM notification_messages WHERE channel = $1 AND {column} = $2"
        ))
        .bind(channel)
        .bind(value.to_string())
    };
    if let Some(id) = message_id {
        if let Some(r) = tx.fetch_optional(by("id", id)).await? {
            return Ok(Some(message_from_row(&r)?));
        }
    }
    match provider_id {
        Some(p) => tx
            .fetch_optional(by("provider_id", p))
            .await?
            .map(|r| message_from_row(&r))
            .transpose(),
        None => Ok(None),
    }
}

/// Moves `message` from the status it was read with to `status` (a provider's report),
/// keeping `error` as its last error when given. Returns whether it changed.
pub async fn set_delivery_status(
    tx: &mut Tx,
    message: &Message,
    status: &str,
    error: Option<&str>,
) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            q("UPDATE notification_messages SET status = $1, last_error = COALESCE($2, last_error), updated_at = $3
               WHERE id = $4 AND status = $5")
            .bind(status)
            .bind(error.map(str::to_string))
            .bind(now_text())
            .bind(&message.id)
            .bind(&message.status),
        )
        .await?;
    Ok(n == 1)
}
