//! Portcullis: keeps a medical practice's payer-portal accounts in step with its workforce.
//!
//! Layers, by import direction: assembly (`startup`, `audit_key`, `cli`, `routes`, `openapi`) → wire
//! (`scim`, `api`, `console` → `state` → `auth` → `http`) → `jobs` → `engine` → `store` → `webhook` →
//! `domain`. See ARCHITECTURE.md; `tests/api/architecture.rs` keeps it so.

pub mod api;
pub mod audit_key;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod domain;
pub mod engine;
pub mod http;
pub mod jobs;
pub mod openapi;
pub mod routes;
pub mod scim;
pub mod service_manager;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod webhook;
