//! Where a pulled page meets the inbound sync path (`apply_records`, source ADMINISTRATOR).
//! Until the inbound side is merged, a page is read and its cursor stored, and no value is
//! written: the summary's applied, unchanged and conflict counts stay zero.

use clearway_store::{Actor, Tx};

use super::pull::PullSummary;
use super::ChangeRecord;
use crate::jobs::JobError;

/// Applies the records of one page inside `tx`.
pub async fn apply(
    _tx: &mut Tx,
    _actor: &Actor,
    _records: &[ChangeRecord],
    _summary: &mut PullSummary,
) -> Result<(), JobError> {
    Ok(())
}
