//! The NACHA reversing entry of an erroneous ACH credit.

use chrono::NaiveDate;
use clearway_core::recovery::ReversalReason;
use clearway_store::recovery::{Receivable, Recovery};
use clearway_store::{Actor, Tx};

use crate::payments::PaymentsConfig;
use crate::{AppError, AppResult};

/// Sends an ACH reversing entry for receivable `id`.
pub async fn reverse(
    _tx: &mut Tx,
    _actor: &Actor,
    _cfg: &PaymentsConfig,
    _id: &str,
    _reason: ReversalReason,
    _effective: Option<NaiveDate>,
) -> AppResult<(Receivable, Recovery)> {
    Err(AppError::conflict("not yet"))
}
