//! The engine: one module per use case, between the wire (`scim`, `api`, `cli`) and the store.
//! Each use case opens the practice's write transaction through the store, asks the pure domain
//! for decisions, tells the store what to write, and commits: handlers never plan, and the
//! store never decides.
//!
//! Architecture invariant: the engine imports the store, the domain and the outbound webhook
//! client, never the wire layer (`scim`, `api`, `state`, `auth`, `http`) nor the jobs that
//! call it (a test scans the sources).

pub mod access;
pub mod accounts;
pub mod audit_export;
pub mod checkpoint;
pub mod deliver;
pub mod directory;
pub mod imports;
pub mod policy;
pub mod portals;
pub mod react;
pub mod reports;
pub mod retention;
pub mod review_alerts;
pub mod reviews;
pub mod rosters;
pub mod sweep;
pub mod tasks;
pub(crate) mod training;
pub mod webhooks;
