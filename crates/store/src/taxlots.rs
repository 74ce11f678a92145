//! Tax lots (positions by acquisition): reading them for return of capital, redemptions and
//! reports. Lots are written by the processing step ([`crate::reinvestment::persist`]) and,
//! for opening positions, by [`crate::reinvestment::insert_lots`].

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::taxlots::Lot;
use rust_decimal::Decimal;

use crate::db::{fetch_packed, unpack};
use crate::reinvestment::check_investor;
use crate::{q, Actor, Db, Row, StoreError, Tx};

/// Open lots of every investor of a fund acquired on or before `date`, as
/// (investor id, lot), sorted by investor, acquisition date and id.
pub async fn open_lots_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    acquired_by: NaiveDate,
) -> Result<Vec<(String, Lot)>, StoreError> {
    actor.require(Permission::Read)?;
    let packed = fetch_packed(
        tx,
        q("SELECT string_agg(investor_id || ',' || acquired_on || ',' || id || ',' || shares || ',' || basis_minor, ';') AS packed
           FROM position_lots WHERE org_id = $1 AND fund_id = $2 AND status = 'OPEN' AND acquired_on <= $3")
        .bind(&actor.org_id)
        .bind(fund_id)
        .bind(acquired_by.to_string()),
    )
    .await?;
    let corrupt = |e: String| StoreError::Corrupt(e);
    let mut lots = unpack::<5>(&packed)?
        .into_iter()
        .map(|[investor, acquired, id, shares, basis]| {
            Ok((
                investor.to_string(),
                Lot {
                    id: id.to_string(),
                    acquired: acquired
                        .parse()
                        .map_err(|e| corrupt(format!("{acquired}: {e}")))?,
                    shares: shares
                        .parse()
                        .map_err(|e| corrupt(format!("{shares}: {e}")))?,
                    basis_minor: basis
                        .parse()
                        .map_err(|e| corrupt(format!("{basis}: {e}")))?,
                },
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    lots.sort_unstable_by(|a, b| {
        (a.0.as_str(), a.1.acquired, a.1.id.as_str()).cmp(&(
            b.0.as_str(),
            b.1.acquired,
            b.1.id.as_str(),
        ))
    });
    Ok(lots)
}

/// A lot as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotRecord {
    /// Lot id.
    pub id: String,
    /// Fund.
    pub fund_id: String,
    /// Acquisition date.
    pub acquired_on: NaiveDate,
    /// OPENING, PURCHASE or REINVESTMENT.
    pub source: String,
    /// For reinvestment lots: the distribution.
    pub source_distribution_id: Option<String>,
    /// Currency of the basis (the fund's).
    pub currency: String,
    /// Shares acquired.
    pub original_shares: Decimal,
    /// Cost paid, minor units.
    pub original_cost_minor: i64,
    /// Shares still held (0 once CLOSED).
    pub shares: Decimal,
    /// Adjusted basis, minor units.
    pub basis_minor: i64,
    /// OPEN or CLOSED.
    pub status: String,
}

fn lot_from_row(r: &Row) -> Result<LotRecord, StoreError> {
    let status = r.text("status")?;
    let shares: Decimal = r.parse("shares")?;
    Ok(LotRecord {
        id: r.text("id")?,
        fund_id: r.text("fund_id")?,
        acquired_on: r.parse("acquired_on")?,
        source: r.text("source")?,
        source_distribution_id: r.opt_text("source_distribution_id")?,
        currency: r.text("currency")?,
        original_shares: shares,
        original_cost_minor: r.i64("original_cost_minor")?,
        shares: if status == "OPEN" {
            shares
        } else {
            Decimal::ZERO
        },
        basis_minor: r.i64("basis_minor")?,
        status,
    })
}

/// An investor's lots (optionally one fund, optionally with closed ones), in FIFO order,
/// keyset-paginated by (acquisition date, id) through `after`.
pub async fn list(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    fund_id: Option<&str>,
    include_closed: bool,
    after: Option<(NaiveDate, String)>,
    limit: i64,
) -> Result<Vec<LotRecord>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    let (after_date, after_id) = match after {
        Some((d, id)) => (Some(d.to_string()), Some(id)),
        None => (None, None),
    };
    db.fetch_all(
        q("SELECT p.id, p.fund_id, p.acquired_on, p.source, p.source_distribution_id, f.currency, p.original_cost_minor, p.shares, p.basis_minor, p.status
           FROM position_lots p JOIN funds f ON f.id = p.fund_id
           WHERE p.org_id = $1 AND p.investor_id = $2 AND ($3 IS NULL OR p.fund_id = $3) AND ($4 = 1 OR p.status = 'OPEN')
             AND ($5 IS NULL OR p.acquired_on > $5 OR (p.acquired_on = $5 AND p.id > $6))
           ORDER BY p.acquired_on, p.id LIMIT $7")
        .bind(&actor.org_id)
        .bind(investor_id)
        .bind(fund_id)
        .bind(i64::from(include_closed))
        .bind(after_date)
        .bind(after_id)
        .bind(limit),
    )
    .await?
    .iter()
    .map(lot_from_row)
    .collect()
}

/// An investor's open lots in one fund, as the core's [`Lot`]s (for redemption previews).
pub async fn open_lots_of(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    fund_id: &str,
) -> Result<Vec<Lot>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    db.fetch_all(
        q("SELECT id, acquired_on, shares, basis_minor FROM position_lots WHERE org_id = $1 AND investor_id = $2 AND fund_id = $3 AND status = 'OPEN' ORDER BY acquired_on, id")
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(fund_id),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Lot {
            id: r.text("id")?,
            acquired: r.parse("acquired_on")?,
            shares: r.parse("shares")?,
            basis_minor: r.i64("basis_minor")?,
        })
    })
    .collect()
}

/// Total basis change (return of capital and its reversals) per lot of an investor, for the
/// given lots (lot id → minor units).
pub async fn basis_changes(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    lot_ids: &[String],
) -> Result<std::collections::HashMap<String, i64>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    let mut out = std::collections::HashMap::new();
    for chunk in lot_ids.chunks(1_000) {
        let placeholders = crate::db::placeholders(3, chunk.len());
        let mut query = q(format!(
            "SELECT lot_id, CAST(SUM(basis_change_minor) AS BIGINT) AS total FROM lot_adjustments WHERE org_id = $1 AND investor_id = $2 AND lot_id IN ({}) GROUP BY lot_id",
            placeholders
        ))
        .bind(&actor.org_id)
        .bind(investor_id);
        for id in chunk {
            query.push(id);
        }
        for r in db.fetch_all(query).await? {
            out.insert(r.text("lot_id")?, r.i64("total")?);
        }
    }
    Ok(out)
}

/// Status (OPEN/CLOSED) of the given lots of the actor's organization, by id.
pub async fn statuses_tx(
    tx: &mut Tx,
    actor: &Actor,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    actor.require(Permission::Read)?;
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(4_000) {
        let placeholders = crate::db::placeholders(2, chunk.len());
        let mut query = q(format!(
            "SELECT id, status FROM position_lots WHERE org_id = $1 AND id IN ({})",
            placeholders
        ))
        .bind(&actor.org_id);
        for id in chunk {
            query.push(id);
        }
        for r in tx.fetch_all(query).await? {
            out.insert(r.text("id")?, r.text("status")?);
        }
    }
    Ok(out)
}
