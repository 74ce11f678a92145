//! Business days (Monday–Friday) as integers, so date windows are O(1) arithmetic.
//!
//! Bank holidays are ignored: a holiday only widens the real gap by a day, which the
//! configurable window absorbs.

use chrono::{Datelike, NaiveDate};

/// Business-day ordinal of a date; a Saturday or Sunday counts as the following Monday,
/// because banks post weekend items on the next business day.
pub fn business_day_index(date: NaiveDate) -> i64 {
    // Day 0 of the proleptic Gregorian calendar (0001-01-01) is a Monday.
    let n = i64::from(date.num_days_from_ce()) - 1;
    n.div_euclid(7) * 5 + n.rem_euclid(7).min(5)
}

/// Signed number of business days from `from` to `to`.
pub fn business_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    business_day_index(to) - business_day_index(from)
}

/// The date `n` business days after (or before, when negative) `date`, landing on a weekday.
pub fn add_business_days(date: NaiveDate, n: i64) -> NaiveDate {
    let target = business_day_index(date) + n;
    let weeks = target.div_euclid(5);
    let weekday = target.rem_euclid(5);
    let days_from_ce = weeks * 7 + weekday + 1;
    i32::try_from(days_from_ce)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekends_are_skipped() {
        // 2024-03-15 is a Friday, 2024-03-18 the next Monday.
        assert_eq!(business_days_between(d(2024, 3, 15), d(2024, 3, 18)), 1);
        assert_eq!(business_days_between(d(2024, 3, 18), d(2024, 3, 15)), -1);
        assert_eq!(business_days_between(d(2024, 3, 16), d(2024, 3, 18)), 0);
        assert_eq!(business_days_between(d(2024, 3, 11), d(2024, 3, 22)), 9);
    }

    #[test]
    fn adding_business_days_round_trips() {
        let start = d(2024, 1, 3);
        for n in -30..30 {
            let later = add_business_days(start, n);
            assert!(later.weekday().number_from_monday() <= 5);
            assert_eq!(business_days_between(start, later), n);
        }
    }
}
