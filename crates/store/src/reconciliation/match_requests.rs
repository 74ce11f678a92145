//! Manual-match requests: a manual match above the four-eyes amount is stored here by its
//! maker and made only when a different user with the Approve permission approves it.

use clearway_core::access::Permission;
use clearway_core::Currency;

use crate::{new_id, now_text, q, Actor, Db, Row, StoreError, Tx};

/// A manual match waiting for (or given) a second user's approval.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRequest {
    /// Id.
    pub id: String,
    /// Statement lines.
    pub line_ids: Vec<String>,
    /// Payments.
    pub payment_ids: Vec<String>,
    /// CLEARED or RETURNED.
    pub outcome: String,
    /// The maker's note.
    pub note: Option<String>,
    /// Currency.
    pub currency: Currency,
    /// Sum of the lines' absolute amounts when requested (minor units).
    pub amount_minor: i64,
    /// PENDING or APPROVED.
    pub status: String,
    /// Maker.
    pub requested_by: String,
    /// Checker.
    pub approved_by: Option<String>,
    /// The match the approval made.
    pub match_id: Option<String>,
    /// When requested.
    pub created_at: String,
    /// When approved.
    pub decided_at: Option<String>,
}

/// A request to store.
#[derive(Debug, Clone)]
pub struct NewMatchRequest<'a> {
    /// Statement lines.
    pub line_ids: &'a [String],
    /// Payments.
    pub payment_ids: &'a [String],
    /// CLEARED or RETURNED.
    pub outcome: &'a str,
    /// Note.
    pub note: Option<&'a str>,
    /// Currency.
    pub currency: Currency,
    /// Amount (minor units).
    pub amount_minor: i64,
}

const COLUMNS: &str = "id, line_ids, payment_ids, outcome, note, currency, amount_minor, status, requested_by, approved_by, match_id, created_at, decided_at";

fn ids(r: &Row, col: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(&r.text(col)?).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn from_row(r: &Row) -> Result<MatchRequest, StoreError> {
    Ok(MatchRequest {
        id: r.text("id")?,
        line_ids: ids(r, "line_ids")?,
        payment_ids: ids(r, "payment_ids")?,
        outcome: r.text("outcome")?,
        note: r.opt_text("note")?,
        currency: Currency::parse(&r.text("currency")?).map_err(StoreError::Corrupt)?,
        amount_minor: r.i64("amount_minor")?,
        status: r.text("status")?,
        requested_by: r.text("requested_by")?,
        approved_by: r.opt_text("approved_by")?,
        match_id: r.opt_text("match_id")?,
        created_at: r.text("created_at")?,
        decided_at: r.opt_text("decided_at")?,
    })
}

/// Stores a pending request by the actor (operators and admins).
pub async fn insert_match_request(
    tx: &mut Tx,
    actor: &Actor,
    new: &NewMatchRequest<'_>,
) -> Result<MatchRequest, StoreError> {
    actor.require(Permission::Operate)?;
    let json = |v: &[String]| serde_json::Value::from(v.to_vec()).to_string();
    let row = tx
        .fetch_optional(
            q(format!("INSERT INTO match_requests (org_id, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PENDING', $9, NULL, NULL, $10, NULL) RETURNING {COLUMNS}"))
                .bind(&actor.org_id)
                .bind(new_id())
                .bind(json(new.line_ids))
                .bind(json(new.payment_ids))
                .bind(new.outcome)
                .bind(new.note)
                .bind(new.currency.code())
                .bind(new.amount_minor)
                .bind(&actor.user_id)
                .bind(now_text()),
        )
        .await?
        .ok_or(StoreError::NotFound("match request"))?;
    from_row(&row)
}

/// A request of the organization (staff only).
pub async fn match_request(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
) -> Result<MatchRequest, StoreError> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("match request"));
    }
    actor.require(Permission::Read)?;
    let row = tx
        .fetch_optional(
            q(format!(
                "SELECT {COLUMNS} FROM match_requests WHERE id = $1 AND org_id = $2"
            ))
            .bind(id)
            .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("match request"))?;
    from_row(&row)
}

/// Marks a pending request approved by the actor: four eyes, so never by its maker; a request
/// already decided is a conflict.
pub async fn approve_match_request(
    tx: &mut Tx,
    actor: &Actor,
    request: &MatchRequest,
) -> Result<MatchRequest, StoreError> {
    actor.require(Permission::Approve)?;
    if request.requested_by == actor.user_id {
        return Err(StoreError::Forbidden(
            "four eyes: the user who asked for a match cannot approve it".into(),
        ));
    }
    let row = tx
        .fetch_optional(
            q(format!(
                "UPDATE match_requests SET status = 'APPROVED', approved_by = $1, decided_at = $2
                       WHERE id = $3 AND org_id = $4 AND status = 'PENDING' RETURNING {COLUMNS}"
            ))
            .bind(&actor.user_id)
            .bind(now_text())
            .bind(&request.id)
            .bind(&actor.org_id),
        )
        .await?
        .ok_or_else(|| {
            StoreError::Conflict(format!("match request {} is not pending", request.id))
        })?;
    from_row(&row)
}

/// Records the match an approved request made; each approval makes one match only.
pub async fn use_match_request(
    tx: &mut Tx,
    actor: &Actor,
    request_id: &str,
    match_id: &str,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let used = tx
        .execute(
            q("UPDATE match_requests SET match_id = $1 WHERE id = $2 AND org_id = $3 AND status = 'APPROVED' AND match_id IS NULL")
                .bind(match_id)
                .bind(request_id)
                .bind(&actor.org_id),
        )
        .await?;
    if used == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "match request {request_id} is not approved, or was already used"
        )))
    }
}

/// Requests of the organization still waiting (PENDING, or APPROVED and not yet carried out),
/// oldest first after the id `after`, at most `limit` (staff only).
pub async fn open_match_requests(
    db: &Db,
    actor: &Actor,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<MatchRequest>, StoreError> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("match request"));
    }
    actor.require(Permission::Read)?;
    db.fetch_all(
        q(format!(
            "SELECT {COLUMNS} FROM match_requests WHERE org_id = $1 AND match_id IS NULL
               AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
        ))
        .bind(&actor.org_id)
        .bind(after)
        .bind(limit),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}
