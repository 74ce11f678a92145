//! Closed tax years: forms are issued and filed only for a closed year.

use clearway_core::access::Permission;

use crate::{now_text, q, Actor, StoreError, Tx};

/// A closed year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedYear {
    /// The year.
    pub tax_year: i32,
    /// Who closed it.
    pub closed_by: String,
    /// When (UTC).
    pub closed_at: String,
}

/// Whether `year` is closed for the actor's organization (staff and investors may ask).
pub async fn is_closed_tx(tx: &mut Tx, actor: &Actor, year: i32) -> Result<bool, StoreError> {
    actor.require(Permission::Read)?;
    let row = tx
        .fetch_optional(
            q("SELECT tax_year FROM tax_years WHERE org_id = $1 AND tax_year = $2")
                .bind(&actor.org_id)
                .bind(i64::from(year)),
        )
        .await?;
    Ok(row.is_some())
}

/// Closes `year` (admins); a year closed already is a conflict.
pub async fn close_tx(tx: &mut Tx, actor: &Actor, year: i32) -> Result<ClosedYear, StoreError> {
    actor.require(Permission::Administer)?;
    if is_closed_tx(tx, actor, year).await? {
        return Err(StoreError::Conflict(format!(
            "tax year {year} is closed already"
        )));
    }
    let now = now_text();
    tx.execute(
        q("INSERT INTO tax_years (org_id, tax_year, closed_by, closed_at) VALUES ($1, $2, $3, $4)")
            .bind(&actor.org_id)
            .bind(i64::from(year))
            .bind(&actor.user_id)
            .bind(&now),
    )
    .await?;
    Ok(ClosedYear {
        tax_year: year,
        closed_by: actor.user_id.clone(),
        closed_at: now,
    })
}

/// The closed years, newest first.
pub async fn list_tx(tx: &mut Tx, actor: &Actor) -> Result<Vec<ClosedYear>, StoreError> {
    actor.require(Permission::Read)?;
    let rows = tx
        .fetch_all(
            q("SELECT tax_year, closed_by, closed_at FROM tax_years WHERE org_id = $1 ORDER BY tax_year DESC")
                .bind(&actor.org_id),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ClosedYear {
                tax_year: i32::try_from(r.i64("tax_year")?)
                    .map_err(|_| StoreError::Corrupt("tax_year".into()))?,
                closed_by: r.text("closed_by")?,
                closed_at: r.text("closed_at")?,
            })
        })
        .collect()
}
