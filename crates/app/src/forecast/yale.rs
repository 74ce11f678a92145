//! The cash-flow projection of a partnership: the Yale (Takahashi–Alexander) model calibrated
//! from the fund's commitments, contributions, income and distributions per year, projected
//! from its age to the end of its life. NAV is the fund's capital account (contributions +
//! income − distributions), the only valuation the platform keeps for partnerships.

use chrono::Datelike;
use clearway_core::distribution::FundKind;
use clearway_core::forecast::yale::{self as core, State};
use clearway_core::{FieldError, Invalid};
use clearway_store::forecast::{self as store, CapitalYear};
use clearway_store::{funds, Actor, StoreError, Tx};

use super::{CashFlowProjection, CashFlowYear, DEFAULT_LIFE_YEARS, MAX_LIFE_YEARS};
use crate::{AppError, AppResult};

/// Parses `lifeYears` (1..=30, default 12).
pub fn parse_life_years(text: Option<&str>) -> Result<u32, Invalid> {
    match text.map(str::trim) {
        None | Some("") => Ok(DEFAULT_LIFE_YEARS),
        Some(t) => match t.parse::<u32>() {
            Ok(n) if (1..=MAX_LIFE_YEARS).contains(&n) => Ok(n),
            _ => Err(FieldError::new(
                "lifeYears",
                format!("must be a whole number between 1 and {MAX_LIFE_YEARS}"),
            )
            .into()),
        },
    }
}

/// Minor units of a projected amount (finite by the model's contract; 0 otherwise).
fn minor(v: f64) -> i64 {
    if v.is_finite() {
        v.round().clamp(i64::MIN as f64, i64::MAX as f64) as i64
    } else {
        0
    }
}

/// The projection of `fund_id` (a PARTNERSHIP; an open-end fund is refused naming it).
pub async fn projection(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    life_years: u32,
) -> AppResult<CashFlowProjection> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("fund").into());
    }
    let fund = funds::get_fund_tx(tx, actor, fund_id).await?;
    if fund.kind != FundKind::Partnership {
        return Err(AppError::field(
            "fundId",
            format!(
                "fund {} is open-end: the cash-flow projection is for partnerships",
                fund.code
            ),
        ));
    }
    let h = store::capital_history_tx(tx, actor, &fund.id).await?;
    let this_year = chrono::Utc::now().date_naive().year();
    let vintage = h
        .first_commitment
        .map(|d| d.year())
        .into_iter()
        .chain(h.years.first().map(|y| y.year))
        .min()
        .unwrap_or(this_year);
    let mut notes = Vec::new();
    // Actual years of life: from the vintage to this year (the current one counts as lived).
    let lived = (this_year.max(vintage) - vintage + 1) as u32;
    let age = lived.min(life_years);
    if lived > life_years {
        notes.push(format!(
            "the fund is {lived} years old, past its {life_years}-year life: nothing left to project"
        ));
    }
    let actual = actual_years(&h.years, vintage, age, h.committed_minor);
    let commitment = h.committed_minor as f64;
    let history: Vec<core::Year> = actual
        .iter()
        .map(|y| core::Year {
            year: y.year,
            contributions: y.contributions_minor as f64,
            distributions: y.distributions_minor as f64,
            nav: y.nav_minor as f64,
            unfunded: y.unfunded_minor as f64,
        })
        .collect();
    let calibration = core::calibrate_explained(&history, commitment, life_years);
    notes.extend(calibration.notes);
    let params = calibration.params;
    let last = actual.last().cloned();
    let state = State {
        age_years: age,
        commitment,
        paid_in: actual.iter().map(|y| y.contributions_minor as f64).sum(),
        nav: last.as_ref().map_or(0.0, |y| y.nav_minor as f64),
    };
    let mut years = actual.clone();
    for y in core::project(&params, &state) {
        years.push(CashFlowYear {
            year: y.year,
            calendar_year: vintage + y.year as i32 - 1,
            actual: false,
            contributions_minor: minor(y.contributions),
            distributions_minor: minor(y.distributions),
            nav_minor: minor(y.nav),
            unfunded_minor: minor(y.unfunded),
        });
    }
    if h.committed_minor == 0 {
        notes.push("no commitments recorded: contributions cannot be projected".into());
    }
    Ok(CashFlowProjection {
        fund_id: fund.id.clone(),
        fund_code: fund.code.clone(),
        fund_name: fund.name.clone(),
        currency: fund.currency,
        life_years,
        vintage,
        age_years: age,
        commitment_minor: h.committed_minor,
        paid_in_minor: actual.iter().map(|y| y.contributions_minor).sum(),
        distributed_minor: actual.iter().map(|y| y.distributions_minor).sum(),
        nav_minor: last.map_or(0, |y| y.nav_minor),
        params,
        years,
        notes,
    })
}

/// The lived years with their flows, NAV (running capital account) and unfunded commitment.
fn actual_years(
    history: &[CapitalYear],
    vintage: i32,
    age: u32,
    committed: i64,
) -> Vec<CashFlowYear> {
    let (mut nav, mut paid) = (0i64, 0i64);
    (1..=age)
        .map(|year| {
            let cy = vintage + year as i32 - 1;
            let h = history
                .iter()
                .find(|h| h.year == cy)
                .copied()
                .unwrap_or_default();
            nav += h.contributions_minor + h.income_minor - h.distributions_minor;
            paid += h.contributions_minor;
            CashFlowYear {
                year,
                calendar_year: cy,
                actual: true,
                contributions_minor: h.contributions_minor,
                distributions_minor: h.distributions_minor,
                nav_minor: nav,
                unfunded_minor: (committed - paid).max(0),
            }
        })
        .collect()
}
