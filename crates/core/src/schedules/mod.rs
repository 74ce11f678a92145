//! Recurring distribution schedules: which periods a schedule has and the dates of each.
//!
//! # Rules
//! - **Periods** are calendar periods: months (MONTHLY), calendar quarters ending March, June,
//!   September, December (QUARTERLY), half-years ending June and December (SEMI_ANNUAL) and
//!   calendar years (ANNUAL). A period is keyed by the year and month of its last month
//!   (`"2026-06"`), the idempotency key of its draft.
//! - **Record date**: the last business day of the period's last month (`LAST_BUSINESS_DAY`),
//!   or day N of that month (`DAY_OF_MONTH`, clamped to the month's length) moved by the
//!   schedule's roll rule.
//! - **Declaration**: N business days before the record date. **Ex-date**: the record date
//!   (T+1 settlement: a trade on the record date settles after it), or none (`NONE`, e.g. for
//!   partnerships). **Payable**: N business days after the record date.
//! - A period belongs to the schedule when its record date is on or after the start date and
//!   (with an end date) on or before the end date.
//! - **Materialization** ([`due`]): on day `today`, the periods whose declaration date is in
//!   `[today, today + lead days]` are due. Periods whose declaration date has passed are never
//!   back-filled — also after a pause: resuming picks up at the next declaration on or after
//!   the resume day.

#[cfg(test)]
mod tests;

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::{last_day_of_month, Calendar, CalendarError, Roll};
use crate::error::{FieldError, Invalid};

string_enum! {
    /// How often a schedule distributes.
    Frequency {
        /// Every month.
        Monthly => "MONTHLY",
        /// Every calendar quarter.
        Quarterly => "QUARTERLY",
        /// Every half-year.
        SemiAnnual => "SEMI_ANNUAL",
        /// Every calendar year.
        Annual => "ANNUAL",
    }
}

impl Frequency {
    /// Months in one period.
    pub fn months(&self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::SemiAnnual => 6,
            Frequency::Annual => 12,
        }
    }
}

/// How the record date of a period is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordRule {
    /// The last business day of the period's last month.
    LastBusinessDay,
    /// Day N (1–31, clamped to the month) of the period's last month, rolled.
    DayOfMonth(u32),
}

/// Whether drafts carry an ex-date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExRule {
    /// Ex-date = record date (T+1 settlement).
    RecordDate,
    /// No ex-date.
    None,
}

/// Most business days between declaration and record, or record and payable.
pub const OFFSET_MAX: u32 = 60;
/// Largest lead time, in days (a year of monthly drafts, plus a margin).
pub const LEAD_MAX_DAYS: u32 = 400;
/// Default lead time, in days.
pub const LEAD_DEFAULT_DAYS: u32 = 45;
/// Default business days from declaration to record.
pub const DECLARATION_DEFAULT_DAYS: u32 = 5;
/// Default business days from record to payable.
pub const PAYABLE_DEFAULT_DAYS: u32 = 3;

/// The date rules of a schedule, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRules {
    /// Period length.
    pub frequency: Frequency,
    /// Business-day calendar.
    pub calendar: Calendar,
    /// Roll rule for a DAY_OF_MONTH record date.
    pub roll: Roll,
    /// Record date rule.
    pub record: RecordRule,
    /// Business days from declaration to record (1–60).
    pub declaration_days: u32,
    /// Ex-date rule.
    pub ex: ExRule,
    /// Business days from record to payable (1–60).
    pub payable_days: u32,
    /// First record date allowed.
    pub start: NaiveDate,
    /// Last record date allowed.
    pub end: Option<NaiveDate>,
}

impl DateRules {
    /// The defaults of a new schedule (as the API's): NYSE, last business day (PRECEDING
    /// roll), declared 5 business days before record, ex-date = record date, paid 3 after.
    pub fn defaults(frequency: Frequency, start: NaiveDate) -> DateRules {
        DateRules {
            frequency,
            calendar: Calendar::Nyse,
            roll: Roll::Preceding,
            record: RecordRule::LastBusinessDay,
            declaration_days: DECLARATION_DEFAULT_DAYS,
            ex: ExRule::RecordDate,
            payable_days: PAYABLE_DEFAULT_DAYS,
            start,
            end: None,
        }
    }

    /// Checks the offsets and the start/end order, naming each bad field.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut errors = Vec::new();
        if !(1..=OFFSET_MAX).contains(&self.declaration_days) {
            errors.push(FieldError::new(
                "declarationBusinessDays",
                format!("must be 1 to {OFFSET_MAX} business days"),
            ));
        }
        if !(1..=OFFSET_MAX).contains(&self.payable_days) {
            errors.push(FieldError::new(
                "payableBusinessDays",
                format!("must be 1 to {OFFSET_MAX} business days"),
            ));
        }
        if let RecordRule::DayOfMonth(n) = self.record {
            if !(1..=31).contains(&n) {
                errors.push(FieldError::new("recordDay", "must be 1 to 31"));
            }
        }
        if let Some(end) = self.end {
            if end < self.start {
                errors.push(FieldError::new(
                    "endDate",
                    format!(
                        "end date {end} must not be before the start date {}",
                        self.start
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(errors))
        }
    }
}

/// The dates of one period's distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Occurrence {
    /// Period key: year and month of the period's last month, e.g. "2026-06".
    pub period: String,
    /// Declaration date.
    pub declaration_date: NaiveDate,
    /// Ex-date, when the schedule has one.
    pub ex_date: Option<NaiveDate>,
    /// Record date.
    pub record_date: NaiveDate,
    /// Payable date.
    pub payable_date: NaiveDate,
}

/// The last month of the period containing `year`-`month`.
fn period_end_month(freq: Frequency, month: u32) -> u32 {
    let m = freq.months();
    month.div_ceil(m) * m
}

/// The dates of the period ending in `year`-`month`.
pub fn occurrence(rules: &DateRules, year: i32, month: u32) -> Result<Occurrence, CalendarError> {
    let cal = rules.calendar;
    let record = match rules.record {
        RecordRule::LastBusinessDay => cal.last_business_day_of_month(year, month)?,
        RecordRule::DayOfMonth(n) => {
            let last = last_day_of_month(year, month).ok_or(CalendarError::OutOfRange(year))?;
            let day = NaiveDate::from_ymd_opt(year, month, n.min(last.day())).unwrap_or(last);
            cal.roll(day, rules.roll)?
        }
    };
    let declaration = cal.add_business_days(record, -i64::from(rules.declaration_days))?;
    let payable = cal.add_business_days(record, i64::from(rules.payable_days))?;
    Ok(Occurrence {
        period: format!("{year:04}-{month:02}"),
        declaration_date: declaration,
        ex_date: (rules.ex == ExRule::RecordDate).then_some(record),
        record_date: record,
        payable_date: payable,
    })
}

/// The schedule's occurrences in order, from the first period whose record date is on or
/// after `from` (and the start date), at most `count`, stopping at the end date or the end of
/// the calendar's years.
pub fn upcoming(rules: &DateRules, from: NaiveDate, count: usize) -> Vec<Occurrence> {
    let first = from.max(rules.start) - Duration::days(7);
    let step = rules.frequency.months();
    let (mut year, mut month) = (
        first.year(),
        period_end_month(rules.frequency, first.month()),
    );
    let mut out = Vec::new();
    while out.len() < count {
        let Ok(o) = occurrence(rules, year, month) else {
            break;
        };
        if rules.end.is_some_and(|end| o.record_date > end) {
            break;
        }
        if o.record_date >= rules.start && o.record_date >= from {
            out.push(o);
        }
        month += step;
        if month > 12 {
            month -= 12;
            year += 1;
        }
    }
    out
}

/// The occurrences due on `today` with a lead time of `lead_days`: declaration date within
/// `[today, today + lead_days]` (see the module rules: nothing is back-filled).
pub fn due(rules: &DateRules, today: NaiveDate, lead_days: u32) -> Vec<Occurrence> {
    let horizon = today + Duration::days(i64::from(lead_days));
    // At most one period per 28 days can declare in the window, plus the edges.
    let bound = lead_days as usize / 28 + 3;
    upcoming(rules, today, bound)
        .into_iter()
        .filter(|o| o.declaration_date >= today && o.declaration_date <= horizon)
        .collect()
}

/// `rules` changed so that the schedule runs every `frequency` period and its next record date
/// is `next` (an administrator's terms): the record rule becomes LAST_BUSINESS_DAY when `next`
/// is its month's last business day, else DAY_OF_MONTH of `next`'s day; the start date becomes
/// `next` (earlier periods are not the administrator's). Refused, with the reason, when `next`
/// is not in a period's last month, not a business day, after the end date, or not reproduced.
pub fn rules_for_next(
    rules: &DateRules,
    frequency: Frequency,
    next: NaiveDate,
) -> Result<DateRules, String> {
    let (year, month) = (next.year(), next.month());
    if month % frequency.months() != 0 {
        return Err(format!(
            "{next} is not in the last month of a {} period",
            frequency.as_str()
        ));
    }
    let cal = rules.calendar;
    let open = |e: CalendarError| e.to_string();
    if !cal.is_business_day(next).map_err(open)? {
        return Err(format!(
            "{next} is not a business day on the {} calendar",
            cal.as_str()
        ));
    }
    let record = if cal.last_business_day_of_month(year, month).map_err(open)? == next {
        RecordRule::LastBusinessDay
    } else {
        RecordRule::DayOfMonth(next.day())
    };
    if rules.end.is_some_and(|end| end < next) {
        return Err(format!("{next} is after the schedule's end date"));
    }
    let out = DateRules {
        frequency,
        record,
        start: next,
        ..*rules
    };
    // The derivation is checked, not trusted: the period of `next` must record on `next`.
    if occurrence(&out, year, month).map_err(open)?.record_date != next {
        return Err(format!("{next} cannot be this schedule's record date"));
    }
    Ok(out)
}
