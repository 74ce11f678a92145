//! Retry schedules: how long to wait before the next attempt, and when to stop and ask a human.

use std::time::Duration;

/// Delays before retry 1, 2, 3… of a job (5 minutes, 1 hour, 1 day); after the last one the
/// job goes to manual review. The brief's schedule for failed payments, used for every job.
pub const JOB_RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(5 * 60),
    Duration::from_secs(60 * 60),
    Duration::from_secs(24 * 60 * 60),
];

/// Delays between webhook delivery attempts; receivers may be down for a while.
pub const WEBHOOK_RETRY_DELAYS: [Duration; 6] = [
    Duration::from_secs(10),
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 60 * 60),
    Duration::from_secs(6 * 60 * 60),
];

/// The wait after failed attempt number `attempt` (1-based), or `None` when attempts are spent.
pub fn next_delay(delays: &[Duration], attempt: u32) -> Option<Duration> {
    delays.get(attempt.checked_sub(1)? as usize).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

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
