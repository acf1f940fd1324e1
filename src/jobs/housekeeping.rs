//! Periodic tidying: forgetting idle rate-limit buckets (memory stays flat), reopening failed
//! tasks whose pause is over, and pruning what retention lets go (finished deliveries, spent
//! outbox events, expired sessions and sign-in links).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::SharedClock;
use crate::engine::retention::{self, Retention};
use crate::engine::tasks;
use crate::store::Store;

const INTERVAL: Duration = Duration::from_secs(60);

/// What housekeeping uses.
pub struct Housekeeping {
    pub store: Store,
    pub clock: SharedClock,
    /// How long a failed task waits before it is reopened.
    pub reopen_failed_after: chrono::Duration,
    /// What is kept how long.
    pub retention: Retention,
    /// Forgets idle rate-limit buckets (the limiter lives with the request guard).
    pub forget_idle_limits: Box<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Housekeeping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Housekeeping")
            .field("reopen_failed_after", &self.reopen_failed_after)
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

impl Housekeeping {
    pub async fn run_once(&self) {
        (self.forget_idle_limits)();
        let now = self.clock.now();
        match tasks::reopen_failed_tasks(&self.store, now, self.reopen_failed_after).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reopened = n, "failed tasks reopened"),
            Err(err) => tracing::warn!(error = %err, "could not reopen failed tasks"),
        }
        match retention::prune(&self.store, now, self.retention).await {
            Ok(pruned) if pruned.is_empty() => {}
            Ok(pruned) => tracing::info!(
                deliveries = pruned.deliveries,
                attempts = pruned.attempts,
                outbox_events = pruned.events,
                sessions = pruned.sessions,
                sign_in_links = pruned.sign_in_links,
                oidc_sign_ins = pruned.oidc_logins,
                "pruned what retention lets go"
            ),
            Err(err) => tracing::warn!(error = %err, "could not prune"),
        }
    }

    /// Runs until `shutdown` turns true or its sender is dropped.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut ticker = tokio::time::interval(INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => self.run_once().await,
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        break;
                    }
                }
            }
        }
    }
}
