//! Share classes of open-end funds (see [`clearway_core::classes`]): the rows added beside the
//! implicit `DEFAULT` class, and what the fund page shows per class.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::classes::NewClass;
use clearway_core::reinvestment::nav::DEFAULT_SHARE_CLASS;
use clearway_core::Currency;
use rust_decimal::Decimal;
use serde_json::json;

use crate::audit::{self, Change};
use crate::events::outbox;
use crate::funds::{class_holdings_as_of, Fund};
use crate::reinvestment::nav::latest_on_or_before_tx;
use crate::{new_id, now_text, q, Actor, Row, StoreError, Tx};

/// A share class as stored (the implicit `DEFAULT` class has `id` None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareClass {
    /// Id (None for `DEFAULT`, which has no row).
    pub id: Option<String>,
    /// Fund.
    pub fund_id: String,
    /// Code, unique in the fund.
    pub code: String,
    /// Display name.
    pub name: String,
    /// The fund's currency.
    pub currency: Currency,
    /// When it was added (None for `DEFAULT`).
    pub created_at: Option<String>,
}

impl ShareClass {
    /// The implicit class of `fund`.
    pub fn default_of(fund: &Fund) -> Self {
        ShareClass {
            id: None,
            fund_id: fund.id.clone(),
            code: DEFAULT_SHARE_CLASS.into(),
            name: "Default".into(),
            currency: fund.currency,
            created_at: None,
        }
    }
}

fn from_row(r: &Row) -> Result<ShareClass, StoreError> {
    Ok(ShareClass {
        id: Some(r.text("id")?),
        fund_id: r.text("fund_id")?,
        code: r.text("code")?,
        name: r.text("name")?,
        currency: Currency::parse(&r.text("currency")?).map_err(StoreError::Corrupt)?,
        created_at: Some(r.text("created_at")?),
    })
}

/// Adds a checked class to `fund` (operators and admins); a concurrent duplicate is a conflict.
pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    fund: &Fund,
    class: &NewClass,
) -> Result<ShareClass, StoreError> {
    actor.require(Permission::Operate)?;
    let row = tx
        .fetch_optional(
            q("INSERT INTO share_classes (id, org_id, fund_id, code, name, currency, created_by, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               RETURNING id, fund_id, code, name, currency, created_at")
            .bind(new_id())
            .bind(&actor.org_id)
            .bind(&fund.id)
            .bind(&class.code)
            .bind(&class.name)
            .bind(fund.currency.code())
            .bind(&actor.user_id)
            .bind(now_text()),
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                StoreError::Conflict(format!("the fund already has a class {}", class.code))
            } else {
                e
            }
        })?
        .ok_or(StoreError::NotFound("share class"))?;
    let created = from_row(&row)?;
    let after = json!({ "fundId": fund.id, "code": created.code, "name": created.name,
                        "currency": fund.currency.code() });
    let id = created.id.as_deref().unwrap_or_default();
    audit::record(
        tx,
        actor,
        Change {
            action: "fund.class.create",
            entity_type: "share_class",
            entity_id: id,
            before: None,
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(tx, actor, "fund.class_created", "share_class", id, after).await?;
    Ok(created)
}

/// The classes of `fund`: `DEFAULT` first, then the added ones by code.
pub async fn list(tx: &mut Tx, actor: &Actor, fund: &Fund) -> Result<Vec<ShareClass>, StoreError> {
    actor.require(Permission::Read)?;
    let rows = tx
        .fetch_all(
            q(
                "SELECT id, fund_id, code, name, currency, created_at FROM share_classes
               WHERE org_id = $1 AND fund_id = $2 ORDER BY code",
            )
            .bind(&actor.org_id)
            .bind(&fund.id),
        )
        .await?;
    let mut out = vec![ShareClass::default_of(fund)];
    for r in &rows {
        out.push(from_row(r)?);
    }
    Ok(out)
}

/// A class with what the fund page shows of it.
#[derive(Debug, Clone)]
pub struct ClassSummary {
    /// The class.
    pub class: ShareClass,
    /// Latest NAV per share on or before the date, with its date.
    pub latest_nav: Option<(NaiveDate, Decimal)>,
    /// Investors holding more than zero units on the date.
    pub holders: usize,
    /// Units held in total on the date.
    pub units: Decimal,
}

/// Each class of `fund` on `date`: latest NAV, holders and units.
pub async fn summaries(
    tx: &mut Tx,
    actor: &Actor,
    fund: &Fund,
    date: NaiveDate,
) -> Result<Vec<ClassSummary>, StoreError> {
    let mut out = Vec::new();
    for class in list(tx, actor, fund).await? {
        let nav = latest_on_or_before_tx(tx, actor, &fund.id, &class.code, Some(date)).await?;
        let held = class_holdings_as_of(tx, actor, &fund.id, &class.code, date).await?;
        let held: Vec<_> = held.iter().filter(|h| h.units > Decimal::ZERO).collect();
        out.push(ClassSummary {
            latest_nav: nav,
            holders: held.len(),
            units: held.iter().map(|h| h.units).sum(),
            class,
        });
    }
    Ok(out)
}
