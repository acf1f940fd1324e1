//! The console's OpenID Connect sign-in: one `[[console.oidc]]` entry per practice that signs
//! its administrators in through its own identity provider (Okta, Entra ID, any certified
//! provider), and the checks each entry must pass.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::practice::PracticeSlug;

/// One practice's identity provider for console sign-in.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderConfig {
    /// The practice whose administrators sign in through this provider (its slug).
    pub practice: String,
    /// The provider's issuer URL exactly as its discovery document states it, e.g.
    /// `https://acme.okta.com` or `https://login.microsoftonline.com/<tenant>/v2.0`.
    /// `/.well-known/openid-configuration` below it is read for the endpoints and keys.
    pub issuer: String,
    /// The client (application) id registered at the provider for Portcullis.
    pub client_id: String,
    /// The client secret. Exclusive with `client_secret_env`.
    #[serde(default, skip_serializing)]
    pub client_secret: Option<String>,
    /// The environment variable holding the client secret, so it need not sit in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_env: Option<String>,
    /// The claim holding the administrator's e-mail address (`email` by default; Entra ID
    /// work accounts often carry it in `preferred_username` or `upn`).
    #[serde(default = "default_email_claim")]
    pub email_claim: String,
    /// Refuse a sign-in unless the provider says the address is verified (`email_verified:
    /// true`). On by default; turn it off only for a provider that never sends the claim and
    /// whose addresses the organization itself assigns (Entra ID work accounts).
    #[serde(default = "default_true")]
    pub require_verified_email: bool,
    /// What the sign-in button says after "Sign in with" (default: the issuer's host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

fn default_email_claim() -> String {
    "email".to_owned()
}

fn default_true() -> bool {
    true
}

/// Never prints the secret.
impl fmt::Debug for OidcProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProviderConfig")
            .field("practice", &self.practice)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field("client_secret_env", &self.client_secret_env)
            .field("email_claim", &self.email_claim)
            .field("require_verified_email", &self.require_verified_email)
            .field("label", &self.label)
            .finish()
    }
}

impl OidcProviderConfig {
    /// The client secret, from the file or the named environment variable.
    pub fn secret(&self) -> Option<String> {
        match (&self.client_secret, &self.client_secret_env) {
            (Some(secret), _) => Some(secret.clone()),
            (None, Some(var)) => std::env::var(var).ok().filter(|s| !s.is_empty()),
            (None, None) => None,
        }
    }

    /// The words on the sign-in button after "Sign in with".
    pub fn label(&self) -> String {
        self.label.clone().unwrap_or_else(|| {
            let rest = self
                .issuer
                .split_once("://")
                .map_or(self.issuer.as_str(), |(_, rest)| rest);
            rest.split('/').next().unwrap_or(rest).to_owned()
        })
    }

    /// What is wrong with this entry, if anything (checked when settings load).
    pub(super) fn check(&self) -> Result<(), String> {
        let who = format!("practice {}", self.practice);
        PracticeSlug::parse(&self.practice).map_err(|e| format!("{who}: {e}"))?;
        let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
            .iter()
            .any(|prefix| self.issuer.starts_with(prefix));
        if !(self.issuer.starts_with("https://") || loopback) {
            return Err(format!(
                "{who}: `issuer` must be an https:// URL (plain http only on loopback, for \
                 testing), not `{}`",
                self.issuer
            ));
        }
        if self.client_id.is_empty() {
            return Err(format!("{who}: `client_id` is empty"));
        }
        if self.email_claim.is_empty() {
            return Err(format!("{who}: `email_claim` is empty"));
        }
        match (&self.client_secret, &self.client_secret_env) {
            (Some(secret), None) if secret.is_empty() => {
                Err(format!("{who}: `client_secret` is empty"))
            }
            (Some(_), None) => Ok(()),
            (None, Some(var)) if self.secret().is_none() => Err(format!(
                "{who}: the environment variable {var} named by `client_secret_env` is not set"
            )),
            (None, Some(_)) => Ok(()),
            _ => Err(format!(
                "{who}: set exactly one of `client_secret` and `client_secret_env`"
            )),
        }
    }
}
