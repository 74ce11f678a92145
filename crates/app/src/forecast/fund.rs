//! A fund's forecast (dated points per unit and in total), its scenarios, its trends.

use chrono::{Datelike, NaiveDate};
use clearway_core::forecast::select::{self, Accuracy, Options};
use clearway_core::forecast::{seasonality, trend};
use clearway_core::Currency;
use clearway_store::{Actor, Tx};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::series::{self, Series};
use super::{
    BasedOn, ForecastPoint, FundForecast, Request, Scenario, ScenarioForecast, SeasonPosition,
    SeasonalityView, TrendView, Trends, MIN_POINTS, PER_UNIT_DP,
};
use crate::{AppError, AppResult};

/// The forecast of `fund_id` as asked.
pub async fn forecast(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    req: &Request,
) -> AppResult<FundForecast> {
    let s = series::load(tx, actor, fund_id).await?;
    of_series(&s, req)
}

/// A per-unit value, half-even to [`PER_UNIT_DP`] places; never negative (a distribution
/// is not).
pub fn per_unit(v: f64) -> Decimal {
    Decimal::from_f64(v.max(0.0))
        .unwrap_or_default()
        .round_dp_with_strategy(PER_UNIT_DP, RoundingStrategy::MidpointNearestEven)
}

/// `per_unit × units` in minor units of `currency`, half-even.
pub fn total_minor(per_unit: Decimal, units: Decimal, currency: Currency) -> i64 {
    let scale = Decimal::from(10i64.pow(currency.minor_units()));
    per_unit
        .checked_mul(units)
        .and_then(|v| v.checked_mul(scale))
        .map(|v| v.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven))
        .and_then(|v| i64::try_from(v).ok())
        .unwrap_or(i64::MAX)
}

fn empty(s: &Series, req: &Request, note: String) -> FundForecast {
    let mut notes = s.notes.clone();
    notes.push(note);
    FundForecast {
        fund_id: s.fund.id.clone(),
        fund_code: s.fund.code.clone(),
        fund_name: s.fund.name.clone(),
        currency: s.fund.currency,
        frequency: s.frequency,
        season: s.frequency.season(),
        horizon: req.horizon,
        requested_model: req.model,
        model: None,
        label: String::new(),
        points: Vec::new(),
        accuracy: Accuracy::default(),
        candidates: Vec::new(),
        notes,
        based_on: based_on(s),
        history: s.actuals.clone(),
    }
}

fn based_on(s: &Series) -> BasedOn {
    BasedOn {
        first_payable: s.actuals.first().map(|a| a.date),
        last_payable: s.actuals.last().map(|a| a.date),
        points_used: s.values.len(),
        distributions: s.actuals.len(),
        units_outstanding: s.units_now,
        fingerprint: series::fingerprint(&s.actuals),
    }
}

/// The forecast of a loaded series: too little history is an empty forecast with the reason
/// (200, not an error: a page shows the fund with its note).
pub fn of_series(s: &Series, req: &Request) -> AppResult<FundForecast> {
    let Some(last) = s.actuals.last() else {
        return Ok(empty(
            s,
            req,
            "no completed distribution yet: nothing to forecast from".into(),
        ));
    };
    if s.actuals.len() < MIN_POINTS {
        return Ok(empty(
            s,
            req,
            format!(
                "{} completed distribution(s); a forecast needs at least {MIN_POINTS}",
                s.actuals.len()
            ),
        ));
    }
    let opts = Options {
        horizon: req.horizon,
        season: s.frequency.season(),
        model: req.model,
    };
    let f =
        select::forecast(&s.values, &opts).map_err(|e| AppError::field("model", e.to_string()))?;
    let dates = series::next_dates(last.date, s.frequency, s.calendar, req.horizon);
    let c = s.fund.currency;
    let u = s.units_now;
    let at = |v: &[f64], k: usize| per_unit(v.get(k).copied().unwrap_or(f.mean[k]));
    let points = dates
        .iter()
        .enumerate()
        .map(|(k, date)| {
            let mean = per_unit(f.mean[k]);
            let i = &f.intervals;
            // Bounds ordered around the mean even after rounding and the floor at zero.
            let l80 = at(&i.lower80, k).min(mean);
            let u80 = at(&i.upper80, k).max(mean);
            let l95 = at(&i.lower95, k).min(l80);
            let u95 = at(&i.upper95, k).max(u80);
            ForecastPoint {
                step: k + 1,
                date: *date,
                per_unit: mean,
                per_unit_lower80: l80,
                per_unit_upper80: u80,
                per_unit_lower95: l95,
                per_unit_upper95: u95,
                total_minor: total_minor(mean, u, c),
                total_lower80_minor: total_minor(l80, u, c),
                total_upper80_minor: total_minor(u80, u, c),
                total_lower95_minor: total_minor(l95, u, c),
                total_upper95_minor: total_minor(u95, u, c),
            }
        })
        .collect();
    let mut notes = s.notes.clone();
    notes.extend(f.notes.iter().cloned());
    Ok(FundForecast {
        fund_id: s.fund.id.clone(),
        fund_code: s.fund.code.clone(),
        fund_name: s.fund.name.clone(),
        currency: c,
        frequency: s.frequency,
        season: opts.season,
        horizon: req.horizon,
        requested_model: req.model,
        model: Some(f.model),
        label: f.label,
        points,
        accuracy: f.accuracy,
        candidates: f.candidates,
        notes,
        based_on: based_on(s),
        history: s.actuals.clone(),
    })
}

/// The forecast with base / bull / bear per date (median, upper and lower 80 %, and 95 %).
pub async fn with_scenarios(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    req: &Request,
) -> AppResult<ScenarioForecast> {
    let forecast = forecast(tx, actor, fund_id, req).await?;
    let scenarios = forecast
        .points
        .iter()
        .map(|p| Scenario {
            step: p.step,
            date: p.date,
            base_per_unit: p.per_unit,
            bull_per_unit: p.per_unit_upper80,
            bear_per_unit: p.per_unit_lower80,
            bull95_per_unit: p.per_unit_upper95,
            bear95_per_unit: p.per_unit_lower95,
            base_minor: p.total_minor,
            bull_minor: p.total_upper80_minor,
            bear_minor: p.total_lower80_minor,
            bull95_minor: p.total_upper95_minor,
            bear95_minor: p.total_lower95_minor,
        })
        .collect();
    Ok(ScenarioForecast {
        forecast,
        scenarios,
    })
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Monthly buckets of the actuals (zeros where nothing was paid) and the first month's
/// position in the year: seasonality is read by month whatever the frequency.
fn monthly(s: &Series) -> (Vec<f64>, usize) {
    let (values, _) = series::bucket(&s.actuals, super::Frequency::Monthly);
    let first = s.actuals.first().map_or(0, |a| a.date.month0() as usize);
    (values, first)
}

fn finite(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// Mann–Kendall trend and seasonality of the fund's series.
pub async fn trends(tx: &mut Tx, actor: &Actor, fund_id: &str) -> AppResult<Trends> {
    let s = series::load(tx, actor, fund_id).await?;
    let mut notes = s.notes.clone();
    let per_year = s.frequency.season() as f64;
    let trend = trend::mann_kendall(&s.values, 0.05).map(|t| TrendView {
        direction: t.direction,
        p_value: finite(t.p_value),
        significant: t.p_value < 0.05,
        s: t.s,
        z: finite(t.z),
        sen_slope_per_period: finite(t.sen_slope),
        sen_slope_per_year: finite(t.sen_slope * per_year),
        n: t.n,
    });
    if trend.is_none() {
        notes.push(format!(
            "{} value(s): the trend test needs at least 3",
            s.values.len()
        ));
    }
    let seasonality = (!s.actuals.is_empty()).then(|| {
        let (values, first) = monthly(&s);
        let a = seasonality::analyse(&values, 12, first);
        SeasonalityView {
            period: 12,
            strength: finite(a.strength),
            significant: a.significant,
            profile: (0..12)
                .map(|m| SeasonPosition {
                    name: MONTHS[m].into(),
                    share: finite(a.profile.get(m).copied().unwrap_or(0.0)),
                    paying: a.paying.contains(&m),
                })
                .collect(),
            paying: paying_names(&a.paying),
        }
    });
    Ok(Trends {
        fund_id: s.fund.id.clone(),
        fund_code: s.fund.code.clone(),
        currency: s.fund.currency,
        frequency: s.frequency,
        points_used: s.values.len(),
        trend,
        seasonality,
        notes,
    })
}

/// Paying months by name; a quarterly pattern (one month in each quarter, the same one) is
/// also named by quarters, e.g. `March (Q1)`.
fn paying_names(paying: &[usize]) -> Vec<String> {
    let quarterly = paying.len() == 4 && paying.windows(2).all(|w| w[1] == w[0] + 3);
    paying
        .iter()
        .filter(|m| **m < 12)
        .map(|m| {
            if quarterly {
                format!("{} (Q{})", MONTHS[*m], m / 3 + 1)
            } else {
                MONTHS[*m].to_string()
            }
        })
        .collect()
}

/// The first day of `d`'s month.
pub fn month_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}
