//! The administrator connector's state per organization (cursor, last run, last error) and
//! the last push of each distribution.

use clearway_core::access::{Permission, Role};

use crate::{now_text, q, Actor, Row, StoreError, Tx};

/// A connector's state in one organization.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectorState {
    /// Where the next pull starts.
    pub cursor: Option<String>,
    /// When a pull or push last ran (UTC).
    pub last_run_at: Option<String>,
    /// When one last succeeded.
    pub last_success_at: Option<String>,
    /// Why the last run failed (cleared by a success).
    pub last_error: Option<String>,
    /// Records pulled in all.
    pub records_pulled: i64,
    /// Distributions pushed in all.
    pub pushed: i64,
}

/// Staff only (investors: 404); `permission` on top.
pub(crate) fn staff(actor: &Actor, permission: Permission) -> Result<(), StoreError> {
    if actor.role == Role::Investor {
        return Err(StoreError::NotFound("sync connector"));
    }
    actor.require(permission)
}

/// The state (default when never run).
pub async fn state(
    tx: &mut Tx,
    actor: &Actor,
    connector: &str,
) -> Result<ConnectorState, StoreError> {
    staff(actor, Permission::Read)?;
    let row = tx
        .fetch_optional(
            q(
                "SELECT cursor, last_run_at, last_success_at, last_error, records_pulled, pushed
               FROM sync_connector_state WHERE org_id = $1 AND connector = $2",
            )
            .bind(&actor.org_id)
            .bind(connector),
        )
        .await?;
    row.map(|r| from_row(&r))
        .transpose()
        .map(Option::unwrap_or_default)
}

fn from_row(r: &Row) -> Result<ConnectorState, StoreError> {
    Ok(ConnectorState {
        cursor: r.opt_text("cursor")?,
        last_run_at: r.opt_text("last_run_at")?,
        last_success_at: r.opt_text("last_success_at")?,
        last_error: r.opt_text("last_error")?,
        records_pulled: r.i64("records_pulled")?,
        pushed: r.i64("pushed")?,
    })
}

async fn ensure(tx: &mut Tx, actor: &Actor, connector: &str) -> Result<(), StoreError> {
    tx.execute(
        q(
            "INSERT INTO sync_connector_state (org_id, connector) VALUES ($1, $2)
           ON CONFLICT (org_id, connector) DO NOTHING",
        )
        .bind(&actor.org_id)
        .bind(connector),
    )
    .await?;
    Ok(())
}

/// A page pulled and applied: the cursor moves on, in the transaction that applied it.
pub async fn advance(
    tx: &mut Tx,
    actor: &Actor,
    connector: &str,
    cursor: Option<&str>,
    records: i64,
) -> Result<(), StoreError> {
    staff(actor, Permission::Operate)?;
    ensure(tx, actor, connector).await?;
    tx.execute(
        q("UPDATE sync_connector_state SET cursor = COALESCE($3, cursor), records_pulled = records_pulled + $4, last_run_at = $5
           WHERE org_id = $1 AND connector = $2")
        .bind(&actor.org_id)
        .bind(connector)
        .bind(cursor)
        .bind(records)
        .bind(now_text()),
    )
    .await?;
    Ok(())
}

/// A run ended: success clears the last error, a failure records it.
pub async fn finish_run(
    tx: &mut Tx,
    actor: &Actor,
    connector: &str,
    error: Option<&str>,
) -> Result<(), StoreError> {
    staff(actor, Permission::Operate)?;
    ensure(tx, actor, connector).await?;
    let now = now_text();
    let sql = if error.is_some() {
        "UPDATE sync_connector_state SET last_run_at = $3, last_error = $4 WHERE org_id = $1 AND connector = $2"
    } else {
        "UPDATE sync_connector_state SET last_run_at = $3, last_success_at = $3, last_error = $4 WHERE org_id = $1 AND connector = $2"
    };
    tx.execute(
        q(sql)
            .bind(&actor.org_id)
            .bind(connector)
            .bind(now)
            .bind(error),
    )
    .await?;
    Ok(())
}

/// Distributions to push (in id order, at most `limit`): past approval (not DRAFT or READY),
/// never pushed, or changed since their push was read (the distribution or a payment of it).
const PENDING: &str = "FROM distributions d
    LEFT JOIN sync_pushes s ON s.org_id = d.org_id AND s.connector = $2 AND s.distribution_id = d.id
    WHERE d.org_id = $1 AND d.status NOT IN ('DRAFT','READY')
      AND (s.distribution_id IS NULL OR d.updated_at > s.seen_at
           OR EXISTS (SELECT 1 FROM payments p WHERE p.distribution_id = d.id AND p.updated_at > s.seen_at))";

/// The distributions waiting to be pushed (ids and the fingerprint last pushed), at most `limit`.
pub async fn pending_pushes(
    tx: &mut Tx,
    actor: &Actor,
    connector: &str,
    limit: i64,
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    staff(actor, Permission::Operate)?;
    let rows = tx
        .fetch_all(
            q(format!(
                "SELECT d.id, s.fingerprint {PENDING} ORDER BY d.id LIMIT $3"
            ))
            .bind(&actor.org_id)
            .bind(connector)
            .bind(limit),
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.text("id")?, r.opt_text("fingerprint")?)))
        .collect()
}

/// How many distributions wait to be pushed.
pub async fn pending_count(tx: &mut Tx, actor: &Actor, connector: &str) -> Result<i64, StoreError> {
    staff(actor, Permission::Read)?;
    tx.count(
        q(format!("SELECT COUNT(*) AS n {PENDING}"))
            .bind(&actor.org_id)
            .bind(connector),
    )
    .await
}

/// What one push sent (or, with an unchanged fingerprint, found already sent).
#[derive(Debug, Clone)]
pub struct Pushed<'a> {
    /// The distribution.
    pub distribution_id: &'a str,
    /// Fingerprint of its content.
    pub fingerprint: &'a str,
    /// The `Idempotency-Key` it went with.
    pub idempotency_key: &'a str,
    /// The administrator's id for it.
    pub receipt_id: &'a str,
    /// When its content was read.
    pub seen_at: &'a str,
    /// Whether it was sent now (counted) rather than found unchanged.
    pub sent: bool,
}

/// Records a push.
pub async fn record_push(
    tx: &mut Tx,
    actor: &Actor,
    connector: &str,
    p: &Pushed<'_>,
) -> Result<(), StoreError> {
    staff(actor, Permission::Operate)?;
    ensure(tx, actor, connector).await?;
    if !p.sent {
        // Unchanged since its last push: only when it was last looked at moves.
        tx.execute(
            q("UPDATE sync_pushes SET seen_at = $4 WHERE org_id = $1 AND connector = $2 AND distribution_id = $3")
                .bind(&actor.org_id)
                .bind(connector)
                .bind(p.distribution_id)
                .bind(p.seen_at),
        )
        .await?;
        return Ok(());
    }
    tx.execute(
        q("INSERT INTO sync_pushes (org_id, connector, distribution_id, fingerprint, idempotency_key, receipt_id, seen_at, pushed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (org_id, connector, distribution_id) DO UPDATE SET fingerprint = $4, idempotency_key = $5, receipt_id = $6, seen_at = $7, pushed_at = $8")
        .bind(&actor.org_id)
        .bind(connector)
        .bind(p.distribution_id)
        .bind(p.fingerprint)
        .bind(p.idempotency_key)
        .bind(p.receipt_id)
        .bind(p.seen_at)
        .bind(now_text()),
    )
    .await?;
    tx.execute(
        q("UPDATE sync_connector_state SET pushed = pushed + 1 WHERE org_id = $1 AND connector = $2")
            .bind(&actor.org_id)
            .bind(connector),
    )
    .await?;
    Ok(())
}
