//! Closing a tax year: forms are issued and filed only for a closed year, and a year closes
//! only after it has ended.

use chrono::{Datelike, NaiveDate};
use clearway_core::access::Permission;
use clearway_store::tax::years::{self as store, ClosedYear};
use clearway_store::{audit, outbox, Actor, Tx};
use serde_json::json;

use crate::{AppError, AppResult};

/// The first year forms can be made for.
pub const FIRST_YEAR: i32 = 2000;

/// Checks a year for closing: not before [`FIRST_YEAR`], and ended before `today` (its
/// December 31 is in the past).
pub fn check_ended(year: i32, today: NaiveDate) -> AppResult<()> {
    if year < FIRST_YEAR {
        return Err(AppError::field(
            "taxYear",
            format!("must be {FIRST_YEAR} or later"),
        ));
    }
    if year >= today.year() {
        return Err(AppError::field(
            "taxYear",
            format!("has not ended: {year}-12-31 is not before today ({today})"),
        ));
    }
    Ok(())
}

/// Closes `year` (admins): 422 `taxYear` when it has not ended, 409 when closed already.
/// Audited, with the event `tax_year.closed`, in the caller's transaction.
pub async fn close(
    tx: &mut Tx,
    actor: &Actor,
    year: i32,
    today: NaiveDate,
) -> AppResult<ClosedYear> {
    actor.require(Permission::Administer)?;
    check_ended(year, today)?;
    let closed = store::close_tx(tx, actor, year).await?;
    let year_id = year.to_string();
    let after =
        json!({ "taxYear": year, "closedBy": closed.closed_by, "closedAt": closed.closed_at });
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "tax_year.close",
            entity_type: "tax_year",
            entity_id: &year_id,
            before: None,
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(tx, actor, "tax_year.closed", "tax_year", &year_id, after).await?;
    Ok(closed)
}

/// Refuses a year still open (422 naming `taxYear`): nothing is issued or filed for it.
pub async fn require_closed(tx: &mut Tx, actor: &Actor, year: i32) -> AppResult<()> {
    if store::is_closed_tx(tx, actor, year).await? {
        return Ok(());
    }
    Err(AppError::field(
        "taxYear",
        format!("tax year {year} is still open: close it first"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_year_closes_only_after_its_last_day() {
        assert!(check_ended(2025, d(2026, 1, 1)).is_ok());
        assert!(check_ended(2025, d(2025, 12, 31)).is_err());
        assert!(check_ended(2026, d(2026, 6, 1)).is_err());
        assert!(check_ended(1999, d(2026, 6, 1)).is_err());
        assert!(check_ended(2000, d(2026, 6, 1)).is_ok());
    }
}
