//! Recovering money after a reversal, the pure part: receivable statuses and methods, how an
//! offset is taken from a later line's cash, and the NACHA rules of an ACH reversing entry.
//!
//! A reversed line whose cash had already left becomes a receivable of its investor (the
//! amount that left, in the fund currency). Recoveries reduce its outstanding amount; an
//! offset takes it from the investor's next cash in the same currency, oldest receivable
//! first. Per investor, paid − recovered − written off − outstanding = net of the original
//! and its reversal (0 for a full reversal).

use chrono::NaiveDate;

use crate::reconciliation::calendar::business_days_between;

string_enum! {
    /// Where a receivable is.
    ReceivableStatus {
        /// Nothing recovered yet.
        Open => "OPEN",
        /// Some recovered, some outstanding.
        PartiallyRecovered => "PARTIALLY_RECOVERED",
        /// An ACH reversing entry is on its way for the outstanding amount.
        Recovering => "RECOVERING",
        /// Fully recovered.
        Recovered => "RECOVERED",
        /// The rest given up (with a reason).
        WrittenOff => "WRITTEN_OFF",
    }
}

string_enum! {
    /// How money comes back.
    RecoveryMethod {
        /// Deducted from the investor's next distributions' cash (the default).
        Offset => "OFFSET",
        /// A NACHA reversing entry (debit) of the original ACH credit.
        AchReversal => "ACH_REVERSAL",
        /// A wire from the investor, recorded by hand.
        Wire => "WIRE",
        /// A check from the investor, recorded by hand.
        Check => "CHECK",
        /// The original payment itself came back (a bank return or failure).
        Returned => "RETURNED",
    }
}

string_enum! {
    /// Why an ACH entry may be reversed: NACHA allows reversing only erroneous entries.
    ReversalReason {
        /// The entry was sent twice.
        Duplicate => "DUPLICATE",
        /// Sent to the wrong receiver.
        WrongReceiver => "WRONG_RECEIVER",
        /// For the wrong amount.
        WrongAmount => "WRONG_AMOUNT",
        /// On the wrong date.
        WrongDate => "WRONG_DATE",
    }
}

impl ReceivableStatus {
    /// Whether money may still be recovered against it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ReceivableStatus::Open | ReceivableStatus::PartiallyRecovered
        )
    }
}

/// The status of a receivable of `amount` with `outstanding` left and `expected` on its way.
pub fn status_of(amount: i64, outstanding: i64, expected: i64) -> ReceivableStatus {
    if outstanding == 0 {
        ReceivableStatus::Recovered
    } else if expected > 0 {
        ReceivableStatus::Recovering
    } else if outstanding == amount {
        ReceivableStatus::Open
    } else {
        ReceivableStatus::PartiallyRecovered
    }
}

/// One open receivable as an offset sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owed {
    /// Receivable id.
    pub id: String,
    /// Outstanding, minor units (> 0).
    pub outstanding: i64,
}

/// What an offset takes from a line's `cash` (minor units, ≥ 0): from each receivable in the
/// order given (oldest first), as much as is left of both. Returns (receivable id, amount),
/// amounts > 0, summing to at most `cash`.
pub fn plan_offsets(cash: i64, owed: &[Owed]) -> Vec<(String, i64)> {
    let mut left = cash.max(0);
    let mut out = Vec::new();
    for o in owed {
        if left == 0 {
            break;
        }
        let take = left.min(o.outstanding);
        if take > 0 {
            out.push((o.id.clone(), take));
            left -= take;
        }
    }
    out
}

/// NACHA: a reversing entry must reach the receiver within five banking days after the
/// settlement date of the erroneous entry.
pub const REVERSAL_WINDOW_BANKING_DAYS: i64 = 5;

/// Whether a reversing entry settling on `effective` is within the window of an original that
/// settled on `settled` (banking days Monday–Friday; bank holidays are not modelled, so the
/// window is at most one holiday too generous — the ODFI still checks).
pub fn within_reversal_window(settled: NaiveDate, effective: NaiveDate) -> bool {
    let days = business_days_between(settled, effective);
    (0..=REVERSAL_WINDOW_BANKING_DAYS).contains(&days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn offsets_take_oldest_first_and_never_more_than_the_cash() {
        let owed = vec![
            Owed {
                id: "a".into(),
                outstanding: 300,
            },
            Owed {
                id: "b".into(),
                outstanding: 500,
            },
        ];
        assert_eq!(
            plan_offsets(1_000, &owed),
            vec![("a".into(), 300), ("b".into(), 500)]
        );
        assert_eq!(
            plan_offsets(450, &owed),
            vec![("a".into(), 300), ("b".into(), 150)]
        );
        assert_eq!(plan_offsets(200, &owed), vec![("a".into(), 200)]);
        assert!(plan_offsets(0, &owed).is_empty());
    }

    #[test]
    fn status_follows_the_amounts() {
        assert_eq!(status_of(100, 100, 0), ReceivableStatus::Open);
        assert_eq!(status_of(100, 40, 0), ReceivableStatus::PartiallyRecovered);
        assert_eq!(status_of(100, 100, 100), ReceivableStatus::Recovering);
        assert_eq!(status_of(100, 0, 0), ReceivableStatus::Recovered);
    }

    #[test]
    fn the_reversal_window_is_five_banking_days() {
        // Friday 2026-04-03: five banking days later is Friday 2026-04-10.
        let settled = d(2026, 4, 3);
        assert!(within_reversal_window(settled, d(2026, 4, 3)));
        assert!(within_reversal_window(settled, d(2026, 4, 10)));
        assert!(!within_reversal_window(settled, d(2026, 4, 13)));
        assert!(!within_reversal_window(settled, d(2026, 4, 2)));
    }
}
