//! Securities and fund positions.

use clearway_core::access::Permission;

use crate::{new_id, now_text, q, Actor, Db, Row, StoreError, Tx};

/// A security a fund can hold and distribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Security {
    /// Id (UUIDv7).
    pub id: String,
    /// Name.
    pub name: String,
    /// CUSIP, ISIN or TICKER.
    pub identifier_type: String,
    /// The identifier (upper case).
    pub identifier: String,
    /// Created (UTC).
    pub created_at: String,
}

fn security_from_row(r: &Row) -> Result<Security, StoreError> {
    Ok(Security {
        id: r.text("id")?,
        name: r.text("name")?,
        identifier_type: r.text("identifier_type")?,
        identifier: r.text("identifier")?,
        created_at: r.text("created_at")?,
    })
}

const SECURITY_COLUMNS: &str = "id, name, identifier_type, identifier, created_at";

/// Creates a security (checked by the caller); a repeated identifier is a unique violation.
pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    identifier_type: &str,
    identifier: &str,
) -> Result<Security, StoreError> {
    actor.require(Permission::Operate)?;
    let row = tx
        .fetch_optional(
            q(format!("INSERT INTO securities ({SECURITY_COLUMNS}, org_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {SECURITY_COLUMNS}"))
                .bind(new_id())
                .bind(name)
                .bind(identifier_type)
                .bind(identifier)
                .bind(now_text())
                .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("security"))?;
    security_from_row(&row)
}

/// Security `id` of the actor's organization.
pub async fn get_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Security, StoreError> {
    actor.require(Permission::Read)?;
    tx.fetch_optional(
        q(format!(
            "SELECT {SECURITY_COLUMNS} FROM securities WHERE id = $1 AND org_id = $2"
        ))
        .bind(id)
        .bind(&actor.org_id),
    )
    .await?
    .map(|r| security_from_row(&r))
    .transpose()?
    .ok_or(StoreError::NotFound("security"))
}

/// Securities by id (creation order), a page of `limit` after `after_id`.
pub async fn list(
    db: &Db,
    actor: &Actor,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Security>, StoreError> {
    actor.require(Permission::Read)?;
    db.fetch_all(
        q(format!("SELECT {SECURITY_COLUMNS} FROM securities WHERE org_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"))
            .bind(&actor.org_id)
            .bind(after_id)
            .bind(limit),
    )
    .await?
    .iter()
    .map(security_from_row)
    .collect()
}

/// A fund's position in a security.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// Fund.
    pub fund_id: String,
    /// The security.
    pub security: Security,
    /// Units held.
    pub quantity: i64,
    /// Units reserved by open in-kind distributions.
    pub reserved: i64,
    /// Last changed (UTC).
    pub updated_at: String,
}

impl Position {
    /// Units free to distribute.
    pub fn available(&self) -> i64 {
        self.quantity - self.reserved
    }
}

const POSITION_SELECT: &str = "SELECT p.fund_id, p.quantity, p.reserved, p.updated_at, s.id, s.name, s.identifier_type, s.identifier, s.created_at FROM fund_positions p JOIN securities s ON s.id = p.security_id";

fn position_from_row(r: &Row) -> Result<Position, StoreError> {
    Ok(Position {
        fund_id: r.text("fund_id")?,
        security: security_from_row(r)?,
        quantity: r.i64("quantity")?,
        reserved: r.i64("reserved")?,
        updated_at: r.text("updated_at")?,
    })
}

/// The positions of fund `fund_id` (id), by security name.
pub async fn positions(db: &Db, actor: &Actor, fund_id: &str) -> Result<Vec<Position>, StoreError> {
    actor.require(Permission::Read)?;
    db.fetch_all(
        q(format!(
            "{POSITION_SELECT} WHERE p.org_id = $1 AND p.fund_id = $2 ORDER BY s.name, s.id"
        ))
        .bind(&actor.org_id)
        .bind(fund_id),
    )
    .await?
    .iter()
    .map(position_from_row)
    .collect()
}

/// The position of fund `fund_id` in `security_id`, if any, inside `tx`.
pub async fn position_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    security_id: &str,
) -> Result<Option<Position>, StoreError> {
    tx.fetch_optional(
        q(format!(
            "{POSITION_SELECT} WHERE p.org_id = $1 AND p.fund_id = $2 AND p.security_id = $3"
        ))
        .bind(&actor.org_id)
        .bind(fund_id)
        .bind(security_id),
    )
    .await?
    .map(|r| position_from_row(&r))
    .transpose()
}

/// Sets the units fund `fund_id` holds of `security_id`; `false` (nothing written) when that
/// is below what open in-kind distributions reserve. One conditional statement, so a
/// concurrent reservation cannot slip between a check and the write.
pub async fn set(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    security_id: &str,
    quantity: i64,
) -> Result<bool, StoreError> {
    actor.require(Permission::Operate)?;
    let n = tx
        .execute(
            q("INSERT INTO fund_positions (org_id, fund_id, security_id, quantity, reserved, updated_at) VALUES ($1, $2, $3, $4, 0, $5)
               ON CONFLICT (fund_id, security_id) DO UPDATE SET quantity = excluded.quantity, updated_at = excluded.updated_at
               WHERE fund_positions.reserved <= excluded.quantity")
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(security_id)
                .bind(quantity)
                .bind(now_text()),
        )
        .await?;
    Ok(n == 1)
}

/// Reserves `units` of the position for an in-kind distribution; `false` (nothing written)
/// when fewer are available. The condition sits in the UPDATE: PostgreSQL re-checks it on the
/// latest row version after waiting for a concurrent reserver, SQLite runs one writer at a time.
pub async fn reserve(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    security_id: &str,
    units: i64,
) -> Result<bool, StoreError> {
    actor.require(Permission::Operate)?;
    let n = tx
        .execute(
            q("UPDATE fund_positions SET reserved = reserved + $1, updated_at = $2
               WHERE org_id = $3 AND fund_id = $4 AND security_id = $5 AND quantity - reserved >= $1")
                .bind(units)
                .bind(now_text())
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(security_id),
        )
        .await?;
    Ok(n == 1)
}

/// Adds `quantity` and `reserved` (either may be negative) to a position; the table's CHECKs
/// refuse a result below zero or a reservation above the quantity.
pub(crate) async fn adjust(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    security_id: &str,
    quantity: i64,
    reserved: i64,
) -> Result<(), StoreError> {
    let n = tx
        .execute(
            q("UPDATE fund_positions SET quantity = quantity + $1, reserved = reserved + $2, updated_at = $3
               WHERE org_id = $4 AND fund_id = $5 AND security_id = $6")
                .bind(quantity)
                .bind(reserved)
                .bind(now_text())
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(security_id),
        )
        .await?;
    if n != 1 {
        return Err(StoreError::NotFound("position"));
    }
    Ok(())
}
