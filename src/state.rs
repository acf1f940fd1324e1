//! What every request handler can reach. Built once in `startup`; nothing here is global.

use crate::auth::jwt::JwtVerifier;
use crate::auth::ratelimit::CredentialLimiter;
use crate::clock::SharedClock;
use crate::http::allowed_methods::AllowedMethods;
use crate::http::metrics::Metrics;
use crate::jobs::delivery::RetryPolicy;
use crate::store::Store;
use crate::webhook::WebhookClient;

#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub clock: SharedClock,
    pub jwt: JwtVerifier,
    pub limiter: CredentialLimiter,
    pub metrics: Metrics,
    /// SHA-256 of the configured metrics token; `None` disables `/metrics`.
    pub metrics_token_sha256: Option<[u8; 32]>,
    pub body_limit_bytes: usize,
    /// Largest evidence file accepted.
    pub evidence_limit_bytes: usize,
    /// How long a failed task waits before it is reopened.
    pub failed_task_reopen_after: chrono::Duration,
    /// Methods per known path, so a wrong method gets 405 rather than 404.
    pub allowed_methods: AllowedMethods,
    /// Base URL for absolute links (SCIM `meta.location`), without a trailing slash.
    pub public_url: String,
    pub alerting: Alerting,
}

/// What the sweeper and the webhook delivery worker need.
#[derive(Debug)]
pub struct Alerting {
    pub client: WebhookClient,
    pub sweep_interval: std::time::Duration,
    pub poll_interval: std::time::Duration,
    pub retry: RetryPolicy,
    /// How long a claimed delivery stays this instance's.
    pub lease: std::time::Duration,
    /// Rung when there is something to send now (the sweeper recorded alerts, a test event).
    pub wake_delivery: tokio::sync::Notify,
    /// One delivery pass at a time per instance, so a pass that starts waits for the previous
    /// one's sends to be recorded (instances still run side by side).
    pub delivery_pass: tokio::sync::Mutex<()>,
}
