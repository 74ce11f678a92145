//! A fund's series: its completed regular distributions (a reversed one left out, a correction
//! in place of what it corrects) per payable date, per unit and in total; the frequency
//! detected from the fund's schedule or the median gap; the next payable dates.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use clearway_core::calendar::{last_day_of_month, Calendar, Roll};
use clearway_core::distribution::Kind;
use clearway_store::forecast::{self as store, Paid, UnitsRow};
use clearway_store::funds::{self, Fund};
use clearway_store::{Actor, StoreError, Tx};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::{Actual, Frequency};
use crate::AppResult;

/// A fund's series as the models take it.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub fund: Fund,
    /// Actual distributions, oldest first, one per payable date.
    pub actuals: Vec<Actual>,
    pub frequency: Frequency,
    /// The calendar payable dates roll on (the schedule's, else US Fed).
    pub calendar: Calendar,
    /// Values given to the models (per unit), one per period; missing periods are zeros.
    pub values: Vec<f64>,
    /// Date of each value (the payable date, or where an empty period's would have been).
    pub dates: Vec<NaiveDate>,
    /// Holdings history (for units at any date) and units outstanding now.
    pub holdings: Vec<UnitsRow>,
    pub units_now: Decimal,
    /// How the series was built (frequency source, left-out distributions).
    pub notes: Vec<String>,
}

/// Loads the series of `fund_id` (staff only; an investor gets 404).
pub async fn load(tx: &mut Tx, actor: &Actor, fund_id: &str) -> AppResult<Series> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("fund").into());
    }
    let fund = funds::get_fund_tx(tx, actor, fund_id).await?;
    let paid = store::completed_tx(tx, actor, &fund.id).await?;
    let holdings = store::holdings_history_tx(tx, actor, &fund.id).await?;
    let mut notes = Vec::new();
    let actuals = actuals(&fund, &paid, &holdings, &mut notes);
    let schedule = clearway_store::schedules::active(tx, actor)
        .await?
        .into_iter()
        .find(|s| s.fund_id == fund.id);
    let (frequency, calendar) = match &schedule {
        Some(s) => {
            notes.push(format!(
                "frequency from the fund's schedule: {}",
                s.spec.rules.frequency.as_str()
            ));
            (from_schedule(s.spec.rules.frequency), s.spec.rules.calendar)
        }
        None => (detect(&actuals), Calendar::UsFed),
    };
    let (values, dates) = bucket(&actuals, frequency);
    let units_now = store::units_at(&holdings, chrono::Utc::now().date_naive());
    Ok(Series {
        fund,
        actuals,
        frequency,
        calendar,
        values,
        dates,
        holdings,
        units_now,
        notes,
    })
}

fn from_schedule(f: clearway_core::schedules::Frequency) -> Frequency {
    use clearway_core::schedules::Frequency as S;
    match f {
        S::Monthly => Frequency::Monthly,
        S::Quarterly => Frequency::Quarterly,
        S::SemiAnnual => Frequency::SemiAnnual,
        S::Annual => Frequency::Annual,
    }
}

/// The effective distribution of a regular one: the last correction in its chain.
fn effective<'a>(r: &'a Paid, corrected_by: &HashMap<&str, &'a Paid>) -> &'a Paid {
    let mut cur = r;
    // A chain is finite (each correction is newer), the bound only guards corrupt data.
    for _ in 0..100 {
        match corrected_by.get(cur.id.as_str()) {
            Some(c) => cur = c,
            None => break,
        }
    }
    cur
}

/// What was paid on one payable date: net total, the per-share rate of each distribution
/// (None: not per share, or partly reversed), the record date and the first distribution.
type DatePaid = (i64, Vec<Option<Decimal>>, NaiveDate, String);

/// Per payable date: the net of each regular distribution (or its correction) after
/// reversals; fully reversed ones are left out.
pub fn actuals(
    fund: &Fund,
    paid: &[Paid],
    holdings: &[UnitsRow],
    notes: &mut Vec<String>,
) -> Vec<Actual> {
    let mut reversed: HashMap<&str, i64> = HashMap::new();
    let mut corrected_by: HashMap<&str, &Paid> = HashMap::new();
    for p in paid {
        match (p.kind, &p.reverses_id, &p.corrects_id) {
            (Kind::Reversal, Some(of), _) => {
                *reversed.entry(of.as_str()).or_default() += p.total_minor
            }
            (Kind::Correction, _, Some(of)) => {
                corrected_by.insert(of.as_str(), p);
            }
            _ => {}
        }
    }
    let mut by_date: BTreeMap<NaiveDate, DatePaid> = BTreeMap::new();
    let mut left_out = 0;
    for r in paid.iter().filter(|p| p.kind == Kind::Regular) {
        let e = effective(r, &corrected_by);
        let cut = reversed.get(e.id.as_str()).copied().unwrap_or(0);
        let net = e.total_minor + cut;
        if net <= 0 {
            left_out += 1;
            continue;
        }
        let rate = if cut == 0 {
            per_share_rate(&e.allocation)
        } else {
            None
        };
        let entry = by_date
            .entry(r.payable)
            .or_insert((0, Vec::new(), e.record, e.id.clone()));
        entry.0 += net;
        entry.1.push(rate);
    }
    if left_out > 0 {
        notes.push(format!(
            "{left_out} reversed distribution(s) left out of the series"
        ));
    }
    let mut out = Vec::new();
    for (date, (total, rates, record, id)) in by_date {
        let units = store::units_at(holdings, record);
        let per_unit = match rates.as_slice() {
            [Some(rate)] => Some(*rate),
            _ if units > Decimal::ZERO => Some(fund.currency.from_minor(total) / units),
            _ => None,
        };
        match per_unit {
            Some(pu) => out.push(Actual {
                date,
                per_unit: pu.round_dp(10).normalize(),
                total_minor: total,
                units,
                distribution_id: id,
            }),
            None => notes.push(format!(
                "the distribution payable {date} is left out: no units were outstanding at its record date"
            )),
        }
    }
    out
}

/// The rate of a per-share allocation (`{"method":"per_share","rate":"0.05"}`).
fn per_share_rate(allocation: &str) -> Option<Decimal> {
    let v: serde_json::Value = serde_json::from_str(allocation).ok()?;
    if v["method"] != "per_share" {
        return None;
    }
    v["rate"].as_str()?.parse().ok()
}

/// Frequency from the median gap between payable dates; irregular when gaps vary widely.
pub fn detect(actuals: &[Actual]) -> Frequency {
    if actuals.len() < 2 {
        return Frequency::Monthly;
    }
    let mut gaps: Vec<i64> = actuals
        .windows(2)
        .map(|w| (w[1].date - w[0].date).num_days())
        .collect();
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    let f = match median {
        0..=45 => Frequency::Monthly,
        46..=135 => Frequency::Quarterly,
        136..=270 => Frequency::SemiAnnual,
        271..=450 => Frequency::Annual,
        _ => return Frequency::Irregular,
    };
    // More than a quarter of the gaps off by more than half the median: no rhythm.
    let off = gaps
        .iter()
        .filter(|g| (*g - median).abs() * 2 > median)
        .count();
    if off * 4 > gaps.len() {
        Frequency::Irregular
    } else {
        f
    }
}

fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

/// One value per period from the first actual to the last (several in a period add up,
/// none is a zero): the models see a regular grid.
pub fn bucket(actuals: &[Actual], frequency: Frequency) -> (Vec<f64>, Vec<NaiveDate>) {
    let Some(first) = actuals.first() else {
        return (Vec::new(), Vec::new());
    };
    let step = i64::from(frequency.months());
    let start = month_index(first.date);
    let last = actuals.last().map_or(start, |a| month_index(a.date));
    let n = ((last - start) / step + 1) as usize;
    let mut values = vec![Decimal::ZERO; n];
    let mut dates: Vec<NaiveDate> = (0..n)
        .map(|k| add_months(first.date, (k as i64 * step) as u32))
        .collect();
    for a in actuals {
        let k = ((month_index(a.date) - start) / step) as usize;
        values[k] += a.per_unit;
        dates[k] = a.date;
    }
    (values.into_iter().map(f64_of).collect(), dates)
}

/// The model's view of an exact amount: the nearest `f64`, through its decimal text (correctly
/// rounded); the models never see anything else.
pub fn f64_of(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(0.0)
}

/// `d` plus `months`, at the month end when `d` is one (clamped otherwise).
fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    let target = d.checked_add_months(Months::new(months)).unwrap_or(d);
    let month_end = last_day_of_month(d.year(), d.month()) == Some(d);
    if month_end {
        last_day_of_month(target.year(), target.month()).unwrap_or(target)
    } else {
        target
    }
}

/// The `h` payable dates after `last` at `frequency`, rolled to business days of `calendar`
/// (modified following; a date beyond the calendar's years stays as it is). A `last` in the
/// last three days of its month (a month end rolled back) continues at month ends.
pub fn next_dates(
    last: NaiveDate,
    frequency: Frequency,
    calendar: Calendar,
    h: usize,
) -> Vec<NaiveDate> {
    let month_end = last_day_of_month(last.year(), last.month())
        .is_some_and(|end| (end - last).num_days() <= 3);
    let anchor = if month_end {
        last_day_of_month(last.year(), last.month()).unwrap_or(last)
    } else {
        last
    };
    (1..=h)
        .map(|k| {
            let d = add_months(anchor, frequency.months() * k as u32);
            calendar.roll(d, Roll::ModifiedFollowing).unwrap_or(d)
        })
        .collect()
}

/// SHA-256 of the dated per-unit values, hex.
pub fn fingerprint(actuals: &[Actual]) -> String {
    let mut h = Sha256::new();
    for a in actuals {
        h.update(format!("{}:{}\n", a.date, a.per_unit));
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn actual(date: &str, pu: i64) -> Actual {
        Actual {
            date: d(date),
            per_unit: Decimal::new(pu, 2),
            total_minor: pu,
            units: Decimal::ONE,
            distribution_id: date.into(),
        }
    }

    #[test]
    fn frequency_from_the_median_gap() {
        let monthly: Vec<Actual> = ["2026-01-30", "2026-02-27", "2026-03-31", "2026-04-30"]
            .iter()
            .map(|s| actual(s, 5))
            .collect();
        assert_eq!(detect(&monthly), Frequency::Monthly);
        let quarterly: Vec<Actual> = ["2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31"]
            .iter()
            .map(|s| actual(s, 5))
            .collect();
        assert_eq!(detect(&quarterly), Frequency::Quarterly);
        let irregular: Vec<Actual> = [
            "2024-01-15",
            "2024-02-15",
            "2024-09-01",
            "2024-10-01",
            "2025-08-01",
        ]
        .iter()
        .map(|s| actual(s, 5))
        .collect();
        assert_eq!(detect(&irregular), Frequency::Irregular);
    }

    #[test]
    fn a_missing_period_is_a_zero_and_dates_continue_at_month_ends() {
        let a: Vec<Actual> = ["2026-01-31", "2026-03-31"]
            .iter()
            .map(|s| actual(s, 5))
            .collect();
        let (values, dates) = bucket(&a, Frequency::Monthly);
        assert_eq!(values, vec![0.05, 0.0, 0.05]);
        assert_eq!(dates[1], d("2026-02-28"));
        // 2026-04-30 is a Thursday; 2026-05-31 a Sunday: rolled back (modified following).
        let next = next_dates(d("2026-03-31"), Frequency::Monthly, Calendar::UsFed, 2);
        assert_eq!(next, vec![d("2026-04-30"), d("2026-05-29")]);
    }
}
