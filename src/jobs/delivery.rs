//! The delivery worker: claims due webhook deliveries, sends them concurrently, and records
//! each attempt: delivered, retried with exponential backoff and jitter, or dead-lettered past
//! the give-up horizon. Woken by the sweeper, and polls anyway (other instances and restarts
//! leave work too).

use std::time::Duration;

use actix_web::web;
use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::state::AppState;
use crate::store::webhooks::NextStep;
use crate::webhook::AttemptResult;

/// Deliveries claimed (and sent concurrently) per round, and rounds per pass.
const CLAIM: u64 = 16;
const MAX_ROUNDS: usize = 64;

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

/// Drains what is due now; returns the number of attempts made.
pub async fn run_once(state: &AppState) -> usize {
    let _pass = state.alerting.delivery_pass.lock().await;
    let lease =
        chrono::Duration::from_std(state.alerting.lease).unwrap_or(chrono::Duration::seconds(90));
    let mut attempts = 0;
    for _ in 0..MAX_ROUNDS {
        let claimed = match state
            .store
            .claim_deliveries(state.clock.now(), lease, CLAIM)
            .await
        {
            Ok(claimed) => claimed,
            Err(err) => {
                tracing::warn!(error = %err, "could not claim webhook deliveries");
                break;
            }
        };
        if claimed.is_empty() {
            break;
        }
        let mut sends = JoinSet::new();
        for delivery in claimed {
            let client = state.alerting.client.clone();
            sends.spawn(async move {
                let result = client.send(&delivery.webhook, &delivery.event).await;
                (delivery, result)
            });
        }
        while let Some(joined) = sends.join_next().await {
            let Ok((delivery, result)) = joined else {
                continue; // a panicked send: its lease runs out and it is retried
            };
            attempts += 1;
            let now = state.clock.now();
            let next =
                state
                    .alerting
                    .retry
                    .next_step(delivery.attempt, delivery.created_at, &result, now);
            if let NextStep::DeadLetter = next {
                tracing::warn!(delivery = %delivery.id, webhook = %delivery.webhook.id, "webhook delivery dead-lettered");
            }
            if let Err(err) = state
                .store
                .finish_delivery(&delivery, &result, next, now)
                .await
            {
                // The lease runs out and another round retries it; the receiver dedupes by
                // the idempotency key if the first attempt did arrive.
                tracing::warn!(error = %err, delivery = %delivery.id, "could not record a webhook attempt");
            }
        }
    }
    attempts
}

/// Runs until `shutdown` turns true or its sender is dropped.
pub async fn run(state: web::Data<AppState>, mut shutdown: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(state.alerting.poll_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = state.alerting.wake_delivery.notified() => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
                continue;
            }
        }
        // Shutdown does not wait for a slow receiver: a pass cut short loses nothing (its
        // deliveries' leases run out and they are sent again, with the same idempotency key).
        tokio::select! {
            _ = run_once(&state) => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// How long a claimed delivery stays this instance's. Generous: a pass sends a round
/// concurrently, then records each result, possibly waiting for the practice's lock; a lease
/// too short would let another instance send it again.
pub fn lease_for(timeout: Duration) -> Duration {
    timeout * 2 + Duration::from_secs(120)
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
