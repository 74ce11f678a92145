//! The calendars against the published holiday lists, and properties of the date arithmetic.

use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dates(cal: Calendar, year: i32) -> Vec<String> {
    cal.holidays(year)
        .unwrap()
        .iter()
        .map(|h| h.date.to_string())
        .collect()
}

// Federal Reserve "Holidays Observed by the Federal Reserve System" (Saturday dates are listed
// by the Fed with a note that Banks are open the Friday before).
const FED_2024: [&str; 11] = [
    "2024-01-01",
    "2024-01-15",
    "2024-02-19",
    "2024-05-27",
    "2024-06-19",
    "2024-07-04",
    "2024-09-02",
    "2024-10-14",
    "2024-11-11",
    "2024-11-28",
    "2024-12-25",
];
const FED_2025: [&str; 11] = [
    "2025-01-01",
    "2025-01-20",
    "2025-02-17",
    "2025-05-26",
    "2025-06-19",
    "2025-07-04",
    "2025-09-01",
    "2025-10-13",
    "2025-11-11",
    "2025-11-27",
    "2025-12-25",
];
const FED_2026: [&str; 11] = [
    "2026-01-01",
    "2026-01-19",
    "2026-02-16",
    "2026-05-25",
    "2026-06-19",
    "2026-07-04",
    "2026-09-07",
    "2026-10-12",
    "2026-11-11",
    "2026-11-26",
    "2026-12-25",
];
const FED_2027: [&str; 11] = [
    "2027-01-01",
    "2027-01-18",
    "2027-02-15",
    "2027-05-31",
    "2027-06-19",
    "2027-07-05",
    "2027-09-06",
    "2027-10-11",
    "2027-11-11",
    "2027-11-25",
    "2027-12-25",
];
// NYSE "Holidays and Trading Hours" (full closures).
const NYSE_2024: [&str; 10] = [
    "2024-01-01",
    "2024-01-15",
    "2024-02-19",
    "2024-03-29",
    "2024-05-27",
    "2024-06-19",
    "2024-07-04",
    "2024-09-02",
    "2024-11-28",
    "2024-12-25",
];
const NYSE_2025: [&str; 11] = [
    "2025-01-01",
    "2025-01-09",
    "2025-01-20",
    "2025-02-17",
    "2025-04-18",
    "2025-05-26",
    "2025-06-19",
    "2025-07-04",
    "2025-09-01",
    "2025-11-27",
    "2025-12-25",
];
const NYSE_2026: [&str; 10] = [
    "2026-01-01",
    "2026-01-19",
    "2026-02-16",
    "2026-04-03",
    "2026-05-25",
    "2026-06-19",
    "2026-07-03",
    "2026-09-07",
    "2026-11-26",
    "2026-12-25",
];
const NYSE_2027: [&str; 10] = [
    "2027-01-01",
    "2027-01-18",
    "2027-02-15",
    "2027-03-26",
    "2027-05-31",
    "2027-06-18",
    "2027-07-05",
    "2027-09-06",
    "2027-11-25",
    "2027-12-24",
];

#[test]
fn fed_matches_the_published_lists() {
    assert_eq!(dates(Calendar::UsFed, 2024), FED_2024);
    assert_eq!(dates(Calendar::UsFed, 2025), FED_2025);
    assert_eq!(dates(Calendar::UsFed, 2026), FED_2026);
    assert_eq!(dates(Calendar::UsFed, 2027), FED_2027);
}

#[test]
fn nyse_matches_the_published_lists() {
    assert_eq!(dates(Calendar::Nyse, 2024), NYSE_2024);
    assert_eq!(dates(Calendar::Nyse, 2025), NYSE_2025);
    assert_eq!(dates(Calendar::Nyse, 2026), NYSE_2026);
    assert_eq!(dates(Calendar::Nyse, 2027), NYSE_2027);
}

#[test]
fn observance_edge_cases() {
    // Fed: Saturday July 4, 2026 is not moved; Friday July 3 settles.
    assert!(Calendar::UsFed.is_business_day(d("2026-07-03")).unwrap());
    assert!(!Calendar::Nyse.is_business_day(d("2026-07-03")).unwrap());
    // NYSE Rule 7.2: New Year's Day 2022 (Saturday) not observed on Friday 2021-12-31.
    assert!(Calendar::Nyse.is_business_day(d("2021-12-31")).unwrap());
    assert!(!dates(Calendar::Nyse, 2022)
        .iter()
        .any(|x| x.starts_with("2021")));
    // Juneteenth starts in 2022; MLK on NYSE from 1998 (in range throughout).
    assert!(Calendar::UsFed.is_business_day(d("2021-06-18")).unwrap());
    assert!(!Calendar::Nyse.is_business_day(d("2022-06-20")).unwrap());
    // Good Friday is an NYSE holiday but the Fed settles.
    assert!(Calendar::UsFed.is_business_day(d("2026-04-03")).unwrap());
    // Special closures.
    for day in [
        "2001-09-11",
        "2001-09-14",
        "2004-06-11",
        "2007-01-02",
        "2012-10-29",
        "2012-10-30",
        "2018-12-05",
        "2025-01-09",
    ] {
        assert!(!Calendar::Nyse.is_business_day(d(day)).unwrap(), "{day}");
    }
    assert_eq!(
        Calendar::Nyse.holiday_name(d("2026-11-26")).unwrap(),
        Some("Thanksgiving Day")
    );
}

#[test]
fn easter_dates() {
    for (y, e) in [
        (2000, "2000-04-23"),
        (2008, "2008-03-23"),
        (2019, "2019-04-21"),
        (2024, "2024-03-31"),
        (2025, "2025-04-20"),
        (2038, "2038-04-25"),
    ] {
        assert_eq!(rules::easter(y), d(e));
    }
}

#[test]
fn range_and_names_are_checked() {
    assert_eq!(
        Calendar::UsFed.holidays(1999),
        Err(CalendarError::OutOfRange(1999))
    );
    assert_eq!(
        Calendar::Nyse.is_business_day(d("2041-01-02")),
        Err(CalendarError::OutOfRange(2041))
    );
    assert_eq!("ACH".parse::<Calendar>(), Ok(Calendar::UsFed));
    assert_eq!("NYSE".parse::<Calendar>(), Ok(Calendar::Nyse));
    assert!("TARGET2".parse::<Calendar>().is_err());
    assert!("SIDEWAYS".parse::<Roll>().is_err());
}

#[test]
fn roll_rules() {
    let fed = Calendar::UsFed;
    // Thanksgiving 2026 (Thursday).
    assert_eq!(
        fed.roll(d("2026-11-26"), Roll::Following).unwrap(),
        d("2026-11-27")
    );
    assert_eq!(
        fed.roll(d("2026-11-26"), Roll::Preceding).unwrap(),
        d("2026-11-25")
    );
    assert_eq!(
        fed.roll(d("2026-11-26"), Roll::None).unwrap(),
        d("2026-11-26")
    );
    // Saturday 2026-10-31: following crosses into November, so modified following goes back.
    assert_eq!(
        fed.roll(d("2026-10-31"), Roll::Following).unwrap(),
        d("2026-11-02")
    );
    assert_eq!(
        fed.roll(d("2026-10-31"), Roll::ModifiedFollowing).unwrap(),
        d("2026-10-30")
    );
    assert_eq!(
        fed.roll(d("2026-08-01"), Roll::ModifiedFollowing).unwrap(),
        d("2026-08-03")
    );
    // Arithmetic across Christmas and New Year 2026/27 on the Fed calendar.
    assert_eq!(
        fed.add_business_days(d("2026-12-24"), 1).unwrap(),
        d("2026-12-28")
    );
    assert_eq!(
        fed.add_business_days(d("2026-12-31"), 1).unwrap(),
        d("2027-01-04")
    );
    assert_eq!(
        fed.add_business_days(d("2027-01-04"), -2).unwrap(),
        d("2026-12-30")
    );
    assert_eq!(
        fed.business_days_between(d("2026-11-25"), d("2026-11-30"))
            .unwrap(),
        2
    );
    assert_eq!(
        fed.business_days_between(d("2026-11-30"), d("2026-11-25"))
            .unwrap(),
        -2
    );
    assert_eq!(
        Calendar::Nyse.last_business_day_of_month(2026, 7).unwrap(),
        d("2026-07-31")
    );
    assert_eq!(
        Calendar::Nyse.last_business_day_of_month(2027, 12).unwrap(),
        d("2027-12-31")
    );
}

fn any_cal() -> impl Strategy<Value = Calendar> {
    prop_oneof![Just(Calendar::UsFed), Just(Calendar::Nyse)]
}

fn any_day() -> impl Strategy<Value = NaiveDate> {
    // 2000-03-01 .. 2040-09, leaving room for ±40 business days near the ends.
    (0i64..14_800).prop_map(|n| d("2000-03-01") + chrono::Duration::days(n))
}

proptest! {
    #[test]
    fn rolled_dates_are_business_days(cal in any_cal(), day in any_day()) {
        for rule in [Roll::Following, Roll::Preceding, Roll::ModifiedFollowing] {
            let r = cal.roll(day, rule).unwrap();
            prop_assert!(cal.is_business_day(r).unwrap());
            prop_assert!((r - day).num_days().abs() <= 6);
            if rule == Roll::ModifiedFollowing { prop_assert_eq!(r.month(), day.month()); }
        }
        prop_assert_eq!(cal.roll(day, Roll::None).unwrap(), day);
    }

    #[test]
    fn add_then_count_round_trips(cal in any_cal(), day in any_day(), n in -40i64..40) {
        let start = cal.roll(day, Roll::Following).unwrap();
        let end = cal.add_business_days(start, n).unwrap();
        prop_assert!(cal.is_business_day(end).unwrap());
        prop_assert_eq!(cal.business_days_between(start, end).unwrap(), n);
    }

    #[test]
    fn holidays_are_in_their_year_and_fed_is_a_subset_of_closures(y in FIRST_YEAR..=LAST_YEAR) {
        for cal in [Calendar::UsFed, Calendar::Nyse] {
            for h in cal.holidays(y).unwrap() {
                prop_assert_eq!(h.date.year(), y);
            }
        }
        // Every weekday Fed holiday but Columbus and Veterans Day also closes the NYSE.
        for h in Calendar::UsFed.holidays(y).unwrap() {
            let weekday = !matches!(h.date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun);
            if weekday && h.name != "Columbus Day" && h.name != "Veterans Day" {
                prop_assert!(!Calendar::Nyse.is_business_day(h.date).unwrap(), "{:?}", h);
            }
        }
    }
}
