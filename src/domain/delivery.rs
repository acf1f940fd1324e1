//! Webhook delivery decisions: what one attempt came to, and what follows it (delivered,
//! retried with exponential backoff and full jitter, or dead-lettered past the horizon). The
//! sending is `webhook`'s; the recording is the store's.

use chrono::{DateTime, Utc};
use rand::Rng;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    pub status: Option<u16>,
    /// Why it failed without a status (connection refused, timeout, refused address …).
    pub error: Option<String>,
    /// The start of the receiver's answer, for the deliveries view.
    pub response_excerpt: Option<String>,
    pub duration_ms: i64,
}

impl AttemptResult {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

crate::domain::task::vocabulary! {
    /// Where a webhook delivery stands.
    DeliveryState {
        Pending => "pending",
        Delivered => "delivered",
        /// Given up on past the horizon (dead-lettered).
        Dead => "dead",
        /// Not sent: the task was finished first, or the webhook went away.
        Cancelled => "cancelled",
    }
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Delivered,
    RetryAt(DateTime<Utc>),
    /// The give-up horizon has passed.
    DeadLetter,
}

/// How retries are spaced and when they stop.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: chrono::Duration,
    pub max: chrono::Duration,
    pub give_up_after: chrono::Duration,
}

impl RetryPolicy {
    /// After attempt number `attempt` of a delivery created at `created_at`.
    pub fn next_step(
        &self,
        attempt: i32,
        created_at: DateTime<Utc>,
        result: &AttemptResult,
        now: DateTime<Utc>,
    ) -> NextStep {
        if result.succeeded() {
            return NextStep::Delivered;
        }
        // Settings are bounded (config), but a sum out of range must not panic the worker.
        let horizon = created_at
            .checked_add_signed(self.give_up_after)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        if now >= horizon {
            return NextStep::DeadLetter;
        }
        let doublings = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        let backoff = self
            .base
            .checked_mul(2_i32.saturating_pow(doublings))
            .unwrap_or(self.max)
            .min(self.max);
        // Full jitter over the upper half: receivers coming back up are not hit in lockstep.
        let millis = backoff.num_milliseconds().max(2);
        let delay = chrono::Duration::milliseconds(rand::rng().random_range(millis / 2..=millis));
        NextStep::RetryAt(
            now.checked_add_signed(delay)
                .unwrap_or(horizon)
                .min(horizon),
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn failed() -> AttemptResult {
        AttemptResult {
            status: Some(500),
            error: Some("HTTP 500".into()),
            response_excerpt: None,
            duration_ms: 1,
        }
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_until_the_horizon() {
        let policy = RetryPolicy {
            base: chrono::Duration::seconds(10),
            max: chrono::Duration::minutes(5),
            give_up_after: chrono::Duration::hours(1),
        };
        let created = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        for (attempt, low, high) in [(1, 5, 10), (2, 10, 20), (4, 40, 80), (9, 150, 300)] {
            let NextStep::RetryAt(at) = policy.next_step(attempt, created, &failed(), created)
            else {
                panic!("attempt {attempt} should be retried");
            };
            let waited = (at - created).num_seconds();
            assert!(
                (low..=high).contains(&waited),
                "attempt {attempt}: {waited}s"
            );
        }
        let near_end = created + chrono::Duration::minutes(59);
        assert_eq!(
            policy.next_step(9, created, &failed(), near_end),
            NextStep::RetryAt(created + chrono::Duration::hours(1)),
            "the last retry is at the horizon, not past it"
        );
        assert_eq!(
            policy.next_step(10, created, &failed(), created + chrono::Duration::hours(1)),
            NextStep::DeadLetter
        );
        let ok = AttemptResult {
            status: Some(204),
            error: None,
            ..failed()
        };
        assert_eq!(
            policy.next_step(1, created, &ok, created),
            NextStep::Delivered
        );
    }
}
