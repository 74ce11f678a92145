//! In-kind distributions: securities, fund positions (with the units reserved by open in-kind
//! distributions), the in-kind part of a distribution and its lines, and the lots recipients
//! receive. The reservation is a conditional UPDATE on integer columns, so two declarations
//! drawing on one position can never take more than it holds, on either backend.
//!
//! # Layout
//! - [`securities`]: securities and fund positions.
//! - this file: the in-kind part of distributions, processing, reversal and lots.

pub mod securities;

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::distribution::{Kind, Status};
use rust_decimal::Decimal;

use crate::distributions::Distribution;
use crate::{new_id, now_text, q, Actor, Db, Row, StoreError, Tx};

pub use securities::{Position, Security};

/// The in-kind part of a distribution (negated units on a reversal).
#[derive(Debug, Clone, PartialEq)]
pub struct InKind {
    /// The distribution.
    pub distribution_id: String,
    /// Fund.
    pub fund_id: String,
    /// Security distributed.
    pub security_id: String,
    /// Units declared (`distributed + retained`).
    pub quantity: i64,
    /// Value per unit on the distribution date.
    pub value_per_unit: Decimal,
    /// Whole units delivered to investors.
    pub distributed_units: i64,
    /// Units the fund keeps, paid as cash in lieu.
    pub retained_units: i64,
    /// Units the declaration still holds on the position.
    pub reserved_units: i64,
}

/// One investor's in-kind line.
#[derive(Debug, Clone, PartialEq)]
pub struct InKindLine {
    /// Investor.
    pub investor_id: String,
    /// Whole units received (negative on a reversal).
    pub units: i64,
    /// Value per unit.
    pub value_per_unit: Decimal,
    /// `units × value per unit`, minor units.
    pub property_minor: i64,
    /// Cash in lieu of the fraction (also the line's cash total), minor units.
    pub cash_in_lieu_minor: i64,
}

fn decimal(r: &Row, col: &str) -> Result<Decimal, StoreError> {
    r.parse(col)
}

fn in_kind_from_row(r: &Row) -> Result<InKind, StoreError> {
    Ok(InKind {
        distribution_id: r.text("distribution_id")?,
        fund_id: r.text("fund_id")?,
        security_id: r.text("security_id")?,
        quantity: r.i64("quantity")?,
        value_per_unit: decimal(r, "value_per_unit")?,
        distributed_units: r.i64("distributed_units")?,
        retained_units: r.i64("retained_units")?,
        reserved_units: r.i64("reserved_units")?,
    })
}

fn line_from_row(r: &Row) -> Result<InKindLine, StoreError> {
    Ok(InKindLine {
        investor_id: r.text("investor_id")?,
        units: r.i64("units")?,
        value_per_unit: decimal(r, "value_per_unit")?,
        property_minor: r.i64("property_minor")?,
        cash_in_lieu_minor: r.i64("cash_in_lieu_minor")?,
    })
}

const IN_KIND_COLUMNS: &str = "distribution_id, fund_id, security_id, quantity, value_per_unit, distributed_units, retained_units, reserved_units";

/// Records the in-kind part of distribution `h.distribution_id` and its lines, inside `tx`.
pub async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    h: &InKind,
    lines: &[InKindLine],
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    tx.execute(
        q(format!("INSERT INTO in_kind_distributions ({IN_KIND_COLUMNS}, org_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
            .bind(&h.distribution_id)
            .bind(&h.fund_id)
            .bind(&h.security_id)
            .bind(h.quantity)
            .bind(h.value_per_unit.normalize().to_string())
            .bind(h.distributed_units)
            .bind(h.retained_units)
            .bind(h.reserved_units)
            .bind(&actor.org_id),
    )
    .await?;
    for l in lines {
        tx.execute(
            q("INSERT INTO in_kind_lines (distribution_id, org_id, investor_id, security_id, units, value_per_unit, property_minor, cash_in_lieu_minor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(&h.distribution_id)
                .bind(&actor.org_id)
                .bind(&l.investor_id)
                .bind(&h.security_id)
                .bind(l.units)
                .bind(l.value_per_unit.normalize().to_string())
                .bind(l.property_minor)
                .bind(l.cash_in_lieu_minor),
        )
        .await?;
    }
    Ok(())
}

/// The in-kind part of distribution `id` (None: a cash distribution), inside `tx`.
pub async fn get_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Option<InKind>, StoreError> {
    tx.fetch_optional(
        q(format!(
            "SELECT {IN_KIND_COLUMNS} FROM in_kind_distributions WHERE distribution_id = $1 AND org_id = $2"
        ))
        .bind(id)
        .bind(&actor.org_id),
    )
    .await?
    .map(|r| in_kind_from_row(&r))
    .transpose()
}

/// The in-kind part of distribution `d` (already read with the actor's visibility).
pub async fn get(db: &Db, actor: &Actor, d: &Distribution) -> Result<Option<InKind>, StoreError> {
    db.fetch_optional(
        q(format!(
            "SELECT {IN_KIND_COLUMNS} FROM in_kind_distributions WHERE distribution_id = $1 AND org_id = $2"
        ))
        .bind(&d.id)
        .bind(&actor.org_id),
    )
    .await?
    .map(|r| in_kind_from_row(&r))
    .transpose()
}

const LINE_SELECT: &str = "SELECT investor_id, units, value_per_unit, property_minor, cash_in_lieu_minor FROM in_kind_lines";

/// The in-kind lines of distribution `d` (read with the actor's visibility): an investor
/// gets only their own line.
pub async fn lines(
    db: &Db,
    actor: &Actor,
    d: &Distribution,
) -> Result<Vec<InKindLine>, StoreError> {
    actor.require(Permission::Read)?;
    db.fetch_all(
        q(format!("{LINE_SELECT} WHERE distribution_id = $1 AND org_id = $2 AND ($3 IS NULL OR investor_id = $3) ORDER BY investor_id"))
            .bind(&d.id)
            .bind(&actor.org_id)
            .bind(actor.investor_id.as_deref()),
    )
    .await?
    .iter()
    .map(line_from_row)
    .collect()
}

async fn lines_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Vec<InKindLine>, StoreError> {
    tx.fetch_all(
        q(format!(
            "{LINE_SELECT} WHERE distribution_id = $1 AND org_id = $2 ORDER BY investor_id"
        ))
        .bind(id)
        .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(line_from_row)
    .collect()
}

/// Releases what distribution `id` still reserves on its position (on cancel); a cash
/// distribution, or one already released, changes nothing.
pub async fn release(tx: &mut Tx, actor: &Actor, id: &str) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let Some(h) = get_tx(tx, actor, id).await? else {
        return Ok(());
    };
    if h.reserved_units == 0 {
        return Ok(());
    }
    securities::adjust(tx, actor, &h.fund_id, &h.security_id, 0, -h.reserved_units).await?;
    clear_reservation(tx, actor, id).await
}

async fn clear_reservation(tx: &mut Tx, actor: &Actor, id: &str) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE in_kind_distributions SET reserved_units = 0 WHERE distribution_id = $1 AND org_id = $2")
            .bind(id)
            .bind(&actor.org_id),
    )
    .await?;
    Ok(())
}

/// Processing of distribution `d`, inside the processing transaction: a regular in-kind
/// distribution delivers (a lot per recipient, the position reduced by the units delivered and
/// its reservation released, zero-cash lines done); a reversal of one returns the units
/// (the recipients' lots closed, the position increased). Anything else changes nothing.
pub async fn settle(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let Some(h) = get_tx(tx, actor, &d.id).await? else {
        return Ok(());
    };
    let lines = lines_tx(tx, actor, &d.id).await?;
    if d.kind == Kind::Reversal {
        return return_units(tx, actor, d, &h, &lines).await;
    }
    for l in lines.iter().filter(|l| l.units > 0) {
        tx.execute(
            q("INSERT INTO security_lots (id, org_id, investor_id, security_id, distribution_id, units, acquired_on, basis_minor, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(new_id())
                .bind(&actor.org_id)
                .bind(&l.investor_id)
                .bind(&h.security_id)
                .bind(&d.id)
                .bind(l.units)
                .bind(d.schedule.payable.to_string())
                .bind(l.property_minor)
                .bind(d.currency.code())
                .bind(now_text()),
        )
        .await?;
    }
    securities::adjust(
        tx,
        actor,
        &h.fund_id,
        &h.security_id,
        -h.distributed_units,
        -h.reserved_units,
    )
    .await?;
    clear_reservation(tx, actor, &d.id).await?;
    // A line paid wholly in kind creates no payment: it is done once the units are delivered.
    tx.execute(
        q("UPDATE distribution_lines SET status = 'PAID' WHERE distribution_id = $1 AND org_id = $2 AND status = 'PENDING' AND total_minor = 0")
            .bind(&d.id)
            .bind(&actor.org_id),
    )
    .await?;
    Ok(())
}

async fn return_units(
    tx: &mut Tx,
    actor: &Actor,
    reversal: &Distribution,
    h: &InKind,
    lines: &[InKindLine],
) -> Result<(), StoreError> {
    let original = reversal
        .reverses_id
        .as_deref()
        .ok_or_else(|| StoreError::Corrupt(format!("reversal {} reverses nothing", reversal.id)))?;
    let mut returned = 0;
    for l in lines.iter().filter(|l| l.units < 0) {
        let closed = tx
            .execute(
                q("UPDATE security_lots SET closed_on = $1, closed_by = $2 WHERE org_id = $3 AND distribution_id = $4 AND investor_id = $5 AND closed_on IS NULL")
                    .bind(reversal.schedule.payable.to_string())
                    .bind(&reversal.id)
                    .bind(&actor.org_id)
                    .bind(original)
                    .bind(&l.investor_id),
            )
            .await?;
        if closed == 1 {
            returned += -l.units;
        }
    }
    securities::adjust(tx, actor, &h.fund_id, &h.security_id, returned, 0).await
}

/// On creating reversal `reversal` of distribution `original_id`: its in-kind part and the
/// negated in-kind lines of the investors it reverses (nothing for a cash distribution).
pub async fn copy_reversed(
    tx: &mut Tx,
    actor: &Actor,
    original_id: &str,
    reversal: &Distribution,
) -> Result<(), StoreError> {
    let Some(h) = get_tx(tx, actor, original_id).await? else {
        return Ok(());
    };
    let reversed = lines_tx(tx, actor, original_id).await?;
    let chosen = crate::distributions::all_lines_tx(tx, actor, &reversal.id).await?;
    let negated: Vec<InKindLine> = reversed
        .into_iter()
        .filter(|l| chosen.iter().any(|c| c.investor_id == l.investor_id))
        .map(|l| InKindLine {
            units: -l.units,
            property_minor: -l.property_minor,
            cash_in_lieu_minor: -l.cash_in_lieu_minor,
            ..l
        })
        .collect();
    let units: i64 = negated.iter().map(|l| l.units).sum();
    let header = InKind {
        distribution_id: reversal.id.clone(),
        quantity: units,
        distributed_units: units,
        retained_units: 0,
        reserved_units: 0,
        ..h
    };
    insert(tx, actor, &header, &negated).await
}

/// A security lot an investor received in kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Lot {
    /// Id.
    pub id: String,
    /// Investor.
    pub investor_id: String,
    /// Security.
    pub security_id: String,
    /// Security name.
    pub security_name: String,
    /// Identifier type and identifier.
    pub identifier: (String, String),
    /// The distribution that delivered it.
    pub distribution_id: String,
    /// Whole units.
    pub units: i64,
    /// The distribution's payable date.
    pub acquired_on: NaiveDate,
    /// Value on that date, minor units.
    pub basis_minor: i64,
    /// Currency of the basis.
    pub currency: String,
    /// When a reversal returned it (None: held).
    pub closed_on: Option<NaiveDate>,
}

/// Lots of investor `investor_id` (an investor user: only their own), newest first, a page
/// of `limit` after `before_id`.
pub async fn lots(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Lot>, StoreError> {
    // Another organization's investor is not found (not an empty list): as everywhere else.
    crate::reinvestment::check_investor(db, actor, investor_id).await?;
    let rows = db
        .fetch_all(
            q("SELECT l.id, l.investor_id, l.security_id, s.name, s.identifier_type, s.identifier, l.distribution_id, l.units, l.acquired_on, l.basis_minor, l.currency, l.closed_on
               FROM security_lots l JOIN securities s ON s.id = l.security_id
               WHERE l.org_id = $1 AND l.investor_id = $2 AND ($3 IS NULL OR l.id < $3)
               ORDER BY l.id DESC LIMIT $4")
                .bind(&actor.org_id)
                .bind(investor_id)
                .bind(before_id)
                .bind(limit),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Lot {
                id: r.text("id")?,
                investor_id: r.text("investor_id")?,
                security_id: r.text("security_id")?,
                security_name: r.text("name")?,
                identifier: (r.text("identifier_type")?, r.text("identifier")?),
                distribution_id: r.text("distribution_id")?,
                units: r.i64("units")?,
                acquired_on: r.parse("acquired_on")?,
                basis_minor: r.i64("basis_minor")?,
                currency: r.text("currency")?,
                closed_on: r
                    .opt_text("closed_on")?
                    .map(|t| {
                        t.parse()
                            .map_err(|e: chrono::ParseError| StoreError::Corrupt(e.to_string()))
                    })
                    .transpose()?,
            })
        })
        .collect()
}

/// Property distributed in kind per investor of fund `fund_id` (id), by payable date in
/// `from..=to`, over distributions PROCESSING or COMPLETED; reversals count negative. For
/// capital accounts (distributions at stated value) and tax (K-1 line 19C).
pub async fn property_by_investor(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, i64)>, StoreError> {
    actor.require(Permission::Read)?;
    let rows = tx
        .fetch_all(
            q("SELECT l.investor_id, CAST(SUM(l.property_minor) AS BIGINT) AS property_minor
               FROM in_kind_lines l JOIN distributions d ON d.id = l.distribution_id
               WHERE l.org_id = $1 AND d.org_id = $1 AND d.fund_id = $2 AND d.status IN ($3, $4)
                 AND d.payable_date >= $5 AND d.payable_date <= $6 AND ($7 IS NULL OR l.investor_id = $7)
               GROUP BY l.investor_id ORDER BY l.investor_id")
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(Status::Processing.as_str())
                .bind(Status::Completed.as_str())
                .bind(from.to_string())
                .bind(to.to_string())
                .bind(actor.investor_id.as_deref()),
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.text("investor_id")?, r.i64("property_minor")?)))
        .collect()
}

/// [`property_by_investor`] in a transaction of its own.
pub async fn property_by_investor_db(
    db: &Db,
    actor: &Actor,
    fund_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut tx = db.begin().await?;
    let out = property_by_investor(&mut tx, actor, fund_id, from, to).await?;
    tx.commit().await?;
    Ok(out)
}
