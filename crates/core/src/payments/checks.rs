//! Checks: when an uncashed check goes stale.
//!
//! Banks may refuse a check presented more than six months after its date (UCC 4-404), so an
//! issued check still uncashed `stale_after_days` days after its issue date is stale-dated:
//! voided on our side and its money moved to the unclaimed-funds queue.

use chrono::NaiveDate;

/// Default age at which an uncashed check is stale-dated.
pub const STALE_AFTER_DAYS_DEFAULT: u32 = 180;

/// Whether a check issued on `issued` is stale on `today`: strictly more than
/// `stale_after_days` days have passed (day 180 itself is still good).
pub fn is_stale(issued: NaiveDate, today: NaiveDate, stale_after_days: u32) -> bool {
    (today - issued).num_days() > i64::from(stale_after_days)
}

/// The last issue date that is stale on `today` (checks issued on or before it are stale).
pub fn stale_cutoff(today: NaiveDate, stale_after_days: u32) -> NaiveDate {
    today - chrono::Duration::days(i64::from(stale_after_days) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_180_is_still_good_day_181_is_stale() {
        let issued = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let day = |n: i64| issued + chrono::Duration::days(n);
        assert!(!is_stale(issued, day(180), 180));
        assert!(is_stale(issued, day(181), 180));
        assert!(!is_stale(issued, day(30), 30));
        assert!(is_stale(issued, day(31), 30));
        assert_eq!(stale_cutoff(day(181), 180), issued);
        assert!(is_stale(stale_cutoff(day(181), 180), day(181), 180));
    }
}
