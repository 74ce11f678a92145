//! Delivery of one message: its status, how provider events move it (they arrive out of
//! order), and which failures are retried and when.

use std::time::Duration;

use crate::retry;

string_enum! {
    /// Where one message (one event, investor and channel) stands.
    MessageStatus {
        /// Waiting for its job to run.
        Queued => "queued",
        /// Handed to the channel; no answer yet (a crash here is resolved by the job's key).
        Sending => "sending",
        /// Accepted by the SMTP server or provider.
        Sent => "sent",
        /// The provider reports it reached the recipient's server or phone.
        Delivered => "delivered",
        /// The recipient opened it (email) or read it (in-app).
        Opened => "opened",
        /// Refused by the recipient's server (SMTP 5xx or a bounce report); the address is
        /// suppressed until it changes.
        Bounced => "bounced",
        /// The recipient marked it as spam; the address is suppressed.
        Complained => "complained",
        /// Permanent failure other than a bounce (e.g. the provider refused the request with
        /// a 4xx other than 408/429); not retried.
        Failed => "failed",
        /// Temporary failures until the retries ran out; listed for operators.
        Dead => "dead",
        /// Not sent because the address is suppressed (an earlier bounce, complaint or STOP).
        Suppressed => "suppressed",
        /// Not sent: the preference is off or there is no address; the reason is stored.
        Skipped => "skipped",
    }
}

impl MessageStatus {
    /// Every status.
    pub const ALL: [MessageStatus; 11] = [
        MessageStatus::Queued,
        MessageStatus::Sending,
        MessageStatus::Sent,
        MessageStatus::Delivered,
        MessageStatus::Opened,
        MessageStatus::Bounced,
        MessageStatus::Complained,
        MessageStatus::Failed,
        MessageStatus::Dead,
        MessageStatus::Suppressed,
        MessageStatus::Skipped,
    ];

    /// Whether no provider event changes it any more, except a complaint for `Bounced` and
    /// `Failed` (see [`after_event`]).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            MessageStatus::Bounced
                | MessageStatus::Complained
                | MessageStatus::Failed
                | MessageStatus::Dead
                | MessageStatus::Suppressed
                | MessageStatus::Skipped
        )
    }
}

/// What a provider reports about a message it accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryEvent {
    /// Reached the recipient's server or phone.
    Delivered,
    /// Opened or read.
    Opened,
    /// Bounced (hard bounce or a later asynchronous bounce).
    Bounced,
    /// Marked as spam.
    Complained,
    /// Failed (e.g. an undeliverable SMS).
    Failed,
}

/// The status after a provider event. Events arrive in any order and more than once, so:
/// - an open implies delivery: `Opened` after `Delivered`, and `Delivered` never downgrades
///   `Opened`;
/// - a bounce or complaint wins over `Delivered`/`Opened` (bounces can follow a 250 OK);
/// - a complaint wins over everything we sent (it must suppress the address);
/// - `Failed` only moves a message not yet known to be delivered;
/// - `Bounced`, `Failed` and `Complained` are final except for a complaint; `Dead`,
///   `Suppressed` and `Skipped` were never delivered and ignore every event.
pub fn after_event(status: MessageStatus, e: DeliveryEvent) -> MessageStatus {
    use DeliveryEvent as E;
    use MessageStatus as S;
    match (status, e) {
        (S::Dead | S::Suppressed | S::Skipped | S::Complained, _) => status,
        (_, E::Complained) => S::Complained,
        (S::Bounced | S::Failed, _) => status,
        (_, E::Bounced) => S::Bounced,
        (S::Opened, _) => S::Opened,
        (_, E::Opened) => S::Opened,
        (S::Delivered, _) => S::Delivered,
        (_, E::Delivered) => S::Delivered,
        (S::Queued | S::Sending | S::Sent, E::Failed) => S::Failed,
    }
}

/// Waits before retry 1, 2, 3… of a temporarily failed message: 1 min, 5 min, 30 min, 2 h,
/// 12 h (about 15 hours in all, long enough for a greylisting server or a provider outage);
/// after the last the message is `Dead`.
pub const MESSAGE_RETRY_DELAYS: [Duration; 5] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 60 * 60),
    Duration::from_secs(12 * 60 * 60),
];

/// The wait after failed attempt number `attempt` (1-based); `None` when the message is dead.
pub fn retry_delay(attempt: u32) -> Option<Duration> {
    retry::next_delay(&MESSAGE_RETRY_DELAYS, attempt)
}

/// Whether a failed send may be tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// Try again later ([`retry_delay`]).
    Temporary,
    /// Never try again.
    Permanent,
}

impl Failure {
    /// An SMTP reply code of a refused command: 4xx is transient (RFC 5321 §4.2.1), anything
    /// else that is not success is permanent.
    pub fn smtp(code: u16) -> Failure {
        if (400..500).contains(&code) {
            Failure::Temporary
        } else {
            Failure::Permanent
        }
    }

    /// An HTTP status of a refused provider request: 408 (timeout), 429 (rate limit) and 5xx
    /// are temporary; any other status is permanent (the request itself is wrong).
    pub fn http(status: u16) -> Failure {
        if status == 408 || status == 429 || (500..600).contains(&status) {
            Failure::Temporary
        } else {
            Failure::Permanent
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use DeliveryEvent as E;
    use MessageStatus as S;

    const EVENTS: [E; 5] = [
        E::Delivered,
        E::Opened,
        E::Bounced,
        E::Complained,
        E::Failed,
    ];

    fn apply(start: S, events: &[E]) -> S {
        events.iter().fold(start, |s, e| after_event(s, *e))
    }

    #[test]
    fn statuses_round_trip_their_spelling() {
        for s in S::ALL {
            assert_eq!(s.as_str().parse::<S>(), Ok(s));
        }
        assert!("lost".parse::<S>().is_err());
    }

    #[test]
    fn open_and_delivery_arrive_in_either_order() {
        assert_eq!(apply(S::Sent, &[E::Delivered, E::Opened]), S::Opened);
        assert_eq!(apply(S::Sent, &[E::Opened, E::Delivered]), S::Opened);
        assert_eq!(apply(S::Sending, &[E::Delivered]), S::Delivered);
    }

    #[test]
    fn a_later_bounce_or_complaint_wins() {
        assert_eq!(apply(S::Sent, &[E::Delivered, E::Bounced]), S::Bounced);
        assert_eq!(
            apply(S::Sent, &[E::Bounced, E::Delivered, E::Opened]),
            S::Bounced
        );
        assert_eq!(apply(S::Sent, &[E::Opened, E::Complained]), S::Complained);
        assert_eq!(apply(S::Sent, &[E::Bounced, E::Complained]), S::Complained);
        assert_eq!(
            apply(S::Sent, &[E::Complained, E::Bounced, E::Opened]),
            S::Complained
        );
    }

    #[test]
    fn failed_does_not_undo_a_delivery_and_is_final() {
        assert_eq!(apply(S::Sent, &[E::Failed]), S::Failed);
        assert_eq!(apply(S::Sent, &[E::Delivered, E::Failed]), S::Delivered);
        assert_eq!(apply(S::Sent, &[E::Opened, E::Failed]), S::Opened);
        assert_eq!(apply(S::Sent, &[E::Failed, E::Delivered]), S::Failed);
        assert_eq!(apply(S::Failed, &[E::Complained]), S::Complained);
    }

    #[test]
    fn messages_never_sent_ignore_every_event() {
        for s in [S::Dead, S::Suppressed, S::Skipped] {
            for e in EVENTS {
                assert_eq!(after_event(s, e), s);
            }
        }
    }

    #[test]
    fn retries_are_one_five_thirty_minutes_two_twelve_hours_then_dead() {
        let mins: Vec<u64> = (1..=5)
            .map(|a| retry_delay(a).unwrap().as_secs() / 60)
            .collect();
        assert_eq!(mins, vec![1, 5, 30, 120, 720]);
        assert_eq!(retry_delay(6), None);
        assert_eq!(retry_delay(0), None);
    }

    #[test]
    fn failures_are_classified_by_code() {
        assert_eq!(Failure::smtp(421), Failure::Temporary);
        assert_eq!(Failure::smtp(451), Failure::Temporary);
        assert_eq!(Failure::smtp(450), Failure::Temporary);
        assert_eq!(Failure::smtp(550), Failure::Permanent);
        assert_eq!(Failure::smtp(554), Failure::Permanent);
        assert_eq!(Failure::http(429), Failure::Temporary);
        assert_eq!(Failure::http(408), Failure::Temporary);
        assert_eq!(Failure::http(500), Failure::Temporary);
        assert_eq!(Failure::http(503), Failure::Temporary);
        assert_eq!(Failure::http(400), Failure::Permanent);
        assert_eq!(Failure::http(401), Failure::Permanent);
        assert_eq!(Failure::http(404), Failure::Permanent);
        assert_eq!(Failure::http(422), Failure::Permanent);
    }

    fn status() -> impl Strategy<Value = S> {
        proptest::sample::select(S::ALL.to_vec())
    }
    fn events() -> impl Strategy<Value = Vec<E>> {
        proptest::collection::vec(proptest::sample::select(EVENTS.to_vec()), 0..8)
    }

    proptest! {
        /// Repeating an event changes nothing (providers retry webhooks), and final statuses
        /// only ever move to Complained.
        #[test]
        fn events_are_idempotent_and_finals_hold(s in status(), es in events()) {
            for e in &es {
                let once = after_event(s, *e);
                prop_assert_eq!(after_event(once, *e), once);
            }
            let end = apply(s, &es);
            if s.is_final() {
                prop_assert!(end == s || end == S::Complained);
            }
            if matches!(s, S::Delivered | S::Opened) {
                prop_assert!(!matches!(end, S::Queued | S::Sending | S::Sent | S::Failed));
            }
        }

        /// Without `Failed` (which only counts before a delivery is known), the final status
        /// does not depend on the order in which events arrive.
        #[test]
        fn order_does_not_matter(es in events()) {
            let es: Vec<E> = es.into_iter().filter(|e| *e != E::Failed).collect();
            let mut rev = es.clone();
            rev.reverse();
            prop_assert_eq!(apply(S::Sent, &es), apply(S::Sent, &rev));
        }
    }
}
