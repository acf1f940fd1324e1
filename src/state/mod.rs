//! What every request handler can reach. Built once in `startup`; nothing here is global.
//! (The HTTP edge's own needs, limits and metrics, are `http::Edge`; the request guard's,
//! `auth::Authenticator`.) Handlers take a [`Caller`]: the authenticated principal with this
//! state.

mod caller;

pub use caller::Caller;

use crate::clock::SharedClock;
use crate::store::Store;
use crate::webhook::WebhookClient;

#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub clock: SharedClock,
    /// Base URL for absolute links (SCIM `meta.location`), without a trailing slash.
    pub public_url: String,
    /// The guarded outbound client: checks webhook URLs as they are registered.
    pub webhooks: WebhookClient,
    /// `mass_revocation_share` from the settings (see [`crate::config::Settings`]).
    pub mass_revocation_share: f64,
    /// `import_shrink_share` from the settings.
    pub import_shrink_share: f64,
    /// Wakes the delivery worker (a test event was queued).
    pub wake_delivery: std::sync::Arc<tokio::sync::Notify>,
    /// The deployment's audit signing key (checkpoints made for exports).
    pub audit_signer: std::sync::Arc<crate::domain::audit::checkpoint::AuditSigner>,
    /// Console sessions' idle timeout and absolute limit.
    pub session_limits: crate::domain::session::SessionLimits,
    /// The practices' identity providers for console sign-in (`[[console.oidc]]`).
    pub oidc: crate::auth::oidc::OidcClients,
}
