//! Demo waterfall terms for the partnership (DEMO-LP): European, return of capital, 8 %
//! simple preferred return, 100 % GP catch-up to 20 %, 20 % carried interest, 40 % clawback
//! tax offset. With the capital calls of `capital.rs` and the quarterly history, the tour runs
//! a hypothetical and declares a real waterfall distribution from them.

use clearway_core::waterfall::{Compounding, DayCount, Style, Terms, Tier};
use clearway_store::{Actor, Db, StoreError};
use rust_decimal::Decimal;

/// The demo partnership's terms.
pub fn terms() -> Terms {
    Terms {
        style: Style::European,
        tiers: vec![
            Tier::ReturnOfCapital,
            Tier::PreferredReturn {
                rate: Decimal::new(8, 2),
                compounding: Compounding::Simple,
                day_count: DayCount::Act365,
            },
            Tier::CatchUp {
                gp_percentage: Decimal::ONE,
                target_gp_share: Decimal::new(20, 2),
            },
            Tier::CarriedInterest {
                gp_percentage: Decimal::new(20, 2),
            },
        ],
        clawback_tax_offset: Decimal::new(40, 2),
    }
}

/// Sets the terms of `fund_id` as `operator`.
pub async fn seed(db: &Db, operator: &Actor, fund_id: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    clearway_app::waterfall::set_terms(&mut tx, operator, fund_id, &terms())
        .await
        .map_err(|e| match e {
            clearway_app::AppError::Store(s) => s,
            clearway_app::AppError::Invalid(i) => StoreError::Invalid(i),
            clearway_app::AppError::Remote(r) => StoreError::Conflict(r),
        })?;
    tx.commit().await
}
