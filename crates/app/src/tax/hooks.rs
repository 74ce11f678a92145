//! Seams between the tax parts: re-characterization changes lines of a year whose forms may
//! have been issued; the forms part decides what that means (a run that issues CORRECTED forms).

use chrono::Datelike;
use clearway_store::distributions::Distribution;
use clearway_store::tax::forms::any_issued_tx;
use clearway_store::{Actor, Tx};

use crate::AppResult;

/// Called in the re-characterization's transaction after its lines were re-split: when any
/// form of the distribution's fund-year was issued, a run is queued for that fund-year, whose
/// changed 1099-DIVs come out CORRECTED (unchanged ones are recognised and left alone).
pub async fn after_recharacterization(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
) -> AppResult<()> {
    let year = d.schedule.payable.year();
    if !any_issued_tx(tx, actor, &d.fund_id, year).await? {
        return Ok(());
    }
    super::runs::start(tx, actor, &d.fund_id, year).await?;
    Ok(())
}
