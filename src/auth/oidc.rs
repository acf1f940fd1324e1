//! The console's OpenID Connect relying party: signing an administrator in through their
//! practice's own identity provider (`[[console.oidc]]`).
//!
//! Authorization code flow with PKCE (S256), `state` and `nonce` (OpenID Connect Core 1.0 §3.1,
//! RFC 7636). The provider's endpoints and keys come from its discovery document, fetched on
//! first use (so the service starts while a provider is down) and again after
//! `jwt.jwks_cache_ttl`. The ID token is checked here: signature against the provider's JWKS
//! (RS256 or ES256 only, chosen by us, never by the token), `iss`, `aud` (and `azp` when there
//! are several audiences), `exp` and `iat` against the injected clock, and `nonce`. The e-mail
//! comes from the configured claim of the ID token, else from the UserInfo endpoint (whose
//! `sub` must match). The address must be verified (`email_verified`), unless the practice's
//! settings say its provider's addresses are assigned by the organization.
//!
//! What this proves is an e-mail address; who that is in a practice, and with which role, is
//! Portcullis's own record (the console's sign-in handler looks it up).

use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, Validation};
use rand::RngCore;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use super::jwks::{JwksCache, JwksTiming};
use crate::config::{JwtSettings, OidcProviderConfig};

/// The ID token signatures accepted.
const ALGORITHMS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// Why a sign-in through a provider failed. Shown to the person signing in (never a secret or
/// a token), and logged.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider's discovery document could not be read: {0}")]
    Discovery(String),
    #[error("the identity provider did not accept the sign-in code: {0}")]
    Token(String),
    #[error("the identity provider's ID token is not valid: {0}")]
    IdToken(String),
    #[error("the identity provider did not say the e-mail address (claim `{0}`)")]
    NoEmail(String),
    #[error("the identity provider says this e-mail address is not verified")]
    EmailNotVerified,
    #[error(
        "the identity provider does not say whether this e-mail address is verified (no \
         `email_verified`); its operator can set require_verified_email = false for a \
         provider whose addresses the organization assigns"
    )]
    EmailVerificationUnknown,
}

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct OidcIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: String,
}

/// Where to send the browser, and what its return must match (kept server side).
#[derive(Debug)]
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub code_verifier: String,
}

/// The configured providers, one per practice.
#[derive(Debug, Default)]
pub struct OidcClients {
    clients: Vec<OidcClient>,
}

impl OidcClients {
    pub fn new(configs: &[OidcProviderConfig], jwt: &JwtSettings, http: reqwest::Client) -> Self {
        let clients = configs
            .iter()
            .map(|config| OidcClient {
                secret: config.secret().unwrap_or_default(),
                config: config.clone(),
                http: http.clone(),
                timing: JwksTiming {
                    ttl: jwt.jwks_cache_ttl,
                    min_refetch_interval: jwt.jwks_min_refetch_interval,
                },
                leeway_seconds: i64::try_from(jwt.leeway_seconds).unwrap_or(60),
                discovered: RwLock::new(None),
            })
            .collect();
        Self { clients }
    }

    /// The provider a practice signs in through, by its slug.
    pub fn for_practice(&self, slug: &str) -> Option<&OidcClient> {
        self.clients.iter().find(|c| c.config.practice == slug)
    }

    pub fn all(&self) -> impl Iterator<Item = &OidcClient> {
        self.clients.iter()
    }
}

/// One practice's provider.
pub struct OidcClient {
    config: OidcProviderConfig,
    secret: String,
    http: reqwest::Client,
    timing: JwksTiming,
    leeway_seconds: i64,
    discovered: RwLock<Option<Arc<Discovered>>>,
}

impl std::fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The parts of a discovery document we use (OpenID Connect Discovery 1.0 §3).
#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    userinfo_endpoint: Option<String>,
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// RFC 9207: the provider names itself in the redirect back (`iss`), against mix-up.
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

#[derive(Debug)]
struct Discovered {
    doc: Discovery,
    keys: JwksCache,
    fetched_at: Instant,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
    access_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenError {
    error: String,
    error_description: Option<String>,
}

/// 32 random bytes, base64url: a `state`, `nonce` or PKCE verifier (43 characters).
fn random_text() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// RFC 7636 §4.2: `S256` challenge of a verifier.
fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl OidcClient {
    pub fn practice(&self) -> &str {
        &self.config.practice
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// The words after "Sign in with" on the button.
    pub fn label(&self) -> String {
        self.config.label()
    }

    async fn discovered(&self) -> Result<Arc<Discovered>, OidcError> {
        if let Some(found) = self.discovered.read().await.as_ref()
            && found.fetched_at.elapsed() < self.timing.ttl
        {
            return Ok(found.clone());
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let failed = |e: reqwest::Error| OidcError::Discovery(e.without_url().to_string());
        let doc: Discovery = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)?;
        // Discovery §4.3: the document must name the issuer we asked.
        if doc.issuer != self.config.issuer {
            return Err(OidcError::Discovery(format!(
                "it names the issuer `{}`, not the configured `{}`",
                doc.issuer, self.config.issuer
            )));
        }
        let found = Arc::new(Discovered {
            keys: JwksCache::new(doc.jwks_uri.clone(), &self.timing, self.http.clone()),
            doc,
            fetched_at: Instant::now(),
        });
        *self.discovered.write().await = Some(found.clone());
        Ok(found)
    }

    /// Where to send the browser to sign in, with fresh `state`, `nonce` and PKCE verifier.
    pub async fn authorization(&self, redirect_uri: &str) -> Result<Authorization, OidcError> {
        let discovered = self.discovered().await?;
        let state = random_text();
        let nonce = random_text();
        let code_verifier = random_text();
        let mut url = url::Url::parse(&discovered.doc.authorization_endpoint)
            .map_err(|e| OidcError::Discovery(format!("authorization_endpoint: {e}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "openid email")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &pkce_challenge(&code_verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(Authorization {
            url: url.into(),
            state,
            nonce,
            code_verifier,
        })
    }

    /// RFC 9207: when the redirect back names an issuer it must be ours; when the provider
    /// promises to name it, it must be there.
    pub async fn check_response_issuer(&self, iss: Option<&str>) -> Result<(), OidcError> {
        let discovered = self.discovered().await?;
        match iss {
            Some(iss) if iss != self.config.issuer => Err(OidcError::IdToken(format!(
                "the answer came from `{iss}`, not `{}`",
                self.config.issuer
            ))),
            None if discovered
                .doc
                .authorization_response_iss_parameter_supported =>
            {
                Err(OidcError::IdToken(
                    "the answer does not name its issuer".into(),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Redeems the code (with the PKCE verifier), checks the ID token and finds the e-mail.
    pub async fn redeem(
        &self,
        code: &str,
        code_verifier: &str,
        nonce: &str,
        redirect_uri: &str,
        now: DateTime<Utc>,
    ) -> Result<OidcIdentity, OidcError> {
        let discovered = self.discovered().await?;
        let tokens = self
            .exchange(&discovered.doc, code, code_verifier, redirect_uri)
            .await?;
        let id_token = tokens
            .id_token
            .ok_or_else(|| OidcError::Token("its answer has no id_token".into()))?;
        let claims = self
            .verified_claims(&discovered, &id_token, nonce, now)
            .await?;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(|| OidcError::IdToken("`sub` is not a string".into()))?
            .to_owned();
        let claims = match claims.get(&self.config.email_claim) {
            Some(_) => claims,
            None => {
                self.userinfo(&discovered.doc, tokens.access_token.as_deref(), &subject)
                    .await?
            }
        };
        // Some providers send the flag as a string.
        let verified = match claims.get("email_verified") {
            Some(Value::Bool(flag)) => Some(*flag),
            Some(Value::String(text)) => Some(text == "true"),
            _ => None,
        };
        match verified {
            Some(false) => return Err(OidcError::EmailNotVerified),
            None if self.config.require_verified_email => {
                return Err(OidcError::EmailVerificationUnknown);
            }
            _ => {}
        }
        let email = claims
            .get(&self.config.email_claim)
            .and_then(Value::as_str)
            .filter(|e| e.contains('@'))
            .ok_or_else(|| OidcError::NoEmail(self.config.email_claim.clone()))?
            .to_owned();
        Ok(OidcIdentity {
            issuer: self.config.issuer.clone(),
            subject,
            email,
        })
    }

    /// The token request (RFC 6749 §4.1.3), authenticated as the provider prefers:
    /// `client_secret_basic` unless it only offers `client_secret_post`.
    async fn exchange(
        &self,
        doc: &Discovery,
        code: &str,
        code_verifier: &str,
        redirect_uri: &str,
    ) -> Result<TokenResponse, OidcError> {
        let post_only = doc
            .token_endpoint_auth_methods_supported
            .as_ref()
            .is_some_and(|m| {
                !m.iter().any(|m| m == "client_secret_basic")
                    && m.iter().any(|m| m == "client_secret_post")
            });
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", code_verifier),
        ];
        let mut request = self.http.post(&doc.token_endpoint);
        if post_only {
            form.push(("client_id", &self.config.client_id));
            form.push(("client_secret", &self.secret));
        } else {
            // RFC 6749 §2.3.1: both parts form-encoded before Basic.
            let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            let id: String = encode(&self.config.client_id);
            let secret: String = encode(&self.secret);
            request = request.basic_auth(id, Some(secret));
        }
        let response = request
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| OidcError::Token(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| OidcError::Token(e.without_url().to_string()))?;
        if !status.is_success() {
            let reason = serde_json::from_slice::<TokenError>(&body).map_or_else(
                |_| format!("HTTP {status}"),
                |e| match e.error_description {
                    Some(d) => format!("{} ({d})", e.error),
                    None => e.error,
                },
            );
            return Err(OidcError::Token(reason));
        }
        serde_json::from_slice(&body).map_err(|e| OidcError::Token(e.to_string()))
    }

    async fn verified_claims(
        &self,
        discovered: &Discovered,
        id_token: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Value, OidcError> {
        let invalid = |reason: String| OidcError::IdToken(reason);
        let header = jsonwebtoken::decode_header(id_token)
            .map_err(|_| invalid("it is not a well-formed JWT".into()))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let key = discovered
            .keys
            .key(header.kid.as_deref(), header.alg)
            .await
            .map_err(|e| invalid(e.to_string()))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.client_id]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // Times are checked below against the injected clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let claims: Value = jsonwebtoken::decode(id_token, &key, &validation)
            .map_err(|e| invalid(e.to_string()))?
            .claims;
        let timestamp = |name| claims.get(name).and_then(Value::as_i64);
        let exp = timestamp("exp").ok_or_else(|| invalid("`exp` is not a number".into()))?;
        if now.timestamp() >= exp + self.leeway_seconds {
            return Err(invalid("it has expired".into()));
        }
        let iat = timestamp("iat").ok_or_else(|| invalid("`iat` is not a number".into()))?;
        if iat > now.timestamp() + self.leeway_seconds {
            return Err(invalid("it was issued in the future".into()));
        }
        // Core §3.1.3.7: with several audiences, `azp` must be us.
        let several_audiences = claims
            .get("aud")
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() > 1);
        if several_audiences
            && claims.get("azp").and_then(Value::as_str) != Some(self.config.client_id.as_str())
        {
            return Err(invalid("`azp` is not this client".into()));
        }
        if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
            return Err(invalid(
                "its `nonce` is not the one this sign-in sent".into(),
            ));
        }
        Ok(claims)
    }

    /// The UserInfo claims (Core §5.3), when the ID token does not carry the e-mail.
    async fn userinfo(
        &self,
        doc: &Discovery,
        access_token: Option<&str>,
        subject: &str,
    ) -> Result<Value, OidcError> {
        let missing = || OidcError::NoEmail(self.config.email_claim.clone());
        let (Some(endpoint), Some(token)) = (&doc.userinfo_endpoint, access_token) else {
            return Err(missing());
        };
        let failed = |e: reqwest::Error| OidcError::Token(e.without_url().to_string());
        let claims: Value = self
            .http
            .get(endpoint)
            .bearer_auth(token)
            .header("accept", "application/json")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)?;
        // Core §5.3.2: the UserInfo `sub` must be the ID token's, or the answer is not used.
        if claims.get("sub").and_then(Value::as_str) != Some(subject) {
            return Err(OidcError::IdToken(
                "the UserInfo answer is about another subject".into(),
            ));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    #[test]
    fn pkce_challenge_matches_the_rfc_example() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn random_text_is_43_url_safe_characters() {
        let text = random_text();
        assert_eq!(text.len(), 43);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(text, random_text());
    }
}
