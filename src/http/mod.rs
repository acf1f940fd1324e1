//! Cross-cutting HTTP concerns shared by every route: error rendering, request ids, metrics,
//! body limits, health checks; and the helpers SCIM and the admin API share (conditional
//! requests, CSV). The lowest wire module: it imports nothing from `auth`, `api` or `scim`.

pub mod allowed_methods;
pub mod body_limit;
pub mod conditional;
pub mod csv;
pub mod errors;
pub mod health;
pub mod metrics;
pub mod request_id;
