//! Private-fund capital storage: commitments (partner kind, date), the fund's ownership basis,
//! capital calls and items, contributions, recallable amounts, fund-level income/gain/loss and
//! its allocations; and the grouped reads the capital-account report and the waterfall use.
//! Every function filters by the actor's organization; investor users see only their own rows.
//!
//! # Layout
//! - [`writes`]: inserts, in the caller's transaction.
//! - [`reads`]: positions, calls, contributions, partners, ownership weights.
//! - [`accounts`]: grouped sums before/within a period ([`distributions_by_investor`] among
//!   them) and the fund's own totals for the tie-out.

mod accounts;
mod reads;
mod writes;

pub use accounts::*;
pub use reads::*;
pub use writes::*;

use chrono::NaiveDate;

use crate::{Actor, StoreError};

/// Dates are stored as ISO text, so text order is date order.
fn date_text(d: NaiveDate) -> String {
    d.to_string()
}

fn parse_date(col: &str, text: &str) -> Result<NaiveDate, StoreError> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("column {col} = '{text}': {e}")))
}

/// The investor filter of a read: investor users only ever see their own rows.
fn own_investor<'a>(
    actor: &'a Actor,
    requested: Option<&'a str>,
) -> Result<Option<&'a str>, StoreError> {
    match (actor.investor_id.as_deref(), requested) {
        (Some(own), Some(r)) if own != r => Err(StoreError::NotFound("investor")),
        (Some(own), _) => Ok(Some(own)),
        (None, r) => Ok(r),
    }
}
