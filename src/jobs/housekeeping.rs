//! Periodic tidying that keeps memory flat: forgetting idle rate-limit buckets.

use std::time::Duration;

use actix_web::web;
use tokio::sync::watch;

use crate::state::AppState;

const INTERVAL: Duration = Duration::from_secs(60);

pub fn run_once(state: &AppState) {
    state.limiter.forget_idle();
}

/// Runs until `shutdown` turns true or its sender is dropped.
pub async fn run(state: web::Data<AppState>, mut shutdown: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => run_once(&state),
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }
}
