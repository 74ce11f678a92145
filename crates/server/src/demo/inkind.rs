//! Demo data of in-kind distributions: a security the partnership holds, ready to distribute.

use clearway_store::inkind::securities;
use clearway_store::{Actor, Db, StoreError};

/// Units of the demo position.
const UNITS: i64 = 25_000;

/// Seeds a security (a real ISIN, check digit valid) and the partnership's position in it.
pub async fn seed(db: &Db, operator: &Actor, lp_fund_id: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let s = securities::create(
        &mut tx,
        operator,
        "Microsoft Corp. common stock",
        "ISIN",
        "US5949181045",
    )
    .await?;
    securities::set(&mut tx, operator, lp_fund_id, &s.id, UNITS).await?;
    tx.commit().await
}
