//! The delivery worker: runs delivery passes (`engine::deliver`) when the sweeper or a test
//! event wakes it, and polls anyway (other instances and restarts leave work too).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Notify, watch};

use crate::engine::deliver::Deliverer;

/// The worker: what a pass needs, how often it polls, and what wakes it.
#[derive(Debug)]
pub struct DeliveryWorker {
    pub deliverer: Deliverer,
    pub poll_interval: Duration,
    /// Rung when there is something to send now (the sweeper recorded alerts, a test event).
    pub wake: Arc<Notify>,
    /// One pass at a time per instance, so a pass that starts waits for the previous one's
    /// sends to be recorded (instances still run side by side).
    pass: Mutex<()>,
}

impl DeliveryWorker {
    pub fn new(deliverer: Deliverer, poll_interval: Duration, wake: Arc<Notify>) -> Self {
        Self {
            deliverer,
            poll_interval,
            wake,
            pass: Mutex::new(()),
        }
    }

    /// One pass; the number of attempts made.
    pub async fn run_once(&self) -> usize {
        let _pass = self.pass.lock().await;
        self.deliverer.deliver_due().await
    }

    /// Runs until `shutdown` turns true or its sender is dropped.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut ticker = tokio::time::interval(self.poll_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = self.wake.notified() => {}
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        break;
                    }
                    continue;
                }
            }
            // Shutdown does not wait for a slow receiver: a pass cut short loses nothing (its
            // deliveries' leases run out and they are sent again, with the same idempotency
            // key).
            tokio::select! {
                _ = self.run_once() => {}
                _ = shutdown.changed() => break,
            }
        }
    }
}

/// How long a claimed delivery stays this instance's. Generous: a pass sends a round
/// concurrently, then records each result, possibly waiting for the practice's lock; a lease
/// too short would let another instance send it again.
pub fn lease_for(timeout: Duration) -> Duration {
    timeout * 2 + Duration::from_secs(120)
}
