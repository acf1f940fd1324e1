//! The sweeper: every `sweep_interval`, move due tasks along their escalation ladders, record
//! digests and administrator-count alerts (all in the outbox), then wake the delivery worker.

use actix_web::web;
use tokio::sync::watch;

use crate::state::AppState;
use crate::store::alerts::SweepReport;

/// One pass; what it recorded. Failures are logged and retried next pass.
pub async fn run_once(state: &AppState) -> SweepReport {
    let now = state.clock.now();
    match state.store.sweep(now, &state.public_url).await {
        Ok(report) => {
            if report != SweepReport::default() {
                tracing::info!(
                    alerts = report.alerts,
                    digests = report.digests,
                    admin_alerts = report.admin_alerts,
                    "sweep recorded notifications"
                );
                state.alerting.wake_delivery.notify_one();
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
pub async fn run(state: web::Data<AppState>, mut shutdown: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(state.alerting.sweep_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => { run_once(&state).await; }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }
}
