//! When a paid investor can expect the money, by rail and business-day calendar.

use chrono::NaiveDate;

use crate::calendar::{Calendar, Roll};
use crate::payments::Method;

/// Business days a mailed check takes to reach the investor (an assumption: first-class mail
/// within the United States usually takes 1-5 business days; we state the slow end).
pub const CHECK_MAIL_BUSINESS_DAYS: i64 = 5;

/// The day the money is expected to arrive for a payment payable on `payable`:
/// - ACH: settles on its effective date, the payable date rolled to the next business day of
///   `calendar` (use [`Calendar::UsFed`], the ACH calendar);
/// - wire: the same business day (rolled forward likewise);
/// - check: [`CHECK_MAIL_BUSINESS_DAYS`] business days after the payable date (mail time).
///
/// Outside the calendar's years the payable date itself is returned (no business-day facts).
pub fn expected_arrival(method: Method, payable: NaiveDate, calendar: &Calendar) -> NaiveDate {
    let arrival = match method {
        Method::Ach | Method::Wire => calendar.roll(payable, Roll::Following),
        Method::Check => calendar.add_business_days(payable, CHECK_MAIL_BUSINESS_DAYS),
    };
    arrival.unwrap_or(payable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ach_and_wire_roll_over_a_weekend_and_a_holiday() {
        let fed = Calendar::UsFed;
        // Friday stays; Saturday 2026-07-04 (Independence Day, not observed by the Fed on
        // Friday) and Sunday roll to Monday 2026-07-06.
        assert_eq!(
            expected_arrival(Method::Ach, d(2026, 7, 3), &fed),
            d(2026, 7, 3)
        );
        assert_eq!(
            expected_arrival(Method::Ach, d(2026, 7, 4), &fed),
            d(2026, 7, 6)
        );
        assert_eq!(
            expected_arrival(Method::Wire, d(2026, 7, 5), &fed),
            d(2026, 7, 6)
        );
        // Thanksgiving 2026-11-26 (Thursday) rolls to Friday.
        assert_eq!(
            expected_arrival(Method::Ach, d(2026, 11, 26), &fed),
            d(2026, 11, 27)
        );
        // Saturday before Labor Day (2026-09-07) rolls to Tuesday.
        assert_eq!(
            expected_arrival(Method::Wire, d(2026, 9, 5), &fed),
            d(2026, 9, 8)
        );
    }

    #[test]
    fn a_check_takes_five_business_days() {
        let fed = Calendar::UsFed;
        // Monday 2026-03-02 + 5 business days = Monday 2026-03-09.
        assert_eq!(
            expected_arrival(Method::Check, d(2026, 3, 2), &fed),
            d(2026, 3, 9)
        );
        // Across Thanksgiving: Mon 11-23 → Tue, Wed, (Thu holiday), Fri, Mon, Tue 12-01.
        assert_eq!(
            expected_arrival(Method::Check, d(2026, 11, 23), &fed),
            d(2026, 12, 1)
        );
        // From a Saturday: Mon..Fri of the next week.
        assert_eq!(
            expected_arrival(Method::Check, d(2026, 3, 7), &fed),
            d(2026, 3, 13)
        );
    }

    #[test]
    fn outside_the_calendar_the_payable_date_stands() {
        let far = d(2099, 1, 3);
        assert_eq!(expected_arrival(Method::Ach, far, &Calendar::UsFed), far);
    }
}
