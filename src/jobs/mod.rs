//! Background work: interval loops that stop when the server stops. Each job holds what it
//! uses (store, clock, client, policy), never the request handlers' state, and has a
//! `run_once` that tests call directly.

pub mod delivery;
pub mod housekeeping;
pub mod sweeper;

use std::sync::Arc;

/// The instance's background jobs, built once at start-up.
#[derive(Debug, Clone)]
pub struct Jobs {
    pub housekeeping: Arc<housekeeping::Housekeeping>,
    pub sweeper: Arc<sweeper::Sweeper>,
    pub delivery: Arc<delivery::DeliveryWorker>,
}
