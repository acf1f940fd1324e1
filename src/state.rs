//! What every request handler can reach. Built once in `startup`; nothing here is global.

use crate::auth::jwt::JwtVerifier;
use crate::auth::ratelimit::CredentialLimiter;
use crate::clock::SharedClock;
use crate::http::allowed_methods::AllowedMethods;
use crate::http::metrics::Metrics;
use crate::store::Store;
use crate::webhook::WebhookClient;

#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub clock: SharedClock,
    pub jwt: JwtVerifier,
    /// Shared with housekeeping, which forgets idle buckets.
    pub limiter: std::sync::Arc<CredentialLimiter>,
    pub metrics: Metrics,
    /// SHA-256 of the configured metrics token; `None` disables `/metrics`.
    pub metrics_token_sha256: Option<[u8; 32]>,
    pub body_limit_bytes: usize,
    /// Largest evidence file accepted.
    pub evidence_limit_bytes: usize,
    /// Methods per known path, so a wrong method gets 405 rather than 404.
    pub allowed_methods: AllowedMethods,
    /// Base URL for absolute links (SCIM `meta.location`), without a trailing slash.
    pub public_url: String,
    /// The guarded outbound client: checks webhook URLs as they are registered.
    pub webhooks: WebhookClient,
    /// Wakes the delivery worker (a test event was queued).
    pub wake_delivery: std::sync::Arc<tokio::sync::Notify>,
}
