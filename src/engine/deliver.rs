//! Delivering alerts: claim due webhook deliveries, send them concurrently, and record each
//! attempt with what follows it (`domain::delivery::RetryPolicy`: delivered, retried with
//! backoff, or dead-lettered past the horizon).

use chrono::Duration;
use tokio::task::JoinSet;

use crate::clock::SharedClock;
use crate::domain::delivery::{NextStep, RetryPolicy};
use crate::store::Store;
use crate::store::deliveries::ClaimedDelivery;
use crate::webhook::{Outgoing, WebhookClient};

/// Deliveries claimed (and sent concurrently) per round, and rounds per pass.
const CLAIM: u64 = 16;
const MAX_ROUNDS: usize = 64;

/// What one delivery pass needs.
#[derive(Debug, Clone)]
pub struct Deliverer {
    pub store: Store,
    pub clock: SharedClock,
    pub client: WebhookClient,
    pub retry: RetryPolicy,
    /// How long a claimed delivery stays this instance's.
    pub lease: Duration,
}

impl Deliverer {
    /// Drains what is due now; returns the number of attempts made. Failures to claim or to
    /// record are logged: a delivery whose attempt was not recorded is sent again when its
    /// lease runs out, with the same idempotency key.
    pub async fn deliver_due(&self) -> usize {
        let mut attempts = 0;
        for _ in 0..MAX_ROUNDS {
            let claimed = match self
                .store
                .claim_deliveries(self.clock.now(), self.lease, CLAIM)
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
                let client = self.client.clone();
                sends.spawn(async move {
                    let result = client.send(outgoing(&delivery)).await;
                    (delivery, result)
                });
            }
            while let Some(joined) = sends.join_next().await {
                let Ok((delivery, result)) = joined else {
                    continue; // a panicked send: its lease runs out and it is retried
                };
                attempts += 1;
                let now = self.clock.now();
                let next =
                    self.retry
                        .next_step(delivery.attempt, delivery.created_at, &result, now);
                if let NextStep::DeadLetter = next {
                    tracing::warn!(delivery = %delivery.id, webhook = %delivery.webhook.id, "webhook delivery dead-lettered");
                }
                if let Err(err) = self
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
}

/// The message a claimed delivery sends.
fn outgoing(delivery: &ClaimedDelivery) -> Outgoing<'_> {
    Outgoing {
        url: &delivery.webhook.url,
        format: &delivery.webhook.format,
        secret: &delivery.webhook.secret,
        event_id: delivery.event.id,
        event_type: &delivery.event.event_type,
        payload: &delivery.event.payload,
    }
}
