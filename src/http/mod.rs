//! Cross-cutting HTTP concerns shared by every route: error rendering, request ids, metrics,
//! body limits, health checks.

pub mod allowed_methods;
pub mod body_limit;
pub mod errors;
pub mod health;
pub mod metrics;
pub mod request_id;
