//! Recovering money after a reversal: receivables opened when a reversal is processed,
//! offsets against the investor's later distributions, collections recorded by hand, write-offs,
//! ACH reversing entries, and reconciliation clearing an expected recovery.
//!
//! # Layout
//! - this file: the processing hook [`step`]; the trail of a receivable change is the store's
//!   ([`clearway_store::recovery::trail`]), shared with payments.
//! - [`receivables`]: opening receivables when a reversal is processed.
//! - [`offset`]: offsetting a later distribution's cash against open receivables.
//! - [`collect`]: wires and checks recorded by hand; write-offs.
//! - [`ach`]: the NACHA reversing entry of an erroneous ACH credit.
//! - [`reconcile`]: a bank statement credit clearing an expected recovery.
//!
//! An original payment that comes back after its line was reversed closes its receivable in
//! [`crate::payments::reversed`] (payments settle outcomes and must not depend on this module).

pub mod ach;
pub mod collect;
pub mod offset;
pub mod receivables;
pub mod reconcile;

use clearway_core::distribution::Kind;
use clearway_store::distributions::Distribution;
use clearway_store::{Actor, Tx};

use crate::jobs::JobError;

pub use clearway_store::recovery::{body, trail};
pub use offset::offset_lines;
pub use receivables::open_receivables;

/// Processing step between reinvestment and payments, in the processing transaction: a
/// reversal turns the cash its lines undo into receivables (or nothing owed); any other
/// distribution paying cash first offsets what its investors owe.
pub async fn step(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), JobError> {
    match d.kind {
        Kind::Reversal => open_receivables(tx, actor, d).await?,
        _ => offset_lines(tx, actor, d).await?,
    }
    Ok(())
}
