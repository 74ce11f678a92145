//! Retry schedules: how long to wait before the next attempt, and when to stop and ask a human.

use std::time::Duration;

/// Delays before retry 1, 2, 3… of a job (5 minutes, 1 hour, 1 day); after the last one the
/// job goes to manual review. The brief's schedule for failed payments, used for every job.
pub const JOB_RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(5 * 60),
    Duration::from_secs(60 * 60),
    Duration::from_secs(24 * 60 * 60),
];

/// Webhook retries back off exponentially from this wait…
pub const WEBHOOK_BACKOFF_BASE: Duration = Duration::from_secs(10);
/// …to at most this one (receivers may be down for a while)…
pub const WEBHOOK_BACKOFF_CAP: Duration = Duration::from_secs(6 * 60 * 60);
/// …for this many attempts of one delivery (about 17 hours of trying), after which it is
/// parked (dead).
pub const WEBHOOK_MAX_ATTEMPTS: u32 = 14;

/// The wait after failed attempt number `attempt` (1-based) of an exponential backoff:
/// `base · 2^(attempt−1)` capped at `cap`, of which a random part is taken ("equal jitter":
/// between half and all of it; `jitter_permille` 0–1000 picks where), so receivers that come
/// back are not hit by every sender at once. `None` once `max_attempts` are spent.
pub fn backoff(
    base: Duration,
    cap: Duration,
    max_attempts: u32,
    attempt: u32,
    jitter_permille: u32,
) -> Option<Duration> {
    if attempt == 0 || attempt >= max_attempts {
        return None;
    }
    // 2^31 · base overflows nothing that matters: it is capped right away.
    let full = base
        .checked_mul(1u32 << (attempt - 1).min(31))
        .map_or(cap, |d| d.min(cap));
    let half = full / 2;
    Some(half + half * jitter_permille.min(1000) / 1000)
}

/// The wait after failed attempt number `attempt` (1-based), or `None` when attempts are spent.
pub fn next_delay(delays: &[Duration], attempt: u32) -> Option<Duration> {
    delays.get(attempt.checked_sub(1)? as usize).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn webhook(attempt: u32, jitter: u32) -> Option<Duration> {
        backoff(
            WEBHOOK_BACKOFF_BASE,
            WEBHOOK_BACKOFF_CAP,
            WEBHOOK_MAX_ATTEMPTS,
            attempt,
            jitter,
        )
    }

    #[test]
    fn webhook_backoff_doubles_up_to_the_cap_then_stops() {
        assert_eq!(webhook(1, 1000), Some(Duration::from_secs(10)));
        assert_eq!(webhook(1, 0), Some(Duration::from_secs(5)));
        assert_eq!(webhook(2, 1000), Some(Duration::from_secs(20)));
        assert_eq!(webhook(4, 1000), Some(Duration::from_secs(80)));
        assert_eq!(webhook(12, 1000), Some(Duration::from_secs(20_480)));
        assert_eq!(webhook(13, 1000), Some(WEBHOOK_BACKOFF_CAP));
        assert_eq!(webhook(13, 0), Some(WEBHOOK_BACKOFF_CAP / 2));
        assert_eq!(webhook(14, 1000), None);
        assert_eq!(webhook(0, 1000), None);
        assert_eq!(
            backoff(
                Duration::from_secs(1),
                Duration::from_secs(60),
                100,
                90,
                1000
            ),
            Some(Duration::from_secs(60))
        );
    }

    proptest! {
        /// Every wait lies between half and all of the capped exponential, and never shrinks
        /// from one attempt to the next at the same jitter.
        #[test]
        fn webhook_backoff_is_bounded_and_monotone(attempt in 1u32..14, jitter in 0u32..=1000) {
            let full = WEBHOOK_BACKOFF_BASE.saturating_mul(1 << (attempt - 1)).min(WEBHOOK_BACKOFF_CAP);
            let d = webhook(attempt, jitter).unwrap();
            prop_assert!(d >= full / 2 && d <= full);
            if let Some(next) = webhook(attempt + 1, jitter) {
                prop_assert!(next >= d);
            }
        }
    }

    #[test]
    fn job_schedule_is_five_minutes_one_hour_one_day_then_review() {
        assert_eq!(
            next_delay(&JOB_RETRY_DELAYS, 1),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            next_delay(&JOB_RETRY_DELAYS, 2),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            next_delay(&JOB_RETRY_DELAYS, 3),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(next_delay(&JOB_RETRY_DELAYS, 4), None);
        assert_eq!(next_delay(&JOB_RETRY_DELAYS, 0), None);
    }
}
