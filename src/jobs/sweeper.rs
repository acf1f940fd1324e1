//! The sweeper: every `interval`, move due tasks along their escalation ladders, record
//! digests and administrator-count alerts (all in the outbox) and sign each audit chain daily,
//! then wake the delivery worker.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::clock::SharedClock;
use crate::domain::audit::checkpoint::AuditSigner;
use crate::engine::sweep::{self, SweepReport};
use crate::store::Store;

/// What the sweeper uses.
#[derive(Debug)]
pub struct Sweeper {
    pub store: Store,
    pub clock: SharedClock,
    /// Base URL for links in alerts.
    pub public_url: String,
    pub interval: Duration,
    /// Wakes the delivery worker when a pass recorded something.
    pub wake_delivery: Arc<Notify>,
    /// Signs the daily checkpoint of each practice's audit chain.
    pub signer: Arc<AuditSigner>,
}

impl Sweeper {
    /// One pass; what it recorded. Failures are logged and retried next pass.
    pub async fn run_once(&self) -> SweepReport {
        let now = self.clock.now();
        match sweep::sweep(&self.store, now, &self.public_url, &self.signer).await {
            Ok(report) => {
                if report != SweepReport::default() {
                    tracing::info!(
                        alerts = report.alerts,
                        digests = report.digests,
                        admin_alerts = report.admin_alerts,
                        checkpoints = report.checkpoints,
                        reviews_opened = report.reviews.opened,
                        review_alerts = report.reviews.alerts,
                        reviews_closed = report.reviews.closed,
                        reviews_completed = report.reviews.completed,
                        duty_tasks = report.duty_tasks,
                        training_tasks = report.training_tasks,
                        "sweep recorded notifications"
                    );
                    self.wake_delivery.notify_one();
                }
                report
            }
            Err(err) => {
                tracing::warn!(error = %err, "sweep failed");
                SweepReport::default()
            }
        }
    }

    /// Runs until `shutdown` turns true or its sender is dropped.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => { self.run_once().await; }
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        break;
                    }
                }
            }
        }
    }
}
