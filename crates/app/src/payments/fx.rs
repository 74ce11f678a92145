//! FX rates: importing validated rates, audited, in one transaction.

use clearway_store::audit::{self, Change};
use clearway_store::fx::{self, NewRate};
use clearway_store::{Actor, Db};
use serde_json::json;

use crate::AppResult;

/// What [`import`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// Rates received.
    pub received: usize,
    /// Rates stored (new ones).
    pub imported: usize,
}

/// Stores validated rates and audits the import.
pub async fn import(db: &Db, actor: &Actor, rates: &[NewRate]) -> AppResult<Imported> {
    let mut tx = db.begin().await?;
    let imported = fx::import(&mut tx, actor, rates).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "fx_rates.import",
            entity_type: "fx_rate",
            entity_id: "fx",
            before: None,
            after: Some(json!({ "received": rates.len(), "imported": imported })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Imported {
        received: rates.len(),
        imported,
    })
}
