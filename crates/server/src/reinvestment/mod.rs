//! Dividend reinvestment (DRIP): elections, NAV, the reinvestment step of processing, reports.

use axum::Router;
use clearway_store::distributions::Distribution;
use clearway_store::{q, Actor, Tx};
use utoipa::OpenApi;

use crate::jobs::JobError;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi()]
pub struct ApiDoc;

/// Processing step 1 (before payments), inside the processing transaction: splits every line
/// into its reinvested part and its cash part (`reinvested_minor`, `cash_minor`), so that
/// total = reinvested + cash + withholding. Until elections exist everything is cash.
pub async fn step(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), JobError> {
    tx.execute(
        q("UPDATE distribution_lines SET reinvested_minor = 0, cash_minor = total_minor - withholding_minor
           WHERE distribution_id = $1 AND org_id = $2 AND cash_minor IS NULL")
            .bind(&d.id)
            .bind(&actor.org_id),
    )
    .await?;
    Ok(())
}
