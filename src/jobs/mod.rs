//! Background work: interval loops that stop when the server stops. Each has a `run_once` that
//! tests can call directly.

pub mod delivery;
pub mod housekeeping;
pub mod sweeper;
