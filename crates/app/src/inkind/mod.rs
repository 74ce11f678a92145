//! In-kind distributions: securities, fund positions, and declaring a distribution of a
//! security (a regular distribution whose lines carry the cash in lieu, with its in-kind part
//! beside it), plus the hooks the lifecycle calls: release on cancel, delivery or return on
//! processing, the in-kind part of a reversal, and the refusal of cash-only edits.
//!
//! The split rule is [`clearway_core::inkind::split`]; docs/private-funds.md states it.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::distribution::{Components, Kind, PlannedLine, Schedule, Status};
use clearway_core::inkind::{self as core, check_identifier, IdentifierType, InKindSplit};
use clearway_core::input::check_text;
use clearway_core::{FieldError, Invalid};
use clearway_store::audit::{self, Change};
use clearway_store::distributions::{self as dstore, Distribution, NewDistribution};
use clearway_store::funds::{self, Fund};
use clearway_store::inkind::{self as store, securities, InKind, InKindLine, Position, Security};
use clearway_store::{Actor, Db, StoreError, Tx};
use rust_decimal::Decimal;
use serde_json::json;

use crate::jobs::JobError;
use crate::{AppError, AppResult};

/// Longest security name.
const NAME_MAX: usize = 200;

/// Creates a security after checking its name and identifier (CUSIP and ISIN check digits).
pub async fn create_security(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    identifier_type: &str,
    identifier: &str,
) -> AppResult<Security> {
    actor.require(Permission::Operate)?;
    let mut errors = Vec::new();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        errors.push(FieldError::new("name", "is required (1 to 200 characters)"));
    } else if let Err(e) = check_text("name", name, true) {
        errors.push(e);
    }
    let identifier = identifier.trim().to_ascii_uppercase();
    match identifier_type.parse::<IdentifierType>() {
        Err(why) => errors.push(FieldError::new("identifierType", why)),
        Ok(kind) => {
            if let Err(why) = check_identifier(kind, &identifier) {
                errors.push(FieldError::new("identifier", why));
            }
        }
    }
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    let s = securities::create(tx, actor, name, identifier_type, &identifier)
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                AppError::field(
                    "identifier",
                    format!("{identifier_type} {identifier} is already recorded"),
                )
            } else {
                e.into()
            }
        })?;
    audit::record(
        tx,
        actor,
        Change {
            action: "security.create",
            entity_type: "security",
            entity_id: &s.id,
            before: None,
            after: Some(json!({ "name": s.name, "identifierType": s.identifier_type, "identifier": s.identifier })),
        },
    )
    .await?;
    Ok(s)
}

/// Sets fund `fund_ref`'s position in `security_id` to `quantity` whole units (never below
/// what open in-kind distributions reserve), audited.
pub async fn set_position(
    db: &Db,
    actor: &Actor,
    fund_ref: &str,
    security_id: &str,
    quantity: i64,
) -> AppResult<Position> {
    actor.require(Permission::Operate)?;
    let mut tx = db.begin().await?;
    let fund = funds::get_fund_tx(&mut tx, actor, fund_ref).await?;
    securities::get_tx(&mut tx, actor, security_id).await?;
    if quantity < 0 {
        return Err(AppError::field("quantity", "must be 0 or more whole units"));
    }
    let before = securities::position_tx(&mut tx, actor, &fund.id, security_id).await?;
    if !securities::set(&mut tx, actor, &fund.id, security_id, quantity).await? {
        let reserved = before.map(|p| p.reserved).unwrap_or(0);
        return Err(AppError::field(
            "quantity",
            format!(
                "must not be below the {reserved} units reserved by open in-kind distributions"
            ),
        ));
    }
    let after = securities::position_tx(&mut tx, actor, &fund.id, security_id)
        .await?
        .ok_or(StoreError::NotFound("position"))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "position.set",
            entity_type: "fund_position",
            entity_id: &format!("{}:{}", fund.id, security_id),
            before: before.map(|p| json!({ "quantity": p.quantity, "reserved": p.reserved })),
            after: Some(json!({ "quantity": after.quantity, "reserved": after.reserved })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// An in-kind declaration as read from a request: what parsed, and the errors of what did not
/// (the service adds the security and position errors, so every bad field is named at once).
#[derive(Debug, Clone, Default)]
pub struct InKindRequest {
    /// Security id.
    pub security_id: String,
    /// Whole units to distribute.
    pub quantity: Option<i64>,
    /// Value per unit on the distribution date, in the fund's currency.
    pub value_per_unit: Option<Decimal>,
    /// Dates.
    pub schedule: Option<Schedule>,
    /// Free text.
    pub description: String,
    /// Errors found while reading the request.
    pub errors: Vec<FieldError>,
}

/// A planned in-kind distribution (nothing written).
#[derive(Debug, Clone)]
pub struct InKindPlan {
    /// The fund.
    pub fund: Fund,
    /// The security.
    pub security: Security,
    /// The position before the declaration.
    pub position: Position,
    /// Dates.
    pub schedule: Schedule,
    /// Units declared.
    pub quantity: i64,
    /// Value per unit.
    pub value_per_unit: Decimal,
    /// The split.
    pub split: InKindSplit,
}

/// Plans an in-kind distribution of fund `fund` inside `tx`, naming every bad field.
async fn plan(
    tx: &mut Tx,
    actor: &Actor,
    fund: Fund,
    req: &InKindRequest,
) -> AppResult<InKindPlan> {
    let mut errors = req.errors.clone();
    let security = match securities::get_tx(tx, actor, &req.security_id).await {
        Ok(s) => Some(s),
        Err(StoreError::NotFound(_)) => {
            errors.push(FieldError::new(
                "securityId",
                format!("security '{}' not found", req.security_id),
            ));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let position = match &security {
        Some(s) => securities::position_tx(tx, actor, &fund.id, &s.id).await?,
        None => None,
    };
    if security.is_some() && position.is_none() {
        errors.push(FieldError::new(
            "securityId",
            "the fund holds no position in this security",
        ));
    }
    if let (Some(p), Some(q)) = (&position, req.quantity) {
        if q > p.available() {
            errors.push(FieldError::new(
                "quantity",
                format!(
                    "{q} units exceed the fund's available position of {} ({} held, {} reserved)",
                    p.available(),
                    p.quantity,
                    p.reserved
                ),
            ));
        }
    }
    let (Some(security), Some(position), Some(quantity), Some(value), Some(schedule)) = (
        security,
        position,
        req.quantity,
        req.value_per_unit,
        req.schedule,
    ) else {
        return Err(Invalid(errors).into());
    };
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    let holdings = funds::holdings_as_of(tx, actor, &fund.id, schedule.record).await?;
    let split = core::split(
        quantity as u64,
        value,
        fund.currency.minor_units(),
        &holdings,
    )
    .map_err(|e| AppError::field("quantity", format!("cannot allocate: {e}")))?;
    Ok(InKindPlan {
        fund,
        security,
        position,
        schedule,
        quantity,
        value_per_unit: value,
        split,
    })
}

/// The fund named in the path (id or code).
async fn fund(tx: &mut Tx, actor: &Actor, fund_ref: &str) -> AppResult<Fund> {
    Ok(funds::get_fund_tx(tx, actor, fund_ref).await?)
}

/// What an in-kind declaration would be, nothing written.
pub async fn preview(
    db: &Db,
    actor: &Actor,
    fund_ref: &str,
    req: &InKindRequest,
) -> AppResult<InKindPlan> {
    actor.require(Permission::Operate)?;
    let mut tx = db.begin().await?;
    let f = fund(&mut tx, actor, fund_ref).await?;
    // Read-only: the transaction is dropped (rolled back).
    plan(&mut tx, actor, f, req).await
}

/// Declares an in-kind distribution (DRAFT) inside `tx`: reserves the quantity on the
/// position, writes the distribution (lines carry the cash in lieu, as return of capital)
/// and its in-kind part, with its trail.
pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    fund_ref: &str,
    req: &InKindRequest,
) -> AppResult<(Distribution, InKindPlan)> {
    actor.require(Permission::Operate)?;
    let f = fund(tx, actor, fund_ref).await?;
    let p = plan(tx, actor, f, req).await?;
    if !securities::reserve(tx, actor, &p.fund.id, &p.security.id, p.quantity).await? {
        // Another declaration took the units between this one's read and its reservation.
        return Err(AppError::field(
            "quantity",
            format!("{} units exceed the fund's available position", p.quantity),
        ));
    }
    let lines: Vec<PlannedLine> = p
        .split
        .shares
        .iter()
        .map(|s| PlannedLine {
            investor_id: s.investor_id.clone(),
            units: Some(s.holding),
            total: s.cash_in_lieu_minor,
            components: Components {
                return_of_capital: s.cash_in_lieu_minor,
                ..Components::default()
            },
        })
        .collect();
    let new = NewDistribution {
        fund_id: p.fund.id.clone(),
        kind: Kind::Regular,
        status: Status::Draft,
        currency: p.fund.currency,
        schedule: p.schedule,
        description: req.description.clone(),
        allocation: json!({
            "method": "inKind",
            "securityId": p.security.id,
            "quantity": p.quantity,
            "valuePerUnit": p.value_per_unit.normalize().to_string(),
        }),
        reverses_id: None,
        corrects_id: None,
        reason: None,
    };
    let d = dstore::insert(tx, actor, &new, &lines).await?;
    let header = InKind {
        distribution_id: d.id.clone(),
        fund_id: p.fund.id.clone(),
        security_id: p.security.id.clone(),
        quantity: p.quantity,
        value_per_unit: p.value_per_unit,
        distributed_units: p.split.distributed_units as i64,
        retained_units: p.split.retained_units as i64,
        reserved_units: p.quantity,
    };
    let in_kind_lines: Vec<InKindLine> = p
        .split
        .shares
        .iter()
        .map(|s| InKindLine {
            investor_id: s.investor_id.clone(),
            units: s.units as i64,
            value_per_unit: p.value_per_unit,
            property_minor: s.property_minor,
            cash_in_lieu_minor: s.cash_in_lieu_minor,
        })
        .collect();
    store::insert(tx, actor, &header, &in_kind_lines).await?;
    crate::distributions::trail(
        tx,
        actor,
        "distribution.create",
        "distribution.declared",
        None,
        &d,
    )
    .await?;
    Ok((d, p))
}

/// Whether `d` is an in-kind distribution (or a reversal of one).
pub fn is_in_kind(d: &Distribution) -> bool {
    d.allocation["method"] == "inKind"
}

/// The processing step: delivers the units (lots, position reduced) or, for a reversal,
/// returns them.
pub async fn step(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), JobError> {
    store::settle(tx, actor, d).await?;
    Ok(())
}

/// Property distributed in kind per investor (see [`store::property_by_investor`]).
pub async fn property_by_investor(
    db: &Db,
    actor: &Actor,
    fund_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<(String, i64)>> {
    Ok(store::property_by_investor_db(db, actor, fund_id, from, to).await?)
}
