//! The domain: types and rules with no knowledge of HTTP or SQL. Values here are parsed once at
//! the edge; holding one means it is valid.

pub mod actor;
pub mod admin;
pub mod audit;
pub mod catalog;
pub mod csv;
pub mod csv_file;
pub mod delivery;
pub mod directory;
pub mod duration;
pub mod duty;
pub mod escalation;
pub mod ladder;
pub mod lifecycle;
pub mod mail;
pub mod policy;
pub mod practice;
pub mod query;
pub mod reconcile;
pub mod review;
pub mod roster;
pub mod scope;
pub mod session;
pub mod sla;
pub mod task;
pub mod token;
pub mod training;
