//! Paying investors, the pure part: payment methods and the payment status machine, FX
//! conversion with its rounding rule, NACHA return-code classification, check stale-dating,
//! retry timing and masking of account numbers.
//!
//! # Layout
//! - this file: [`Method`], [`PaymentStatus`] and its transitions, [`mask`], retries.
//! - [`limits`]: what one ACH entry and file may carry (NACHA fields, ODFI caps, Same Day).
//! - [`fx`]: converting a fund-currency amount into the payment currency.
//! - [`returns`]: NACHA return (R01…R85) and change (C01…C14) codes.
//! - [`checks`]: stale-dating of issued checks.
//! - [`reference`]: the check-digited token our bank references start with.
//! - [`settlement`]: planning a set of outcomes (cleared, returned, failed) of payments.

pub mod checks;
pub mod fx;
pub mod limits;
pub mod reference;
pub mod returns;
pub mod settlement;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::retry::{next_delay, JOB_RETRY_DELAYS};

/// How a payment travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// ACH credit in a NACHA file (PPD for individuals, CCD for entities).
    Ach,
    /// Wire in an ISO 20022 pain.001 credit-transfer initiation.
    Wire,
    /// Paper check from the check register (with a positive-pay file).
    Check,
}

impl Method {
    /// Stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Ach => "ACH",
            Method::Wire => "WIRE",
            Method::Check => "CHECK",
        }
    }

    /// Every method.
    pub const ALL: [Method; 3] = [Method::Ach, Method::Wire, Method::Check];
}

impl FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("'{s}' is not a payment method (ACH, WIRE or CHECK)"))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a payment is. PENDING → PROCESSING → SENT → COMPLETED, or FAILED / RETURNED /
/// CANCELLED; the last four are final (a retry is a new payment of the same line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PaymentStatus {
    /// Created by processing; not yet handed to a rail.
    Pending,
    /// Being handed over (file being built, provider being called).
    Processing,
    /// With the bank or provider; not yet confirmed.
    Sent,
    /// The money arrived (bank statement, provider confirmation, check cashed).
    Completed,
    /// Never left, or was rejected before settlement.
    Failed,
    /// Left, then came back (NACHA return, bounced wire).
    Returned,
    /// Withdrawn before it was sent, a voided or stale-dated check, or replaced by a retry.
    Cancelled,
}

impl PaymentStatus {
    /// Stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "PENDING",
            PaymentStatus::Processing => "PROCESSING",
            PaymentStatus::Sent => "SENT",
            PaymentStatus::Completed => "COMPLETED",
            PaymentStatus::Failed => "FAILED",
            PaymentStatus::Returned => "RETURNED",
            PaymentStatus::Cancelled => "CANCELLED",
        }
    }

    /// Every status.
    pub const ALL: [PaymentStatus; 7] = [
        PaymentStatus::Pending,
        PaymentStatus::Processing,
        PaymentStatus::Sent,
        PaymentStatus::Completed,
        PaymentStatus::Failed,
        PaymentStatus::Returned,
        PaymentStatus::Cancelled,
    ];

    /// Whether the payment still counts as the line's payment (the database allows one).
    pub fn is_live(self) -> bool {
        !matches!(
            self,
            PaymentStatus::Failed | PaymentStatus::Returned | PaymentStatus::Cancelled
        )
    }

    /// Whether `next` may follow `self`. The whole machine is here:
    /// - PENDING → PROCESSING | FAILED | CANCELLED
    /// - PROCESSING → SENT | COMPLETED | FAILED | PENDING (COMPLETED: a provider confirmed
    ///   before we recorded the hand-over; PENDING: handed back, e.g. held)
    /// - SENT → COMPLETED | FAILED | RETURNED | CANCELLED (void / stale-dated check)
    /// - COMPLETED → RETURNED (a return can arrive after the credit posted)
    /// - FAILED, RETURNED, CANCELLED: final.
    pub fn can_become(self, next: PaymentStatus) -> bool {
        use PaymentStatus::*;
        matches!(
            (self, next),
            (Pending, Processing | Failed | Cancelled)
                | (Processing, Sent | Completed | Failed | Pending)
                | (Sent, Completed | Failed | Returned | Cancelled)
                | (Completed, Returned)
        )
    }

    /// `next` if allowed, else the refusal.
    pub fn to(self, next: PaymentStatus) -> Result<PaymentStatus, IllegalPaymentTransition> {
        if self.can_become(next) {
            Ok(next)
        } else {
            Err(IllegalPaymentTransition {
                from: self,
                to: next,
            })
        }
    }

    /// The distribution line status that mirrors this payment status.
    pub fn line_status(self) -> crate::distribution::LineStatus {
        use crate::distribution::LineStatus;
        match self {
            PaymentStatus::Pending | PaymentStatus::Processing | PaymentStatus::Sent => {
                LineStatus::PaymentInitiated
            }
            PaymentStatus::Completed => LineStatus::Paid,
            PaymentStatus::Failed | PaymentStatus::Returned | PaymentStatus::Cancelled => {
                LineStatus::Failed
            }
        }
    }
}

impl FromStr for PaymentStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        PaymentStatus::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("'{s}' is not a payment status"))
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payment status change the machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} payment cannot become {to}")]
pub struct IllegalPaymentTransition {
    /// Current status.
    pub from: PaymentStatus,
    /// Requested status.
    pub to: PaymentStatus,
}

/// Automatic payment attempts before a person must look (the first plus three retries).
pub const PAYMENT_ATTEMPTS_MAX: i64 = 4;

/// When failed attempt `attempt` (1-based) is retried automatically: 5 min, 1 h, 1 day, then
/// `None` (manual review). Same schedule as every durable job.
pub fn retry_delay(attempt: i64) -> Option<Duration> {
    u32::try_from(attempt)
        .ok()
        .and_then(|a| next_delay(&JOB_RETRY_DELAYS, a))
}

/// Masks an account number or IBAN to its last four characters (`••••6789`); shorter values
/// are fully masked. The only form in which account numbers leave the store.
pub fn mask(account: &str) -> String {
    format!("••••{}", last4(account))
}

/// The last four characters (alphanumerics only), or fewer if the value is shorter than 8, so
/// that short numbers are never shown in full.
pub fn last4(account: &str) -> String {
    let clean: Vec<char> = account
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let shown = if clean.len() >= 8 {
        4
    } else {
        clean.len().saturating_sub(4).min(2)
    };
    clean[clean.len() - shown..].iter().collect()
}

/// Two micro-deposit amounts in cents (1..=99 each, never equal) from two random draws.
pub fn micro_deposit_amounts(r1: u64, r2: u64) -> (i64, i64) {
    let a = (r1 % 99) as i64 + 1;
    let mut b = (r2 % 98) as i64 + 1;
    if b >= a {
        b += 1;
    }
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::LineStatus;
    use proptest::prelude::*;

    #[test]
    fn the_happy_path_and_its_exits() {
        use PaymentStatus::*;
        let path = [Pending, Processing, Sent, Completed];
        for w in path.windows(2) {
            assert!(w[0].can_become(w[1]), "{} -> {}", w[0], w[1]);
        }
        assert!(Sent.can_become(Returned));
        assert!(Completed.can_become(Returned), "late returns");
        for final_status in [Failed, Returned, Cancelled] {
            for next in PaymentStatus::ALL {
                assert!(!final_status.can_become(next), "{final_status} is final");
            }
            assert!(!final_status.is_live());
        }
        assert!(!Pending.can_become(Completed), "cannot skip sending");
        assert!(!Completed.can_become(Failed));
        assert_eq!(
            Pending.to(Sent).unwrap_err().to_string(),
            "a PENDING payment cannot become SENT"
        );
    }

    #[test]
    fn line_status_mirrors_the_payment() {
        assert_eq!(
            PaymentStatus::Sent.line_status(),
            LineStatus::PaymentInitiated
        );
        assert_eq!(PaymentStatus::Completed.line_status(), LineStatus::Paid);
        assert_eq!(PaymentStatus::Returned.line_status(), LineStatus::Failed);
    }

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        assert_eq!(retry_delay(1), Some(Duration::from_secs(300)));
        assert_eq!(retry_delay(2), Some(Duration::from_secs(3600)));
        assert_eq!(retry_delay(3), Some(Duration::from_secs(86_400)));
        assert_eq!(retry_delay(PAYMENT_ATTEMPTS_MAX), None);
        assert_eq!(retry_delay(0), None);
        assert_eq!(retry_delay(-1), None);
    }

    #[test]
    fn masking_keeps_only_the_last_four() {
        assert_eq!(mask("123456789012"), "••••9012");
        assert_eq!(mask("DE89 3704 0044 0532 0130 00"), "••••3000");
        assert_eq!(mask("12345"), "••••5", "short numbers show at most two");
        assert_eq!(mask("123"), "••••");
    }

    proptest! {
        #[test]
        fn masks_never_reveal_more_than_four(account in "[0-9A-Z]{1,34}") {
            let masked = mask(&account);
            let shown = masked.trim_start_matches('•');
            prop_assert!(shown.len() <= 4);
            prop_assert!(account.ends_with(shown));
            if account.len() >= 8 { prop_assert_eq!(shown.len(), 4); }
            else { prop_assert!(shown.len() * 2 <= account.len()); }
        }

        #[test]
        fn micro_deposits_are_two_distinct_cents(r1 in any::<u64>(), r2 in any::<u64>()) {
            let (a, b) = micro_deposit_amounts(r1, r2);
            prop_assert!((1..=99).contains(&a) && (1..=99).contains(&b));
            prop_assert_ne!(a, b);
        }

        #[test]
        fn transitions_only_lead_forward(a in 0usize..7, b in 0usize..7) {
            let (from, to) = (PaymentStatus::ALL[a], PaymentStatus::ALL[b]);
            if from.can_become(to) {
                prop_assert!(from.is_live(), "final statuses never move");
                prop_assert_ne!(from, to);
            }
        }
    }
}
