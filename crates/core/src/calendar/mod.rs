//! Business-day calendars: US Federal Reserve (ACH settlement days) and NYSE trading days.
//!
//! Holidays are computed by rule for the years [`FIRST_YEAR`]..=[`LAST_YEAR`] (not typed in),
//! plus a documented table of NYSE special closures ([`rules::NYSE_SPECIAL_CLOSURES`]). Dates
//! outside that range are refused with [`CalendarError::OutOfRange`] rather than guessed.
//!
//! Observance rules (see [`rules`]):
//! - **US_FED** (alias **ACH**): a holiday on Sunday is observed on Monday; a holiday on
//!   Saturday is *not* observed (the Friday before stays a settlement day).
//! - **NYSE**: Saturday → Friday, Sunday → Monday, except New Year's Day on a Saturday, which
//!   is not observed on the Friday before (NYSE Rule 7.2).
//!
//! No maintained crate covered both calendars (nyse-holiday-cal is NYSE only, with lookup
//! tables); the rules are short enough to own here.

mod rules;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Weekday};

pub use rules::NYSE_SPECIAL_CLOSURES;

/// First year the calendars compute.
pub const FIRST_YEAR: i32 = 2000;
/// Last year the calendars compute.
pub const LAST_YEAR: i32 = 2040;

/// A business-day calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Calendar {
    /// Federal Reserve Banks' holidays: the days ACH does not settle.
    UsFed,
    /// New York Stock Exchange full-day closures.
    Nyse,
}

/// The calendar names the API accepts, canonical first.
pub const CALENDAR_NAMES: [&str; 3] = ["US_FED", "ACH", "NYSE"];

impl Calendar {
    /// The canonical API name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Calendar::UsFed => "US_FED",
            Calendar::Nyse => "NYSE",
        }
    }
}

impl fmt::Display for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Calendar {
    type Err = CalendarError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "US_FED" | "ACH" => Ok(Calendar::UsFed),
            "NYSE" => Ok(Calendar::Nyse),
            other => Err(CalendarError::Unknown(other.to_string())),
        }
    }
}

/// How a date that is not a business day moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Roll {
    /// Stays where it is.
    None,
    /// The next business day.
    Following,
    /// The next business day, unless that is in the next month: then the previous one.
    ModifiedFollowing,
    /// The previous business day.
    Preceding,
}

impl Roll {
    /// The API spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Roll::None => "NONE",
            Roll::Following => "FOLLOWING",
            Roll::ModifiedFollowing => "MODIFIED_FOLLOWING",
            Roll::Preceding => "PRECEDING",
        }
    }
}

impl FromStr for Roll {
    type Err = CalendarError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "NONE" => Ok(Roll::None),
            "FOLLOWING" => Ok(Roll::Following),
            "MODIFIED_FOLLOWING" => Ok(Roll::ModifiedFollowing),
            "PRECEDING" => Ok(Roll::Preceding),
            other => Err(CalendarError::UnknownRoll(other.to_string())),
        }
    }
}

/// A holiday: the day the calendar is closed (the observed date) and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holiday {
    /// The observed date (for US_FED, a Saturday holiday keeps its Saturday date).
    pub date: NaiveDate,
    /// Its name, e.g. "Thanksgiving Day".
    pub name: &'static str,
}

/// Why a calendar question has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Not a calendar we know.
    #[error("unknown calendar '{0}' (known: US_FED, ACH, NYSE)")]
    Unknown(String),
    /// Not a roll rule we know.
    #[error("unknown roll rule '{0}' (known: NONE, FOLLOWING, MODIFIED_FOLLOWING, PRECEDING)")]
    UnknownRoll(String),
    /// The date's year is outside the computed range.
    #[error("year {0} is outside the calendar range {FIRST_YEAR}-{LAST_YEAR}")]
    OutOfRange(i32),
}

fn check_year(year: i32) -> Result<(), CalendarError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(CalendarError::OutOfRange(year))
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl Calendar {
    /// The calendar's holidays in `year`, in date order, with names.
    pub fn holidays(&self, year: i32) -> Result<Vec<Holiday>, CalendarError> {
        check_year(year)?;
        let mut list = match self {
            Calendar::UsFed => rules::fed(year),
            Calendar::Nyse => rules::nyse(year),
        };
        list.sort_by_key(|h| h.date);
        Ok(list)
    }

    /// Whether `d` is open: a weekday that is not a holiday.
    pub fn is_business_day(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        check_year(d.year())?;
        if is_weekend(d) {
            return Ok(false);
        }
        Ok(!rules::is_holiday(*self, d))
    }

    /// The holiday's name when `d` is one.
    pub fn holiday_name(&self, d: NaiveDate) -> Result<Option<&'static str>, CalendarError> {
        Ok(self
            .holidays(d.year())?
            .into_iter()
            .find(|h| h.date == d)
            .map(|h| h.name))
    }

    fn step(&self, d: NaiveDate, forward: bool) -> Result<NaiveDate, CalendarError> {
        let mut day = d;
        loop {
            day = if forward {
                day.succ_opt()
            } else {
                day.pred_opt()
            }
            .ok_or(CalendarError::OutOfRange(d.year()))?;
            if self.is_business_day(day)? {
                return Ok(day);
            }
        }
    }

    /// `d` moved to a business day by `rule` (unchanged when it already is one).
    pub fn roll(&self, d: NaiveDate, rule: Roll) -> Result<NaiveDate, CalendarError> {
        if rule == Roll::None || self.is_business_day(d)? {
            return Ok(d);
        }
        match rule {
            Roll::None => Ok(d),
            Roll::Following => self.step(d, true),
            Roll::Preceding => self.step(d, false),
            Roll::ModifiedFollowing => {
                let next = self.step(d, true)?;
                if next.month() == d.month() {
                    Ok(next)
                } else {
                    self.step(d, false)
                }
            }
        }
    }

    /// The date `n` business days after `d` (before it when `n` is negative). `d` itself need
    /// not be a business day: +1 from a Saturday is the next business day; 0 returns `d`.
    pub fn add_business_days(&self, d: NaiveDate, n: i64) -> Result<NaiveDate, CalendarError> {
        let mut day = d;
        for _ in 0..n.unsigned_abs() {
            day = self.step(day, n > 0)?;
        }
        Ok(day)
    }

    /// Signed count of business days `x` with `from < x ≤ to` (negative when `to < from`): the
    /// number of business days one waits from `from` to reach `to`.
    pub fn business_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<i64, CalendarError> {
        let (lo, hi, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        check_year(lo.year())?;
        check_year(hi.year())?;
        let mut count = 0i64;
        let mut day = lo;
        while day < hi {
            day = day.succ_opt().ok_or(CalendarError::OutOfRange(hi.year()))?;
            if self.is_business_day(day)? {
                count += 1;
            }
        }
        Ok(sign * count)
    }

    /// The last business day of `year`-`month`.
    pub fn last_business_day_of_month(
        &self,
        year: i32,
        month: u32,
    ) -> Result<NaiveDate, CalendarError> {
        let last = last_day_of_month(year, month).ok_or(CalendarError::OutOfRange(year))?;
        self.roll(last, Roll::Preceding)
    }
}

/// The last calendar day of `year`-`month`.
pub fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}
