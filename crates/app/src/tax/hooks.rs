//! Seams between the tax parts: re-characterization changes lines of a year whose forms may
//! have been issued; the forms part decides what that means (a run that issues CORRECTED forms).

use clearway_store::distributions::Distribution;
use clearway_store::{Actor, Tx};

use crate::AppResult;

/// Called in the re-characterization's transaction after its lines were re-split.
pub async fn after_recharacterization(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
) -> AppResult<()> {
    let _ = (tx, actor, d);
    Ok(())
}
