//! The reinvestment price: "NAV at date".
//!
//! Rule: the NAV struck on the date itself (**EXACT**); else the most recent NAV before it
//! (**PRIOR**), provided it is no more than `staleness` business days old; else no price, and
//! the reinvestment of the whole distribution stops. Business days are NYSE trading days
//! ([`crate::calendar::Calendar::Nyse`]: weekends, exchange holidays and closures excluded); the age of a NAV dated `d` for a date `t` is the number of business
//! days `x` with `d < x ≤ t` — so Friday's NAV is 1 business day old on Monday, and 0 on the
//! Saturday after it.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Weekday};
use rust_decimal::Decimal;

use crate::calendar::Calendar;
use crate::error::FieldError;
use crate::money::parse_decimal;

/// Default staleness limit, in business days.
pub const STALENESS_DEFAULT_DAYS: u32 = 5;
/// Largest staleness limit an organization may configure, in business days.
pub const STALENESS_MAX_DAYS: u32 = 30;
/// Most decimal places accepted in a NAV per share.
pub const NAV_DECIMALS_MAX: u32 = 10;
/// Largest NAV per share accepted (a sanity bound that keeps the arithmetic exact).
pub const NAV_MAX: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// How the NAV used for a date was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NavRule {
    /// Struck on the date itself.
    Exact,
    /// The most recent one before the date, within the staleness limit.
    Prior,
}

impl NavRule {
    /// The stored and wire spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            NavRule::Exact => "EXACT",
            NavRule::Prior => "PRIOR",
        }
    }
}

impl FromStr for NavRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "EXACT" => Ok(NavRule::Exact),
            "PRIOR" => Ok(NavRule::Prior),
            other => Err(format!("unknown NAV rule '{other}'")),
        }
    }
}

impl fmt::Display for NavRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The NAV found for a date, with how it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NavQuote {
    /// NAV per share.
    pub nav: Decimal,
    /// Date the NAV was struck.
    pub date: NaiveDate,
    /// EXACT or PRIOR.
    pub rule: NavRule,
}

/// No usable NAV for a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NavError {
    /// Nothing on or before the date.
    #[error("no NAV on or before {wanted}")]
    Missing {
        /// Date a price was needed for.
        wanted: NaiveDate,
    },
    /// The latest NAV before the date is too old.
    #[error("no NAV on {wanted}, and the latest before it ({latest}) is {age} business days old, more than the {limit} allowed")]
    Stale {
        /// Date a price was needed for.
        wanted: NaiveDate,
        /// Date of the latest NAV before it.
        latest: NaiveDate,
        /// Its age in business days.
        age: u32,
        /// The staleness limit.
        limit: u32,
    },
}

fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
/// An NYSE trading day (a NAV is struck on those); outside the calendar's years, Mon–Fri.
fn is_business_day(d: NaiveDate) -> bool {
    Calendar::Nyse.is_business_day(d).unwrap_or(is_weekday(d))
}

/// NYSE business days `x` with `from < x ≤ to`; 0 when `to ≤ from`.
pub fn business_days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    if to <= from {
        return 0;
    }
    let days = (to - from).num_days();
    let weeks = days / 7;
    let mut count = weeks * 5;
    // The remaining < 7 days after the whole weeks.
    let mut d = from + chrono::Duration::days(weeks * 7);
    while d < to {
        d = d.succ_opt().expect("date in range");
        if is_weekday(d) {
            count += 1;
        }
    }
    // Then the exchange holidays on weekdays in the span (years outside the calendar have none).
    for year in from.year()..=to.year() {
        let holidays = Calendar::Nyse.holidays(year).unwrap_or_default();
        let closed = holidays
            .iter()
            .filter(|h| h.date > from && h.date <= to && is_weekday(h.date));
        count -= closed.count() as i64;
    }
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// Resolves the NAV for `wanted` from the latest snapshot on or before it (see module docs).
pub fn resolve(
    latest_on_or_before: Option<(NaiveDate, Decimal)>,
    wanted: NaiveDate,
    staleness_days: u32,
) -> Result<NavQuote, NavError> {
    let Some((date, nav)) = latest_on_or_before else {
        return Err(NavError::Missing { wanted });
    };
    debug_assert!(date <= wanted, "snapshot after the wanted date");
    if date == wanted {
        return Ok(NavQuote {
            nav,
            date,
            rule: NavRule::Exact,
        });
    }
    let age = business_days_between(date, wanted);
    if age > staleness_days {
        return Err(NavError::Stale {
            wanted,
            latest: date,
            age,
            limit: staleness_days,
        });
    }
    Ok(NavQuote {
        nav,
        date,
        rule: NavRule::Prior,
    })
}

/// Parses a NAV per share: a plain decimal > 0, at most [`NAV_DECIMALS_MAX`] decimals.
pub fn parse_nav(field: &str, text: &str) -> Result<Decimal, FieldError> {
    let value = parse_decimal(field, text)?.normalize();
    if value <= Decimal::ZERO {
        return Err(FieldError::new(
            field,
            format!("'{text}' must be greater than zero"),
        ));
    }
    if value.scale() > NAV_DECIMALS_MAX {
        return Err(FieldError::new(
            field,
            format!("'{text}' has more than {NAV_DECIMALS_MAX} decimal places"),
        ));
    }
    if value > NAV_MAX {
        return Err(FieldError::new(
            field,
            format!("'{text}' exceeds the largest NAV accepted ({NAV_MAX})"),
        ));
    }
    Ok(value)
}

/// Most characters in a share class name.
pub const SHARE_CLASS_MAX: usize = 32;

/// The share class used when none is given (and the one reinvestment prices against).
pub const DEFAULT_SHARE_CLASS: &str = "DEFAULT";

/// Validates a share class name: 1–32 of `A–Z a–z 0–9 - _ .`.
pub fn parse_share_class(field: &str, text: &str) -> Result<String, FieldError> {
    let t = text.trim();
    if t.is_empty()
        || t.len() > SHARE_CLASS_MAX
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(FieldError::new(
            field,
            format!("'{text}' is not a share class (1–{SHARE_CLASS_MAX} letters, digits, '-', '_' or '.')"),
        ));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn business_days_skip_weekends() {
        // 2026-03-27 is a Friday, 2026-03-30 a Monday.
        assert_eq!(business_days_between(d("2026-03-27"), d("2026-03-30")), 1);
        assert_eq!(business_days_between(d("2026-03-27"), d("2026-03-28")), 0);
        assert_eq!(business_days_between(d("2026-03-20"), d("2026-03-27")), 5);
        assert_eq!(business_days_between(d("2026-03-19"), d("2026-03-27")), 6);
        assert_eq!(business_days_between(d("2026-03-27"), d("2026-03-27")), 0);
        assert_eq!(business_days_between(d("2026-03-27"), d("2026-03-20")), 0);
        // NYSE holidays do not age a NAV: Good Friday 2026-04-03, Thanksgiving 2026-11-26.
        assert_eq!(business_days_between(d("2026-04-02"), d("2026-04-06")), 1);
        assert_eq!(business_days_between(d("2026-11-25"), d("2026-11-30")), 2);
        assert_eq!(business_days_between(d("2026-11-25"), d("2026-11-26")), 0);
    }

    #[test]
    fn exact_prior_stale_missing() {
        let nav = Decimal::new(10_1234, 4);
        let q = resolve(Some((d("2026-03-31"), nav)), d("2026-03-31"), 5).unwrap();
        assert_eq!(q.rule, NavRule::Exact);
        let q = resolve(Some((d("2026-03-27"), nav)), d("2026-03-31"), 5).unwrap();
        assert_eq!((q.rule, q.date), (NavRule::Prior, d("2026-03-27")));
        // Five business days old is allowed, six is not.
        assert!(resolve(Some((d("2026-03-24"), nav)), d("2026-03-31"), 5).is_ok());
        let err = resolve(Some((d("2026-03-23"), nav)), d("2026-03-31"), 5).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no NAV on 2026-03-31, and the latest before it (2026-03-23) is 6 business days old, more than the 5 allowed"
        );
        assert_eq!(
            resolve(None, d("2026-03-31"), 5).unwrap_err(),
            NavError::Missing {
                wanted: d("2026-03-31")
            }
        );
        // Staleness 0: only the exact date or a weekend gap.
        assert!(resolve(Some((d("2026-03-27"), nav)), d("2026-03-29"), 0).is_ok());
        assert!(resolve(Some((d("2026-03-27"), nav)), d("2026-03-30"), 0).is_err());
    }

    #[test]
    fn nav_text_is_strict() {
        assert_eq!(
            parse_nav("nav", "10.12345678").unwrap(),
            Decimal::new(1012345678, 8)
        );
        for bad in ["0", "-1", "1.12345678901", "abc", "1e3", "", "2000000000"] {
            assert_eq!(parse_nav("nav", bad).unwrap_err().field, "nav", "{bad}");
        }
        assert_eq!(parse_share_class("c", " A ").unwrap(), "A");
        assert!(parse_share_class("c", "no spaces").is_err());
    }

    proptest! {
        #[test]
        fn business_days_match_a_day_by_day_count(start in 0i64..3000, len in 0i64..400) {
            let from = d("2020-01-01") + chrono::Duration::days(start);
            let to = from + chrono::Duration::days(len);
            let naive = from.iter_days().skip(1).take_while(|x| *x <= to).filter(|x| is_business_day(*x)).count() as u32;
            prop_assert_eq!(business_days_between(from, to), naive);
        }
    }
}
