//! The withholding liability report: what is owed to the IRS (backup withholding, Form 945;
//! chapter 3 withholding, Form 1042) and to each state, per period (month or quarter of the
//! payable date) and currency, from the rows the processing step stored. Reversals count with
//! their negated rows in the period of their own payable date.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use clearway_core::access::Permission;
use clearway_core::input::parse_date;
use clearway_core::{FieldError, Invalid};
use clearway_store::tax::withholding as store;
use clearway_store::{Actor, StoreError, Tx};

use crate::AppResult;

/// Period length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Calendar month.
    Month,
    /// Calendar quarter.
    Quarter,
}

/// One amount owed: a period, a currency, to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiabilityLine {
    /// `2026-01` or `2026-Q1`; `TOTAL` in the totals.
    pub period: String,
    /// Currency.
    pub currency: String,
    /// `BACKUP` (Form 945), `CHAPTER3` (Form 1042) or `STATE`.
    pub liability: String,
    /// The state, for `STATE`.
    pub state: Option<String>,
    /// Amount withheld, minor units.
    pub amount_minor: i64,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Range start.
    pub from: NaiveDate,
    /// Range end (inclusive).
    pub to: NaiveDate,
    /// Period length.
    pub period: Period,
    /// Per period, currency, liability (ordered).
    pub lines: Vec<LiabilityLine>,
    /// Per currency and liability over the range.
    pub totals: Vec<LiabilityLine>,
}

fn parse(from: &str, to: &str, period: &str) -> Result<(NaiveDate, NaiveDate, Period), Invalid> {
    let mut errs = Vec::new();
    let f = parse_date("from", from.trim())
        .map_err(|e| errs.push(e))
        .ok();
    let t = parse_date("to", to.trim()).map_err(|e| errs.push(e)).ok();
    let p = match period.trim() {
        "" | "month" => Some(Period::Month),
        "quarter" => Some(Period::Quarter),
        _ => {
            errs.push(FieldError::new("period", "must be month or quarter"));
            None
        }
    };
    if let (Some(f), Some(t)) = (f, t) {
        if t < f {
            errs.push(FieldError::new("to", "must not be before from"));
        } else if (t - f).num_days() > 366 * 5 {
            errs.push(FieldError::new(
                "to",
                "the range must be at most five years",
            ));
        }
    }
    match (f, t, p) {
        (Some(f), Some(t), Some(p)) if errs.is_empty() => Ok((f, t, p)),
        _ => Err(Invalid(errs)),
    }
}

fn period_of(date: &str, p: Period) -> Result<String, StoreError> {
    let d: NaiveDate = date
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("payable_date '{date}'")))?;
    Ok(match p {
        Period::Month => format!("{}-{:02}", d.year(), d.month()),
        Period::Quarter => format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1),
    })
}

/// Builds the report (staff).
pub async fn report(
    tx: &mut Tx,
    actor: &Actor,
    from: &str,
    to: &str,
    period: &str,
) -> AppResult<Report> {
    actor.require(Permission::Read)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("withholding liability").into());
    }
    let (f, t, p) = parse(from, to, period)?;
    let sums = store::day_sums_tx(tx, actor, &f.to_string(), &t.to_string()).await?;
    // (period, currency, liability, state) → amount; BTreeMap keeps the report ordered.
    let mut lines: BTreeMap<(String, String, String, Option<String>), i64> = BTreeMap::new();
    let mut totals: BTreeMap<(String, String, Option<String>), i64> = BTreeMap::new();
    for s in &sums {
        let per = period_of(&s.payable_date, p)?;
        let mut add = |liability: &str, state: Option<String>, amount: i64| {
            *lines
                .entry((
                    per.clone(),
                    s.currency.clone(),
                    liability.to_string(),
                    state.clone(),
                ))
                .or_default() += amount;
            *totals
                .entry((s.currency.clone(), liability.to_string(), state))
                .or_default() += amount;
        };
        if s.regime != "NONE" && s.federal_minor != 0 {
            add(&s.regime, None, s.federal_minor);
        }
        if let Some(state) = &s.state {
            if s.state_minor != 0 {
                add("STATE", Some(state.clone()), s.state_minor);
            }
        }
    }
    Ok(Report {
        from: f,
        to: t,
        period: p,
        lines: lines
            .into_iter()
            .map(
                |((period, currency, liability, state), amount_minor)| LiabilityLine {
                    period,
                    currency,
                    liability,
                    state,
                    amount_minor,
                },
            )
            .collect(),
        totals: totals
            .into_iter()
            .map(
                |((currency, liability, state), amount_minor)| LiabilityLine {
                    period: "TOTAL".into(),
                    currency,
                    liability,
                    state,
                    amount_minor,
                },
            )
            .collect(),
    })
}
