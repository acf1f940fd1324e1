//! Trusted issuers of OAuth bearer JWTs: the `[jwt]` settings and the checks each
//! `[[jwt.issuers]]` entry must pass.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::humantime_serde_compat;
use crate::domain::practice::PracticeSlug;
use crate::domain::scope::Scopes;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    /// Trusted issuers of OAuth bearer JWTs (e.g. Microsoft Entra ID).
    pub issuers: Vec<IssuerConfig>,
    /// Allowed clock skew for `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
    /// How long fetched JWKS keys are trusted before a refresh.
    #[serde(with = "humantime_serde_compat")]
    pub jwks_cache_ttl: Duration,
    /// Least time between JWKS fetches caused by unknown key ids, so tokens with made-up `kid`s
    /// cannot make us flood the issuer.
    #[serde(with = "humantime_serde_compat")]
    pub jwks_min_refetch_interval: Duration,
}

/// One trusted issuer, as configured under `[[jwt.issuers]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// Exact `iss` value, e.g. `https://sts.windows.net/<tenant-id>/`.
    pub issuer: String,
    /// Accepted `aud` values; at least one.
    pub audience: Vec<String>,
    /// Shared secret for HS256 (at least 32 bytes). Exclusive with `jwks_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs256_secret: Option<String>,
    /// Where the issuer publishes its signing keys. Exclusive with `hs256_secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// The practice every token of this issuer acts for. Exclusive with `practice_claim`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practice: Option<String>,
    /// The claim naming the practice (e.g. `tid`); its value is looked up in `practice_map`, or,
    /// without a map, taken as the practice slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practice_claim: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub practice_map: BTreeMap<String, String>,
    /// Scopes tokens of this issuer may hold.
    pub scopes: Vec<String>,
    /// If set, the token's own scopes (space-separated string or array in this claim) are
    /// granted, limited to `scopes`. Otherwise every scope in `scopes` is granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_claim: Option<String>,
}

impl IssuerConfig {
    /// What is wrong with this issuer's settings, if anything (checked when settings load).
    pub(super) fn check(&self) -> Result<(), String> {
        let who = &self.issuer;
        if self.issuer.is_empty() {
            return Err("an issuer has an empty `issuer`".into());
        }
        if self.audience.is_empty() {
            return Err(format!("issuer {who}: `audience` needs at least one value"));
        }
        match (&self.hs256_secret, &self.jwks_url) {
            (Some(secret), None) if secret.len() < 32 => {
                return Err(format!(
                    "issuer {who}: `hs256_secret` must be at least 32 bytes"
                ));
            }
            (Some(_), None) => {}
            (None, Some(url)) if url.starts_with("https://") || url.starts_with("http://") => {}
            (None, Some(_)) => {
                return Err(format!("issuer {who}: `jwks_url` must be an http(s) URL"));
            }
            _ => {
                return Err(format!(
                    "issuer {who}: set exactly one of `hs256_secret` and `jwks_url`"
                ));
            }
        }
        match (&self.practice, &self.practice_claim) {
            (Some(slug), None) => {
                PracticeSlug::parse(slug).map_err(|e| format!("issuer {who}: {e}"))?;
            }
            (None, Some(_)) => {
                for slug in self.practice_map.values() {
                    PracticeSlug::parse(slug).map_err(|e| format!("issuer {who}: {e}"))?;
                }
            }
            _ => {
                return Err(format!(
                    "issuer {who}: set exactly one of `practice` and `practice_claim`"
                ));
            }
        }
        Scopes::parse(&self.scopes.join(" ")).map_err(|e| format!("issuer {who}: {e}"))?;
        Ok(())
    }
}
