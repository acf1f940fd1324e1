//! Cross-cutting HTTP concerns shared by every route: error rendering, request ids, metrics,
//! body limits, health checks; and the helpers SCIM, the admin API and the console share
//! (conditional requests, instants, JSON bodies, query strings, streamed exports, the
//! console's static files). The lowest wire module: it imports nothing from `auth`, `api`,
//! `console` or `scim`.

pub mod allowed_methods;
pub mod assets;
pub mod body_limit;
pub mod conditional;
pub mod errors;
pub mod health;
pub mod instant;
pub mod json;
pub mod metrics;
pub mod query;
pub mod request_id;
pub mod streaming;

use crate::store::Store;

/// What the HTTP edge itself needs (limits, metrics, health, allowed methods), registered as
/// app data of its own so that `http/` depends on nothing above it: not on the handlers'
/// `AppState`, which is built from the layers above.
#[derive(Debug)]
pub struct Edge {
    /// Checked by `/readyz`.
    pub store: Store,
    pub metrics: metrics::Metrics,
    /// SHA-256 of the configured metrics token; `None` disables `/metrics`.
    pub metrics_token_sha256: Option<[u8; 32]>,
    pub body_limit_bytes: usize,
    /// Largest evidence file accepted.
    pub evidence_limit_bytes: usize,
    /// Methods per known path, so a wrong method gets 405 rather than 404.
    pub allowed_methods: allowed_methods::AllowedMethods,
}
