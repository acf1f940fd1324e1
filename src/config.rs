//! Typed configuration, loaded once at start-up and passed explicitly.
//!
//! Layers, later wins: built-in defaults → `portcullis.toml` (optional, or the file named by
//! `--config`) → `PORTCULLIS_*` environment variables. Nested keys use `__` in the environment,
//! e.g. `PORTCULLIS_RATE_LIMIT__PER_SECOND=50`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::domain::practice::PracticeSlug;
use crate::domain::scope::Scopes;

/// Everything the service can be told. Field names are the setting names users see in errors.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://FILE` (created if missing) or `postgres://…`.
    pub database_url: String,
    /// Largest number of pooled database connections; unset, see [`Settings::database_pool_size`].
    pub database_max_connections: Option<u32>,
    /// How long an API token, once checked against the database, is trusted without checking
    /// again (`PORTCULLIS_AUTH_CACHE_TTL`; `0s` turns this off). A token revoked or an
    /// administrator changed through this instance is forgotten at once; through the CLI or
    /// another instance, within this time.
    #[serde(with = "humantime_serde_compat")]
    pub auth_cache_ttl: Duration,
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// Absolute base URL clients reach us at; used in SCIM `meta.location`. Defaults to
    /// `http://{listen}`.
    pub public_url: Option<String>,
    pub log: LogSettings,
    pub rate_limit: RateLimitSettings,
    /// Largest request body accepted, in bytes; larger bodies get 413.
    pub body_limit_bytes: usize,
    /// How long a failed task waits before it is reopened (e.g. `4h`).
    #[serde(with = "humantime_serde_compat")]
    pub failed_task_reopen_after: Duration,
    /// Largest evidence file (screenshot or PDF) accepted on a task, in bytes.
    pub evidence_limit_bytes: usize,
    /// Bearer token Prometheus presents on `GET /metrics`; metrics are not served without one.
    pub metrics_token: Option<String>,
    pub jwt: JwtSettings,
    /// Serve HTTPS directly (TLS 1.2+). Without it, terminate TLS at a proxy in front:
    /// identity providers only talk to HTTPS endpoints.
    pub tls: Option<TlsSettings>,
    /// A portal catalogue newer than the one built in (same format as `catalog/portals.toml`).
    pub catalog_file: Option<std::path::PathBuf>,
    /// How often the sweeper looks for reminders, overdue alerts, escalations and digests
    /// (`PORTCULLIS_SWEEP_INTERVAL`). An overdue alert leaves within one interval of `due_at`.
    #[serde(with = "humantime_serde_compat")]
    pub sweep_interval: Duration,
    /// How often the delivery worker looks for webhook deliveries that are due (it is also
    /// woken as soon as the sweeper records something).
    #[serde(with = "humantime_serde_compat")]
    pub webhook_poll_interval: Duration,
    /// Allow webhook URLs on loopback and private networks (`PORTCULLIS_WEBHOOK_ALLOW_PRIVATE`).
    /// Off by default: an admin must not be able to make the server call into its own network.
    pub webhook_allow_private: bool,
    /// How long one webhook attempt may take, connection included.
    #[serde(with = "humantime_serde_compat")]
    pub webhook_timeout: Duration,
    /// The first retry waits about this long; each next one twice as long (with jitter).
    #[serde(with = "humantime_serde_compat")]
    pub webhook_retry_base: Duration,
    /// The longest wait between two attempts.
    #[serde(with = "humantime_serde_compat")]
    pub webhook_retry_max: Duration,
    /// After this long without success a delivery is dead-lettered (and that is alerted).
    #[serde(with = "humantime_serde_compat")]
    pub webhook_give_up_after: Duration,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// PEM certificate chain, leaf first.
    pub cert_file: std::path::PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: std::path::PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// A `tracing` filter directive, e.g. `info` or `portcullis=debug,sqlx=warn`.
    pub level: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Quota per credential (API token or JWT subject), not per IP: IdPs call from shared ranges.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Sustained requests per second per credential. Entra asks for at least 25.
    pub per_second: u32,
    /// Requests a credential may make in a burst above the sustained rate.
    pub burst: u32,
}

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
    fn check(&self) -> Result<(), String> {
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

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://portcullis.db?mode=rwc".to_owned(),
            database_max_connections: None,
            auth_cache_ttl: Duration::from_secs(1),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            log: LogSettings {
                level: "info".to_owned(),
                format: LogFormat::Pretty,
            },
            rate_limit: RateLimitSettings {
                per_second: 100,
                burst: 200,
            },
            body_limit_bytes: 1024 * 1024,
            evidence_limit_bytes: 10 * 1024 * 1024,
            failed_task_reopen_after: Duration::from_secs(4 * 3600),
            metrics_token: None,
            jwt: JwtSettings {
                issuers: Vec::new(),
                leeway_seconds: 60,
                jwks_cache_ttl: Duration::from_secs(3600),
                jwks_min_refetch_interval: Duration::from_secs(10),
            },
            tls: None,
            catalog_file: None,
            sweep_interval: Duration::from_secs(15),
            webhook_poll_interval: Duration::from_secs(2),
            webhook_allow_private: false,
            webhook_timeout: Duration::from_secs(10),
            webhook_retry_base: Duration::from_secs(10),
            webhook_retry_max: Duration::from_secs(3600),
            webhook_give_up_after: Duration::from_secs(24 * 3600),
        }
    }
}

/// Why the configuration was refused. Always names the setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {}", describe_figment_error(.0))]
    Load(Box<figment::Error>),
    #[error("configuration: setting `{setting}`: {reason}")]
    Invalid {
        setting: &'static str,
        reason: String,
    },
}

impl Settings {
    /// The pool size: `database_max_connections` when set. Otherwise PostgreSQL gets 10; SQLite
    /// one per CPU core this process may use (2 to 8): SQLite runs inside the process, each
    /// connection on its own driver thread, so connections beyond the cores only add thread
    /// switches (on one core, 10 connections served 11% fewer lookups than 2), and its writes
    /// take one connection at a time anyway.
    pub fn database_pool_size(&self) -> u32 {
        if let Some(size) = self.database_max_connections {
            return size;
        }
        if self.database_url.starts_with("sqlite:") {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            cores.clamp(2, 8) as u32
        } else {
            10
        }
    }

    /// Loads defaults → `file` (if it exists) → `PORTCULLIS_*` environment, then checks values that
    /// types alone cannot.
    pub fn load(file: &Path) -> Result<Self, ConfigError> {
        Self::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Toml::file(file))
                .merge(Env::prefixed("PORTCULLIS_").split("__")),
        )
    }

    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError::Load(Box::new(e)))?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |setting, reason: &str| ConfigError::Invalid {
            setting,
            reason: reason.to_owned(),
        };
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database_url",
                "must start with sqlite: or postgres://",
            ));
        }
        // A write transaction holds one connection while reads beside it (names for an
        // alert, the lock-free checks of the next request) need another.
        if self.database_max_connections.is_some_and(|n| n < 2) {
            return Err(invalid("database_max_connections", "must be at least 2"));
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(invalid(
                "public_url",
                "must be an absolute http:// or https:// URL",
            ));
        }
        if self.rate_limit.per_second == 0 {
            return Err(invalid("rate_limit.per_second", "must be at least 1"));
        }
        if self.body_limit_bytes < 1024 {
            return Err(invalid("body_limit_bytes", "must be at least 1024"));
        }
        if self
            .log
            .level
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            return Err(invalid("log.level", "is not a valid tracing filter"));
        }
        if matches!(&self.metrics_token, Some(t) if t.len() < 16) {
            return Err(invalid("metrics_token", "must be at least 16 characters"));
        }
        if self.auth_cache_ttl > Duration::from_secs(60) {
            return Err(invalid("auth_cache_ttl", "must be at most 60s"));
        }
        if self.sweep_interval < Duration::from_millis(100) {
            return Err(invalid("sweep_interval", "must be at least 100ms"));
        }
        if self.webhook_poll_interval < Duration::from_millis(100) {
            return Err(invalid("webhook_poll_interval", "must be at least 100ms"));
        }
        if self.webhook_timeout < Duration::from_secs(1)
            || self.webhook_timeout > Duration::from_secs(60)
        {
            return Err(invalid("webhook_timeout", "must be between 1s and 60s"));
        }
        if self.webhook_retry_base.is_zero() || self.webhook_retry_base > self.webhook_retry_max {
            return Err(invalid(
                "webhook_retry_base",
                "must be more than zero and at most webhook_retry_max",
            ));
        }
        if self.webhook_retry_max > Duration::from_secs(24 * 3600) {
            return Err(invalid("webhook_retry_max", "must be at most 24h"));
        }
        if self.webhook_give_up_after < self.webhook_retry_base
            || self.webhook_give_up_after > Duration::from_secs(30 * 24 * 3600)
        {
            return Err(invalid(
                "webhook_give_up_after",
                "must be at least webhook_retry_base and at most 30 days",
            ));
        }
        for issuer in &self.jwt.issuers {
            issuer
                .check()
                .map_err(|reason| invalid("jwt.issuers", &reason))?;
        }
        Ok(())
    }

    /// The base URL clients use, without a trailing slash: `public_url` if set, otherwise the
    /// address the server actually bound (which differs from `listen` for port 0).
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("{scheme}://{bound}"),
        }
    }
}

/// `setting `rate_limit.per_second` (from PORTCULLIS_RATE_LIMIT__PER_SECOND): invalid …`, one
/// line per problem, so the user sees which setting to fix and where it came from.
fn describe_figment_error(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|e| {
            let setting = e.path.join(".");
            let source = e
                .metadata
                .as_ref()
                .map(|m| match &m.source {
                    Some(source) => format!(" (from {source})"),
                    None => format!(" (from {})", m.name),
                })
                .unwrap_or_default();
            if setting.is_empty() {
                format!("{}{source}", e.kind)
            } else {
                format!("setting `{setting}`{source}: {}", e.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Durations in configuration read as `"90s"`, `"1h"`, or a number of seconds.
mod humantime_serde_compat {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Seconds(s) => Ok(Duration::from_secs(s)),
            Raw::Text(t) => humantime::parse_duration(&t).map_err(D::Error::custom),
        }
    }
}
