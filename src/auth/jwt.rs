//! OAuth bearer JWTs from configured issuers (e.g. Microsoft Entra ID, which sends its own JWT
//! when no secret token is set on the enterprise app).
//!
//! Each issuer has exactly one key source: an HS256 shared secret, or a JWKS URL whose keys are
//! cached and refetched when a token names an unknown `kid`. The algorithms accepted follow from
//! the key source, never from the token: HS256 for a secret, RS256/ES256 for JWKS, so a token
//! cannot pick `none` or sign with the public key as an HMAC secret (algorithm confusion).
//! `exp` and `nbf` are checked against the injected clock, not the system clock.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::jwks::{JwksCache, JwksTiming, KeyError};
use crate::config::{IssuerConfig, JwtSettings};
use crate::domain::practice::PracticeSlug;
use crate::domain::scope::{Scope, Scopes};

/// The algorithms an issuer's tokens may use, from its key source, never from the token.
fn algorithms(config: &IssuerConfig) -> &'static [Algorithm] {
    if config.hs256_secret.is_some() {
        &[Algorithm::HS256]
    } else {
        &[Algorithm::RS256, Algorithm::ES256]
    }
}

/// Who a verified JWT says it is.
#[derive(Debug, Clone)]
pub struct JwtIdentity {
    pub issuer: String,
    pub subject: String,
    pub practice: PracticeSlug,
    pub scopes: Scopes,
}

/// Why a JWT was refused. The detail goes to the log and, generically, to the client.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's issuer is not trusted")]
    UnknownIssuer,
    #[error("algorithm {0:?} is not accepted for this issuer")]
    AlgorithmNotAllowed(Algorithm),
    #[error("no signing key matches the token's key id")]
    UnknownKey,
    #[error("the signing keys could not be fetched: {0}")]
    KeysUnavailable(String),
    #[error("the token failed validation: {0}")]
    Invalid(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token does not name a practice this issuer may act for")]
    NoPractice,
    #[error("the token grants none of the scopes this issuer may hold")]
    NoScopes,
}

impl From<KeyError> for JwtError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::AlgorithmNotAllowed(alg) => JwtError::AlgorithmNotAllowed(alg),
            KeyError::UnknownKey => JwtError::UnknownKey,
            KeyError::Unavailable(why) => JwtError::KeysUnavailable(why),
        }
    }
}

/// Verifies JWTs against the configured issuers.
#[derive(Debug)]
pub struct JwtVerifier {
    issuers: Vec<Issuer>,
    leeway: chrono::Duration,
}

#[derive(Debug)]
struct Issuer {
    config: IssuerConfig,
    keys: KeySource,
}

#[derive(Debug)]
enum KeySource {
    Secret(DecodingKey),
    Jwks(JwksCache),
}

impl JwtVerifier {
    pub fn new(settings: &JwtSettings, http: reqwest::Client) -> Self {
        let timing = JwksTiming {
            ttl: settings.jwks_cache_ttl,
            min_refetch_interval: settings.jwks_min_refetch_interval,
        };
        let configs = &settings.issuers;
        let leeway_seconds = settings.leeway_seconds;
        let issuers = configs
            .iter()
            .map(|config| Issuer {
                keys: match (&config.hs256_secret, &config.jwks_url) {
                    (Some(secret), _) => {
                        KeySource::Secret(DecodingKey::from_secret(secret.as_bytes()))
                    }
                    (None, url) => KeySource::Jwks(JwksCache::new(
                        url.clone().unwrap_or_default(),
                        &timing,
                        http.clone(),
                    )),
                },
                config: config.clone(),
            })
            .collect();
        Self {
            issuers,
            leeway: chrono::Duration::seconds(i64::try_from(leeway_seconds).unwrap_or(60)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.issuers.is_empty()
    }

    pub async fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<JwtIdentity, JwtError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| JwtError::Malformed)?;
        let unverified: Value = jsonwebtoken::dangerous::insecure_decode_claims(token)
            .map_err(|_| JwtError::Malformed)?;
        let iss = unverified.get("iss").and_then(Value::as_str);
        let issuer = self
            .issuers
            .iter()
            .find(|i| Some(i.config.issuer.as_str()) == iss)
            .ok_or(JwtError::UnknownIssuer)?;
        if !algorithms(&issuer.config).contains(&header.alg) {
            return Err(JwtError::AlgorithmNotAllowed(header.alg));
        }
        let key = match &issuer.keys {
            KeySource::Secret(key) => key.clone(),
            KeySource::Jwks(cache) => cache.key(header.kid.as_deref(), header.alg).await?,
        };
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&issuer.config.issuer]);
        validation.set_audience(&issuer.config.audience);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Time claims are checked below against the injected clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let claims: Value = jsonwebtoken::decode(token, &key, &validation)
            .map_err(|e| JwtError::Invalid(e.to_string()))?
            .claims;

        let timestamp = |name| claims.get(name).and_then(Value::as_i64);
        let exp =
            timestamp("exp").ok_or_else(|| JwtError::Invalid("exp is not a number".into()))?;
        if now.timestamp() >= exp + self.leeway.num_seconds() {
            return Err(JwtError::Expired);
        }
        if let Some(nbf) = timestamp("nbf")
            && now.timestamp() + self.leeway.num_seconds() < nbf
        {
            return Err(JwtError::NotYetValid);
        }
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or_else(|| JwtError::Invalid("sub is not a string".into()))?
            .to_owned();
        Ok(JwtIdentity {
            issuer: issuer.config.issuer.clone(),
            subject,
            practice: practice_of(&issuer.config, &claims)?,
            scopes: scopes_of(&issuer.config, &claims)?,
        })
    }
}

fn practice_of(config: &IssuerConfig, claims: &Value) -> Result<PracticeSlug, JwtError> {
    let slug = match (&config.practice, &config.practice_claim) {
        (Some(fixed), _) => Some(fixed.as_str()),
        (None, Some(claim)) => {
            let value = claims.get(claim).and_then(Value::as_str);
            if config.practice_map.is_empty() {
                value
            } else {
                value
                    .and_then(|v| config.practice_map.get(v))
                    .map(String::as_str)
            }
        }
        (None, None) => None,
    };
    slug.and_then(|s| PracticeSlug::parse(s).ok())
        .ok_or(JwtError::NoPractice)
}

fn scopes_of(config: &IssuerConfig, claims: &Value) -> Result<Scopes, JwtError> {
    let allowed: Vec<Scope> = config
        .scopes
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let granted: Vec<Scope> = match &config.scopes_claim {
        None => allowed,
        Some(claim) => {
            let words: Vec<&str> = match claims.get(claim) {
                Some(Value::String(s)) => s.split_whitespace().collect(),
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            words
                .into_iter()
                .filter_map(|w| w.parse::<Scope>().ok())
                .filter(|s| allowed.contains(s))
                .collect()
        }
    };
    Scopes::from_set(granted.into_iter().collect()).map_err(|_| JwtError::NoScopes)
}
