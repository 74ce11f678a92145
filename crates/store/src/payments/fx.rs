//! FX rates for paying investors in another currency: imported by API or CSV with their
//! source and timestamp; a payment uses the newest rate at or before the time it is made.

use clearway_core::access::Permission;
use clearway_core::Currency;
use rust_decimal::Decimal;

use crate::{new_id, now_text, q, Actor, Db, Row, StoreError, Tx};

/// A stored rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FxRate {
    /// Id.
    pub id: String,
    /// Currency converted from.
    pub base: String,
    /// Currency converted into.
    pub quote: String,
    /// Units of quote per unit of base (canonical decimal).
    pub rate: String,
    /// Where it came from (e.g. `ECB`, `bank`, `manual`).
    pub source: String,
    /// When the rate was observed (UTC timestamp).
    pub as_of: String,
}

/// A rate to import.
#[derive(Debug, Clone)]
pub struct NewRate {
    /// Base.
    pub base: Currency,
    /// Quote.
    pub quote: Currency,
    /// Rate.
    pub rate: Decimal,
    /// Source.
    pub source: String,
    /// Timestamp text (stored form).
    pub as_of: String,
}

fn from_row(r: &Row) -> Result<FxRate, StoreError> {
    Ok(FxRate {
        id: r.text("id")?,
        base: r.text("base")?,
        quote: r.text("quote")?,
        rate: r.text("rate")?,
        source: r.text("source")?,
        as_of: r.text("as_of")?,
    })
}

/// Imports rates (operators and admins); a rate already imported (same pair, time and source)
/// is skipped. Returns how many were new.
pub async fn import(tx: &mut Tx, actor: &Actor, rates: &[NewRate]) -> Result<usize, StoreError> {
    actor.require(Permission::Operate)?;
    let now = now_text();
    let mut added = 0;
    for r in rates {
        added += tx
            .execute(
                q("INSERT INTO fx_rates (id, org_id, base, quote, rate, source, as_of, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                   ON CONFLICT (org_id, base, quote, as_of, source) DO NOTHING")
                    .bind(new_id())
                    .bind(&actor.org_id)
                    .bind(r.base.code())
                    .bind(r.quote.code())
                    .bind(r.rate.normalize().to_string())
                    .bind(&r.source)
                    .bind(&r.as_of)
                    .bind(&now),
            )
            .await? as usize;
    }
    Ok(added)
}

/// The newest rate for base → quote observed at or before `at`.
pub async fn latest(
    tx: &mut Tx,
    actor: &Actor,
    base: &str,
    quote: &str,
    at: &str,
) -> Result<Option<FxRate>, StoreError> {
    tx.fetch_optional(
        q("SELECT id, base, quote, rate, source, as_of FROM fx_rates WHERE org_id = $1 AND base = $2 AND quote = $3 AND as_of <= $4 ORDER BY as_of DESC, id DESC LIMIT 1")
            .bind(&actor.org_id)
            .bind(base)
            .bind(quote)
            .bind(at),
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// Rates of the organization, newest first, keyset-paginated by id.
pub async fn list(
    db: &Db,
    actor: &Actor,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<FxRate>, StoreError> {
    actor.require(Permission::Read)?;
    db.fetch_all(
        q("SELECT id, base, quote, rate, source, as_of FROM fx_rates WHERE org_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3")
            .bind(&actor.org_id)
            .bind(before)
            .bind(limit),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}
