//! Reinvestment (DRIP) storage: NAV per share ([`nav`]), organization settings,
//! effective-dated elections with their history, and the reinvestment transactions written by
//! the processing step together with the lots, basis adjustments and holdings they create
//! (set-based, in the caller's transaction).

use chrono::NaiveDate;
use clearway_core::access::{Permission, Role};
use clearway_core::{FieldError, Invalid};
use rust_decimal::Decimal;

use crate::{q, Actor, Db, StoreError, Tx};

pub mod nav;

mod elections;
mod reporting;
mod settings;
mod step_reads;
mod step_writes;

pub use elections::*;
pub use reporting::*;
pub use settings::*;
pub use step_reads::*;
pub use step_writes::*;

// ---------------------------------------------------------------------------------------
// Access (every part checks investors through these)

/// Refuses (404) unless the investor exists in the actor's organization and, for investor
/// users, is their own.
pub async fn check_investor_tx(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
) -> Result<(), StoreError> {
    actor.require(Permission::Read)?;
    if actor
        .investor_id
        .as_deref()
        .is_some_and(|own| own != investor_id)
    {
        return Err(StoreError::NotFound("investor"));
    }
    tx.fetch_optional(
        q("SELECT id FROM investors WHERE id = $1 AND org_id = $2")
            .bind(investor_id)
            .bind(&actor.org_id),
    )
    .await?
    .map(|_| ())
    .ok_or(StoreError::NotFound("investor"))
}

/// [`check_investor_tx`] outside a transaction.
pub async fn check_investor(db: &Db, actor: &Actor, investor_id: &str) -> Result<(), StoreError> {
    actor.require(Permission::Read)?;
    if actor
        .investor_id
        .as_deref()
        .is_some_and(|own| own != investor_id)
    {
        return Err(StoreError::NotFound("investor"));
    }
    db.fetch_optional(
        q("SELECT id FROM investors WHERE id = $1 AND org_id = $2")
            .bind(investor_id)
            .bind(&actor.org_id),
    )
    .await?
    .map(|_| ())
    .ok_or(StoreError::NotFound("investor"))
}

/// Investors change their own elections; operators and admins anyone's in their organization.
fn require_may_elect(actor: &Actor) -> Result<(), StoreError> {
    if actor.role == Role::Investor {
        Ok(())
    } else {
        actor.require(Permission::Operate)
    }
}

/// A refused field as the store's error (settings and elections validate field by field).
trait IntoStore {
    fn into_store(self) -> StoreError;
}

impl IntoStore for FieldError {
    fn into_store(self) -> StoreError {
        StoreError::Invalid(Invalid(vec![self]))
    }
}

// ---------------------------------------------------------------------------------------
// Fields of packed rows (see `db::fetch_packed`), shared by elections and the step reads

fn int(field: &str) -> Result<i64, StoreError> {
    field
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("'{field}': {e}")))
}

fn decimal(field: &str) -> Result<Decimal, StoreError> {
    field
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("'{field}': {e}")))
}

fn date(field: &str) -> Result<NaiveDate, StoreError> {
    field
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("'{field}': {e}")))
}
