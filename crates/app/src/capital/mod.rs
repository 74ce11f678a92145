//! Private-fund capital: commitments, capital calls, contributions, recallable amounts,
//! income/gain/loss per period and its allocation, ownership, and the capital-account report.
//! Each service runs in the caller's transaction with its audit entry and event; the rules are
//! in [`clearway_core::capital`].
//!
//! # Layout
//! - [`book`]: the fund's positions in memory, against which a batch is checked row by row
//!   (so an import can commit, then call, then receive in one file, all or nothing).
//! - [`activity`]: commitments, calls, contributions, recallables (API, pages and import).
//! - [`income`]: period amounts and their allocation.
//! - [`report`]: ownership as of a date and the capital-account report with its tie-out.
//! - [`import`]: CSV/XLSX rows into one batch.

pub mod activity;
pub mod book;
pub mod import;
pub mod income;
pub mod report;

pub use activity::*;
pub use income::*;
pub use report::*;

use clearway_store::audit;
use clearway_store::outbox;
use clearway_store::{Actor, StoreError, Tx};
use serde_json::Value;

/// Names a field of input item `i`: `commitments[2].amount` in JSON, `rows[5].amount` in an
/// import (the file's line number).
pub type FieldName<'a> = &'a dyn Fn(usize, &str) -> String;

/// Records the audit entry and the event of a capital change.
async fn trail(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    id: &str,
    after: Value,
) -> Result<(), StoreError> {
    audit::record(
        tx,
        actor,
        audit::Change {
            action,
            entity_type,
            entity_id: id,
            before: None,
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(tx, actor, action, entity_type, id, after).await?;
    Ok(())
}
