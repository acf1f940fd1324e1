//! Delivering alerts: claim due webhook deliveries, send them concurrently, and record each
//! attempt with what follows it (`domain::delivery::RetryPolicy`: delivered, retried with
//! backoff, or dead-lettered past the horizon).

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tokio::task::JoinSet;

use crate::clock::SharedClock;
use crate::domain::actor::Actor;
use crate::domain::delivery::{AttemptResult, NextStep, RetryPolicy};
use crate::store::audit::Entry;
use crate::store::deliveries::ClaimedDelivery;
use crate::store::outbox::{Fanout, NewEvent};
use crate::store::{Store, StoreError};
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
                if let Err(err) = finish(&self.store, &delivery, &result, next, now).await {
                    // The lease runs out and another round retries it; the receiver dedupes by
                    // the idempotency key if the first attempt did arrive.
                    tracing::warn!(error = %err, delivery = %delivery.id, "could not record a webhook attempt");
                }
            }
        }
        attempts
    }
}

/// Records an attempt and its consequence in one transaction of the delivery's practice:
/// delivered (audited), retry later, or dead-lettered (audited, and announced to the
/// practice's other webhooks).
async fn finish(
    store: &Store,
    claimed: &ClaimedDelivery,
    result: &AttemptResult,
    next: NextStep,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let tenant = store.tenant(claimed.practice);
    let tx = tenant.begin_write().await?;
    if !tenant
        .record_attempt(&tx, claimed, result, next, now)
        .await?
    {
        return tx.commit().await;
    }
    let actor = Actor::system(now);
    let detail = json!({
        "webhook": claimed.webhook.id,
        "event": claimed.event.id,
        "event_type": claimed.event.event_type,
        "task": claimed.event.task_id,
        "attempts": claimed.attempt,
        "status": result.status,
        "error": result.error,
    });
    let target = match claimed.event.task_id {
        Some(task) => format!("task {task}"),
        None => format!("webhook {}", claimed.webhook.id),
    };
    let action = match next {
        NextStep::Delivered => "webhook.delivered",
        NextStep::DeadLetter => "webhook.dead_lettered",
        NextStep::RetryAt(_) => return tx.commit().await,
    };
    let entry = Entry {
        action: action.to_owned(),
        target,
        detail: Some(detail),
    };
    tenant.append_audit(&tx, &actor, vec![entry]).await?;
    // A dead letter is announced through the practice's other webhooks, but never a dead
    // letter about a dead letter: that could go round for ever.
    if next == NextStep::DeadLetter && claimed.event.event_type != DEAD_LETTERED {
        let event = NewEvent {
            key: format!("dead:{}", claimed.id),
            event_type: DEAD_LETTERED,
            task: claimed.event.task_id,
            payload: json!({
                "practice": claimed.event.payload.get("practice"),
                "webhook": {"id": claimed.webhook.id, "name": claimed.webhook.name},
                "event": {"id": claimed.event.id, "type": claimed.event.event_type},
                "attempts": claimed.attempt,
                "last_error": result.error,
                "url": claimed.event.payload.get("url").or_else(|| claimed.event.payload.pointer("/task/url")),
            }),
        };
        let fanout = Fanout::Subscribers {
            except: Some(claimed.webhook.id),
        };
        tenant.record_event(&tx, event, fanout, now).await?;
    }
    tx.commit().await
}

/// The event type announcing a dead-lettered delivery.
const DEAD_LETTERED: &str = "webhook.dead_lettered";

/// The message a claimed delivery sends.
fn outgoing(delivery: &ClaimedDelivery) -> Outgoing<'_> {
    Outgoing {
        url: &delivery.webhook.url,
        format: &delivery.webhook.format,
        smtp: delivery.webhook.smtp.as_ref(),
        secret: &delivery.webhook.secret,
        event_id: delivery.event.id,
        event_type: &delivery.event.event_type,
        payload: &delivery.event.payload,
    }
}
