//! Income, gain and loss entered per period at fund level, allocated to investors by
//! ownership at the period start (exact, largest remainder; see [`clearway_core::capital`]).

use clearway_core::access::Permission;
use clearway_core::capital::{allocate_amount, IncomeKind};
use clearway_core::distribution::parse_date;
use clearway_core::input::check_text;
use clearway_core::{FieldError, Invalid};
use clearway_store::capital::{self as store, NewIncome};
use clearway_store::{Actor, Tx};
use serde_json::json;

use super::trail;
use crate::{AppError, AppResult};

/// A period amount as entered.
#[derive(Debug, Clone, Default)]
pub struct IncomeInput {
    /// Period start.
    pub period_start: String,
    /// Period end (on or after the start).
    pub period_end: String,
    /// INCOME, REALIZED_GAIN, UNREALIZED_GAIN, EXPENSE, LOSS.
    pub kind: String,
    /// Amount (decimal; may be negative; expenses and losses always reduce capital).
    pub amount: String,
    /// Description.
    pub description: String,
}

/// What was recorded: the amount's id, its signed effect, and the allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomeOutcome {
    /// Id.
    pub id: String,
    /// Signed effect on capital, minor units.
    pub amount_minor: i64,
    /// (investor, allocated minor units), by investor id.
    pub allocations: Vec<(String, i64)>,
}

fn parse(input: &IncomeInput, cur: clearway_core::Currency) -> Result<NewIncome, Invalid> {
    let mut errs = Vec::new();
    let start = parse_date("periodStart", input.period_start.trim())
        .map_err(|e| errs.push(e))
        .ok();
    let end = parse_date("periodEnd", input.period_end.trim())
        .map_err(|e| errs.push(e))
        .ok();
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            errs.push(FieldError::new(
                "periodEnd",
                "must not be before the period start",
            ));
        }
    }
    let kind = IncomeKind::parse("kind", &input.kind)
        .map_err(|e| errs.push(e))
        .ok();
    let amount = match cur.parse_amount("amount", input.amount.trim()) {
        Ok(0) => {
            errs.push(FieldError::new("amount", "must not be zero"));
            None
        }
        Ok(a) => Some(a),
        Err(e) => {
            errs.push(e);
            None
        }
    };
    let description = input.description.trim();
    if description.chars().count() > 200 {
        errs.push(FieldError::new(
            "description",
            "must be at most 200 characters",
        ));
    } else if let Err(e) = check_text("description", description, false) {
        errs.push(e);
    }
    match (start, end, kind, amount, errs.is_empty()) {
        (Some(period_start), Some(period_end), Some(kind), Some(a), true) => Ok(NewIncome {
            period_start,
            period_end,
            kind,
            amount_minor: kind.signed(a),
            description: description.to_string(),
        }),
        _ => Err(Invalid(errs)),
    }
}

/// Records a period amount and its allocation by ownership at the period start.
pub async fn record_income(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    input: &IncomeInput,
) -> AppResult<IncomeOutcome> {
    actor.require(Permission::Operate)?;
    let fund = store::capital_fund(tx, actor, fund_id).await?;
    let income = parse(input, fund.fund.currency)?;
    let weights =
        store::ownership_weights(tx, actor, &fund.fund.id, fund.basis, income.period_start).await?;
    let parts = allocate_amount("periodStart", income.amount_minor, &weights)
        .map_err(|e| AppError::Invalid(e.into()))?;
    let allocations: Vec<(String, i64)> = weights
        .into_iter()
        .zip(parts)
        .map(|(w, p)| (w.investor_id, p))
        .filter(|(_, p)| *p != 0)
        .collect();
    let id = store::insert_income(tx, actor, &fund.fund.id, &income, &allocations).await?;
    let after = json!({
        "fundId": fund.fund.id, "periodStart": income.period_start, "periodEnd": income.period_end,
        "kind": income.kind.as_str(), "amountMinor": income.amount_minor, "investors": allocations.len(),
    });
    trail(
        tx,
        actor,
        "capital_income.recorded",
        "capital_income",
        &id,
        after,
    )
    .await?;
    Ok(IncomeOutcome {
        id,
        amount_minor: income.amount_minor,
        allocations,
    })
}
