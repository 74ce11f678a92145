//! Recording what a provider's status webhook reported, once per event id: the replay guard,
//! the status update and the event id commit together. Checking the request (signature,
//! timestamp) and reading the provider's JSON stay in the HTTP shell.

use chrono::NaiveDate;
use clearway_core::payments::PaymentStatus;
use clearway_store::payments::{self as pstore, Settlement, Update};
use clearway_store::{Actor, Db, StoreError, Tx};

use crate::AppResult;

/// A status change a provider reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    /// Handed to the bank (PROCESSING becomes SENT).
    Sent,
    /// Paid, with the value date.
    Completed(NaiveDate),
    /// Failed: code, reason.
    Failed(String, String),
    /// Returned by the bank: code, reason.
    Returned(String, String),
    /// An event we do not act on.
    Ignored,
}

/// What [`apply`] did with a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The event id was already applied: nothing changed (nothing written).
    Duplicate,
    /// The payment changed.
    Applied,
    /// The payment already was in (or cannot reach) that state.
    Unchanged,
    /// An event we do not act on (its id is recorded).
    Ignored,
}

impl Outcome {
    /// The `status` answered to the provider.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Duplicate => "duplicate",
            Outcome::Applied => "applied",
            Outcome::Unchanged => "unchanged",
            Outcome::Ignored => "ignored",
        }
    }
}

/// Applies a provider's report about the payment it knows as `reference`, as the system
/// actor of the payment's organization, in one transaction with the event id (a replay is
/// [`Outcome::Duplicate`]). An unknown reference (perhaps not yet recorded: the provider can
/// answer before our hand-over commits) is not found and records nothing, so the provider
/// delivers it again later.
pub async fn apply(
    db: &Db,
    provider: &str,
    event_id: &str,
    reference: &str,
    reported: &Reported,
) -> AppResult<Outcome> {
    let mut tx = db.begin().await?;
    if !pstore::record_provider_event(&mut tx, provider, event_id).await? {
        return Ok(Outcome::Duplicate);
    }
    let outcome = apply_in(&mut tx, provider, reference, reported).await?;
    tx.commit().await?;
    Ok(outcome)
}

async fn apply_in(
    tx: &mut Tx,
    provider: &str,
    reference: &str,
    reported: &Reported,
) -> AppResult<Outcome> {
    let Some((org_id, p)) = pstore::find_by_provider_ref(tx, provider, reference).await? else {
        return Err(StoreError::NotFound("payment for this provider reference").into());
    };
    let actor = Actor::system(&org_id);
    let settlement = match reported {
        Reported::Ignored => return Ok(Outcome::Ignored),
        Reported::Sent => {
            if p.status == PaymentStatus::Processing {
                pstore::transition(
                    tx,
                    &actor,
                    &p,
                    PaymentStatus::Sent,
                    &Update {
                        reason: Some(format!("{provider}: sent")),
                        ..Update::default()
                    },
                )
                .await?;
                return Ok(Outcome::Applied);
            }
            return Ok(Outcome::Unchanged);
        }
        Reported::Completed(date) => Settlement::Cleared { value_date: *date },
        Reported::Failed(code, reason) => Settlement::Failed {
            code: code.clone(),
            reason: reason.clone(),
        },
        Reported::Returned(code, reason) => Settlement::Returned {
            code: code.clone(),
            reason: reason.clone(),
        },
    };
    let target = match settlement {
        Settlement::Cleared { .. } => PaymentStatus::Completed,
        Settlement::Failed { .. } => PaymentStatus::Failed,
        Settlement::Returned { .. } => PaymentStatus::Returned,
    };
    if p.status != target && !p.status.can_become(target) {
        return Ok(Outcome::Unchanged);
    }
    Ok(if super::settle(tx, &actor, &p.id, &settlement).await? {
        Outcome::Applied
    } else {
        Outcome::Unchanged
    })
}
