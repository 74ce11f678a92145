//! Cash on hand per fund and the liquidity plan: forecast per unit × units outstanding, less
//! what current elections reinvest, against cash on hand; per fund and for the organization.

use std::collections::BTreeMap;

use clearway_core::access::Permission;
use clearway_core::forecast::liquidity::{self as core, Need};
use clearway_core::input::parse_date;
use clearway_core::{Currency, FieldError, Invalid};
use clearway_store::audit::{self, Change};
use clearway_store::forecast::{self as store, CashRow};
use clearway_store::{funds, now_text, outbox, Actor, StoreError, Tx};
use serde_json::json;

use super::series;
use super::{CashOnHand, LiquidityPlan, LiquidityTotal, OrgLiquidityPlan, Request};
use crate::AppResult;

fn view(r: &CashRow, currency: Currency) -> CashOnHand {
    CashOnHand {
        fund_id: r.fund_id.clone(),
        currency,
        amount_minor: r.amount_minor,
        as_of: r.as_of,
        updated_by: r.updated_by.clone(),
        updated_at: r.updated_at.clone(),
    }
}

fn snapshot(r: &CashRow) -> serde_json::Value {
    json!({ "fundId": r.fund_id, "currency": r.currency, "amountMinor": r.amount_minor, "asOf": r.as_of.to_string() })
}

/// Sets a fund's cash on hand (`amount` a decimal in the fund currency, `as_of` YYYY-MM-DD);
/// audited, with a `fund.cash_on_hand_set` event (operators).
pub async fn set_cash_on_hand(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    amount: &str,
    as_of: &str,
) -> AppResult<CashOnHand> {
    actor.require(Permission::Operate)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("fund").into());
    }
    let fund = funds::get_fund_tx(tx, actor, fund_id).await?;
    let mut errs = Vec::new();
    let minor = match fund.currency.parse_amount("amount", amount.trim()) {
        Ok(m) if m >= 0 => Some(m),
        Ok(_) => {
            errs.push(FieldError::new("amount", "must not be negative"));
            None
        }
        Err(e) => {
            errs.push(e);
            None
        }
    };
    let date = parse_date("asOf", as_of.trim())
        .map_err(|e| errs.push(e))
        .ok();
    let (Some(amount_minor), Some(as_of)) = (minor, date) else {
        return Err(Invalid(errs).into());
    };
    let row = CashRow {
        fund_id: fund.id.clone(),
        currency: fund.currency.code().to_string(),
        amount_minor,
        as_of,
        updated_by: actor.user_id.clone(),
        updated_at: now_text(),
    };
    let before = store::put_cash_on_hand_tx(tx, actor, &row).await?;
    let after = snapshot(&row);
    audit::record(
        tx,
        actor,
        Change {
            action: "fund.cash_on_hand.set",
            entity_type: "fund",
            entity_id: &fund.id,
            before: before.as_ref().map(snapshot),
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(tx, actor, "fund.cash_on_hand_set", "fund", &fund.id, after).await?;
    Ok(view(&row, fund.currency))
}

/// A fund's plan over `horizon` periods.
pub async fn plan(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    horizon: usize,
) -> AppResult<LiquidityPlan> {
    let s = series::load(tx, actor, fund_id).await?;
    let req = Request {
        horizon,
        model: None,
    };
    let f = super::fund::of_series(&s, &req)?;
    let cash = store::cash_on_hand_tx(tx, actor, &s.fund.id).await?;
    let today = chrono::Utc::now().date_naive();
    let share = store::reinvest_share_tx(tx, actor, &s.fund.id, &s.holdings, today).await?;
    let needs: Vec<Need> = f
        .points
        .iter()
        .map(|p| Need {
            date: p.date,
            per_unit: p.per_unit,
            per_unit_high: p.per_unit_upper95,
            units: s.units_now,
            reinvest_share: share,
        })
        .collect();
    let on_hand = cash.as_ref().map_or(0, |c| c.amount_minor);
    // The needs come from a checked forecast, so a refusal here is a bug, said as such.
    let rows = core::plan(&needs, on_hand, s.fund.currency.minor_units()).map_err(|e| {
        StoreError::Corrupt(format!(
            "liquidity plan of {}: {e} ({})",
            s.fund.code,
            e.field()
        ))
    })?;
    let mut notes = f.notes.clone();
    if cash.is_none() {
        notes.push("no cash on hand entered: the plan runs against zero".into());
    }
    Ok(LiquidityPlan {
        fund_id: s.fund.id.clone(),
        fund_code: s.fund.code.clone(),
        fund_name: s.fund.name.clone(),
        currency: s.fund.currency,
        cash_on_hand: cash.as_ref().map(|c| view(c, s.fund.currency)),
        units_outstanding: s.units_now,
        reinvest_share: share,
        model: f.model,
        first_shortfall: rows.iter().find(|r| r.shortfall_minor > 0).map(|r| r.date),
        first_shortfall_high: rows
            .iter()
            .find(|r| r.shortfall_high_minor > 0)
            .map(|r| r.date),
        rows,
        notes,
    })
}

/// Every fund's plan over `horizon` periods, with totals per currency.
pub async fn org_plan(tx: &mut Tx, actor: &Actor, horizon: usize) -> AppResult<OrgLiquidityPlan> {
    let mut funds = Vec::new();
    for id in store::fund_ids_tx(tx, actor).await? {
        funds.push(plan(tx, actor, &id, horizon).await?);
    }
    let mut totals: BTreeMap<String, LiquidityTotal> = BTreeMap::new();
    for p in &funds {
        let t = totals
            .entry(p.currency.code().to_string())
            .or_insert(LiquidityTotal {
                currency: p.currency,
                cash_on_hand_minor: 0,
                cash_needed_minor: 0,
                cash_needed_high_minor: 0,
                shortfall_minor: 0,
                shortfall_high_minor: 0,
                funds_short: 0,
            });
        t.cash_on_hand_minor += p.cash_on_hand.as_ref().map_or(0, |c| c.amount_minor);
        t.cash_needed_minor += p.rows.iter().map(|r| r.cash_minor).sum::<i64>();
        t.cash_needed_high_minor += p.rows.iter().map(|r| r.cash_high_minor).sum::<i64>();
        t.shortfall_minor += p.rows.iter().map(|r| r.shortfall_minor).sum::<i64>();
        t.shortfall_high_minor += p.rows.iter().map(|r| r.shortfall_high_minor).sum::<i64>();
        t.funds_short += usize::from(p.first_shortfall.is_some());
    }
    Ok(OrgLiquidityPlan {
        horizon,
        funds,
        totals: totals.into_values().collect(),
    })
}
