//! Periodic tidying: forgetting idle rate-limit buckets (memory stays flat), and reopening
//! failed tasks whose pause is over.

use std::time::Duration;

use actix_web::web;
use tokio::sync::watch;

use crate::engine::tasks;
use crate::state::AppState;

const INTERVAL: Duration = Duration::from_secs(60);

pub async fn run_once(state: &AppState) {
    state.limiter.forget_idle();
    let now = state.clock.now();
    match tasks::reopen_failed_tasks(&state.store, now, state.failed_task_reopen_after).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(reopened = n, "failed tasks reopened"),
        Err(err) => tracing::warn!(error = %err, "could not reopen failed tasks"),
    }
}

/// Runs until `shutdown` turns true or its sender is dropped.
pub async fn run(state: web::Data<AppState>, mut shutdown: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => run_once(&state).await,
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }
}
