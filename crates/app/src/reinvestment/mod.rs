//! Dividend reinvestment (DRIP): NAV imports, and the reinvestment step of distribution
//! processing with its pre-flight check.
//!
//! # Layout
//! - [`nav`]: NAV CSV parsing (API and CLI) and the NAV import.
//! - [`preferences`]: an investor's election for a fund, and the organization's settings.
//! - [`step`]: the processing step, its plan and the check run before `PROCESSING`.
//!
//! The rounding rules live in the pure core: [`clearway_core::reinvestment`] (the split of a
//! line), [`clearway_core::reinvestment::nav`] (NAV at date) and [`clearway_core::taxlots`].

pub mod nav;
pub mod preferences;
pub mod step;

use clearway_store::distributions::Distribution;
use clearway_store::{Actor, StoreError, Tx};

use crate::jobs::JobError;

pub use preferences::{put_election, put_settings, ElectionChange};

/// Processing step 1 (before payments), inside the processing transaction: splits every line
/// into its reinvested part and its cash part (`reinvested_minor`, `cash_minor`), so that
/// total = reinvested + cash + withholding, and writes the reinvestment transactions, lots,
/// basis adjustments and holdings. See [`step`].
pub async fn step(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), JobError> {
    step::run(tx, actor, d).await
}

/// Refuses to start processing (409, naming fund and date) when reinvestment would need a
/// missing or stale NAV; called when a distribution goes to `PROCESSING`, in its transaction.
pub async fn preflight(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), StoreError> {
    step::preflight(tx, actor, d).await
}
