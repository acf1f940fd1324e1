//! The one integration-test binary. Each module is one area; `helpers` boots the real app.

// A failed unwrap in a test is a test failure with a location: exactly what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accountability;
mod admins;
mod alerts;
mod architecture;
mod audit;
mod audit_checkpoints;
mod browser;
mod cli;
mod cli_messages;
mod config;
mod console;
mod console_policy;
mod console_portals;
mod console_settings;
mod duties;
mod email;
mod errors;
mod first_hour;
mod imports;
mod jwt;
mod lifecycle;
mod oidc;
mod openapi;
mod operations;
mod rate_limit;
mod readme;
mod retention;
mod review_runs;
mod reviews;
mod rosters;
mod scim_filters;
mod scim_idp;
mod scim_protocol;
mod service;
mod storage;
mod task_actions;
mod tls;
mod tokens;
mod training;
