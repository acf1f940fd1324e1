//! An issuer's published signing keys (JWKS), cached: refetched after a time, or when a
//! token names a key id we have not seen (at most once per `min_refetch_interval`, so tokens
//! with made-up `kid`s cannot make us flood the issuer). Used for bearer JWTs and for the
//! console's OpenID Connect ID tokens.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::{Mutex, RwLock};

/// Why no key could be had for a token.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("algorithm {0:?} is not accepted for this key")]
    AlgorithmNotAllowed(Algorithm),
    #[error("no signing key matches the token's key id")]
    UnknownKey,
    #[error("the signing keys could not be fetched: {0}")]
    Unavailable(String),
}

#[derive(Debug)]
pub(crate) struct JwksTiming {
    pub(crate) ttl: Duration,
    pub(crate) min_refetch_interval: Duration,
}

#[derive(Debug)]
pub(crate) struct JwksCache {
    url: String,
    ttl: Duration,
    min_refetch_interval: Duration,
    http: reqwest::Client,
    keys: RwLock<Option<FetchedKeys>>,
    /// Serialises fetches so concurrent misses cause one request.
    fetching: Mutex<()>,
}

#[derive(Debug, Clone)]
struct FetchedKeys {
    by_kid: HashMap<String, (DecodingKey, Option<Algorithm>)>,
    fetched_at: Instant,
}

impl JwksCache {
    pub(crate) fn new(url: String, timing: &JwksTiming, http: reqwest::Client) -> Self {
        Self {
            url,
            ttl: timing.ttl,
            min_refetch_interval: timing.min_refetch_interval,
            http,
            keys: RwLock::new(None),
            fetching: Mutex::new(()),
        }
    }

    pub(crate) async fn key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<DecodingKey, KeyError> {
        if let Some(found) = self.lookup(kid, alg, false).await? {
            return Ok(found);
        }
        let _guard = self.fetching.lock().await;
        // Another request may have fetched while we waited.
        if let Some(found) = self.lookup(kid, alg, true).await? {
            return Ok(found);
        }
        let recently = self
            .keys
            .read()
            .await
            .as_ref()
            .is_some_and(|k| k.fetched_at.elapsed() < self.min_refetch_interval);
        if !recently {
            let fetched = self.fetch().await?;
            *self.keys.write().await = Some(fetched);
        }
        self.lookup(kid, alg, true)
            .await?
            .ok_or(KeyError::UnknownKey)
    }

    /// A cached key for `kid`, if the cache is fresh (or `accept_stale`).
    async fn lookup(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        accept_stale: bool,
    ) -> Result<Option<DecodingKey>, KeyError> {
        let keys = self.keys.read().await;
        let Some(keys) = keys.as_ref() else {
            return Ok(None);
        };
        if !accept_stale && keys.fetched_at.elapsed() >= self.ttl {
            return Ok(None);
        }
        let entry = match kid {
            Some(kid) => keys.by_kid.get(kid),
            // Without a kid, only an unambiguous single-key set will do.
            None if keys.by_kid.len() == 1 => keys.by_kid.values().next(),
            None => return Err(KeyError::UnknownKey),
        };
        match entry {
            Some((_, Some(key_alg))) if *key_alg != alg => Err(KeyError::AlgorithmNotAllowed(alg)),
            Some((key, _)) => Ok(Some(key.clone())),
            None => Ok(None),
        }
    }

    async fn fetch(&self) -> Result<FetchedKeys, KeyError> {
        let unavailable = |e: reqwest::Error| KeyError::Unavailable(e.to_string());
        let set: JwkSet = self
            .http
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        let by_kid = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let key = DecodingKey::from_jwk(jwk).ok()?;
                let alg = match jwk.common.key_algorithm {
                    Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
                    Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
                    Some(_) => return None,
                    None => None,
                };
                Some((kid, (key, alg)))
            })
            .collect();
        Ok(FetchedKeys {
            by_kid,
            fetched_at: Instant::now(),
        })
    }
}
