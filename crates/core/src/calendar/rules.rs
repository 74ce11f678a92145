//! The holiday rules of each calendar, by year.
//!
//! Sources: the Federal Reserve's "Holidays Observed by the Federal Reserve System" and the
//! NYSE's "Holidays and Trading Hours" (NYSE Rule 7.2), as published.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::{Calendar, Holiday};

/// NYSE full-day closures not given by a rule (national days of mourning, emergencies).
pub const NYSE_SPECIAL_CLOSURES: [(i32, u32, u32, &str); 10] = [
    (2001, 9, 11, "September 11 attacks"),
    (2001, 9, 12, "September 11 attacks"),
    (2001, 9, 13, "September 11 attacks"),
    (2001, 9, 14, "September 11 attacks"),
    (2004, 6, 11, "National Day of Mourning for President Reagan"),
    (2007, 1, 2, "National Day of Mourning for President Ford"),
    (2012, 10, 29, "Hurricane Sandy"),
    (2012, 10, 30, "Hurricane Sandy"),
    (
        2018,
        12,
        5,
        "National Day of Mourning for President George H.W. Bush",
    ),
    (2025, 1, 9, "National Day of Mourning for President Carter"),
];

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid holiday date")
}

/// The `n`-th (1-based) `weekday` of `year`-`month`.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n as u8).expect("nth weekday")
}

fn last_weekday(year: i32, month: u32, weekday: Weekday) -> NaiveDate {
    let last = super::last_day_of_month(year, month).expect("month end");
    let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    last - Duration::days(i64::from(back))
}

/// Easter Sunday (Gregorian), by the anonymous (Meeus/Jones/Butcher) algorithm.
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(year, month as u32, day as u32)
}

/// Fixed-date holidays: Sunday → Monday; Saturday stays (the Fed does not observe it).
fn fed_observed(d: NaiveDate) -> NaiveDate {
    if d.weekday() == Weekday::Sun {
        d + Duration::days(1)
    } else {
        d
    }
}

/// Fixed-date holidays: Saturday → Friday, Sunday → Monday.
fn nyse_observed(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d - Duration::days(1),
        Weekday::Sun => d + Duration::days(1),
        _ => d,
    }
}

pub(super) fn fed(y: i32) -> Vec<Holiday> {
    let h = |date, name| Holiday { date, name };
    let mut list = vec![
        h(fed_observed(ymd(y, 1, 1)), "New Year's Day"),
        h(
            nth_weekday(y, 1, Weekday::Mon, 3),
            "Birthday of Martin Luther King, Jr.",
        ),
        h(nth_weekday(y, 2, Weekday::Mon, 3), "Washington's Birthday"),
        h(last_weekday(y, 5, Weekday::Mon), "Memorial Day"),
        h(fed_observed(ymd(y, 7, 4)), "Independence Day"),
        h(nth_weekday(y, 9, Weekday::Mon, 1), "Labor Day"),
        h(nth_weekday(y, 10, Weekday::Mon, 2), "Columbus Day"),
        h(fed_observed(ymd(y, 11, 11)), "Veterans Day"),
        h(nth_weekday(y, 11, Weekday::Thu, 4), "Thanksgiving Day"),
        h(fed_observed(ymd(y, 12, 25)), "Christmas Day"),
    ];
    if y >= 2022 {
        list.push(h(
            fed_observed(ymd(y, 6, 19)),
            "Juneteenth National Independence Day",
        ));
    }
    list
}

pub(super) fn nyse(y: i32) -> Vec<Holiday> {
    let h = |date, name| Holiday { date, name };
    let mut list = vec![
        h(nth_weekday(y, 2, Weekday::Mon, 3), "Washington's Birthday"),
        h(easter(y) - Duration::days(2), "Good Friday"),
        h(last_weekday(y, 5, Weekday::Mon), "Memorial Day"),
        h(nyse_observed(ymd(y, 7, 4)), "Independence Day"),
        h(nth_weekday(y, 9, Weekday::Mon, 1), "Labor Day"),
        h(nth_weekday(y, 11, Weekday::Thu, 4), "Thanksgiving Day"),
        h(nyse_observed(ymd(y, 12, 25)), "Christmas Day"),
    ];
    // Rule 7.2: New Year's Day on a Saturday is not moved back into the old year.
    let new_year = ymd(y, 1, 1);
    if new_year.weekday() != Weekday::Sat {
        list.push(h(nyse_observed(new_year), "New Year's Day"));
    }
    if y >= 1998 {
        list.push(h(
            nth_weekday(y, 1, Weekday::Mon, 3),
            "Martin Luther King, Jr. Day",
        ));
    }
    if y >= 2022 {
        list.push(h(
            nyse_observed(ymd(y, 6, 19)),
            "Juneteenth National Independence Day",
        ));
    }
    list.extend(
        NYSE_SPECIAL_CLOSURES
            .iter()
            .filter(|c| c.0 == y)
            .map(|&(y, m, d, name)| h(ymd(y, m, d), name)),
    );
    list
}

/// Whether `d` (a weekday, in range) is a holiday of `cal`.
pub(super) fn is_holiday(cal: Calendar, d: NaiveDate) -> bool {
    let list = match cal {
        Calendar::UsFed => fed(d.year()),
        Calendar::Nyse => nyse(d.year()),
    };
    list.iter().any(|h| h.date == d)
}
