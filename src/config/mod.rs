//! Typed configuration, loaded once at start-up and passed explicitly.
//!
//! Layers, later wins: built-in defaults → `portcullis.toml` (optional, or the file named by
//! `--config`) → `PORTCULLIS_*` environment variables. Nested keys use `__` in the environment,
//! e.g. `PORTCULLIS_RATE_LIMIT__PER_SECOND=50`.
//!
//! Here: the settings' types, the error that refuses them, and the values derived from them.
//! `defaults.rs` holds the built-in values; `load.rs` layers the sources and words what fails
//! to load; `validate.rs` checks what types alone cannot; `jwt.rs` holds the trusted JWT
//! issuers and their checks; `oidc.rs` the console's OpenID Connect providers; `show.rs` the
//! masked form `portcullis check-config` prints.

mod defaults;
mod jwt;
mod load;
mod oidc;
mod show;
mod validate;

#[cfg(test)]
mod example_tests;

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use load::describe_figment_error;
pub use load::unknown_environment_variables;

pub use jwt::{IssuerConfig, JwtSettings};
pub use oidc::OidcProviderConfig;

/// Everything the service can be told. Field names are the setting names users see in errors.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://FILE` (created if missing) or `postgres://…`.
    pub database_url: String,
    /// Largest number of pooled database connections; unset, see [`Settings::database_pool_size`].
    pub database_max_connections: Option<u32>,
    /// What sits between us and PostgreSQL: `none` (or a pooler in `session` mode, which is
    /// the same to us) or a pooler in `transaction` mode (PgBouncer's `pool_mode =
    /// transaction`), which lends a server session per transaction.
    pub database_pooler: DatabasePooler,
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
    /// The mass-revocation guard: a policy change that would open removal tasks for more than
    /// this share of the practice's recorded accounts (0 to 1; default 0.2, i.e. 20 %) is
    /// refused unless the request confirms the number (`PUT /policy?confirm_revocations=N`).
    pub mass_revocation_share: f64,
    /// The shrink guard of portal user-list imports: a commit that would mark more than this
    /// share of a portal's recorded accounts gone (0 to 1; default 0.2, i.e. 20 %) needs the
    /// number confirmed (`confirm_missing`), so a truncated file never mass-deletes.
    pub import_shrink_share: f64,
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
    pub audit: AuditSettings,
    pub console: ConsoleSettings,
    pub retention: RetentionSettings,
}

/// How long what Portcullis records is kept (the housekeeping loop prunes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Delivered, dead-lettered and cancelled webhook and e-mail deliveries (with their
    /// attempts) and the outbox events behind them are pruned once older than this
    /// (`PORTCULLIS_RETENTION__DELIVERIES`; at least 30 days).
    #[serde(with = "humantime_serde_compat")]
    pub deliveries: Duration,
    /// Audit records, tasks and evidence are never pruned before this age (HIPAA 164.316(b)(2):
    /// six years from creation, which is also the least this accepts).
    #[serde(with = "humantime_serde_compat")]
    pub audit: Duration,
}

impl RetentionSettings {
    /// Six years (of 365.25 days): the shortest `retention.audit` accepted.
    pub const AUDIT_MINIMUM: Duration = Duration::from_secs(6 * 31_557_600);
}

/// The web console (`/console`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// A session ends after this long without a request (HIPAA's automatic logoff;
    /// `PORTCULLIS_CONSOLE__SESSION_IDLE_TIMEOUT`).
    #[serde(with = "humantime_serde_compat")]
    pub session_idle_timeout: Duration,
    /// A session ends this long after sign-in, however active.
    #[serde(with = "humantime_serde_compat")]
    pub session_max_age: Duration,
    /// How long a sign-in link printed by `portcullis admin sign-in-link` stays valid unless
    /// `--ttl` says otherwise.
    #[serde(with = "humantime_serde_compat")]
    pub sign_in_link_ttl: Duration,
    /// Sign-in through a practice's own identity provider (`[[console.oidc]]`), one entry per
    /// practice. The provider proves the e-mail address; the role comes from Portcullis.
    #[serde(default)]
    pub oidc: Vec<OidcProviderConfig>,
}

impl ConsoleSettings {
    pub fn limits(&self) -> crate::domain::session::SessionLimits {
        let span = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        crate::domain::session::SessionLimits {
            idle: span(self.session_idle_timeout),
            max_age: span(self.session_max_age),
        }
    }
}

/// The audit trail's signed checkpoints.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// The deployment's Ed25519 signing key file (`PORTCULLIS_AUDIT__SIGNING_KEY`), created
    /// (mode 0600) on first start. Unset: `portcullis-audit.key` beside the SQLite database
    /// file, or in the working directory for PostgreSQL. Every instance of a deployment must
    /// use the same file.
    pub signing_key: Option<std::path::PathBuf>,
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

/// The connection pooler between the service and PostgreSQL ([`Settings::database_pooler`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatabasePooler {
    /// Straight to PostgreSQL: every pool connection is a server session of its own.
    None,
    /// A pooler that keeps each client connection on one server session for its whole life:
    /// to us the same as none.
    Session,
    /// A pooler that lends a server session for one transaction at a time: statements are
    /// not prepared by name and each runs in a transaction.
    Transaction,
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

/// Why the configuration was refused. Always names the setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {}", describe_figment_error(.0))]
    Load(Box<figment::Error>),
    /// A configuration file named on the command line or in `PORTCULLIS_CONFIG` that is not
    /// there: a typo must not silently run on defaults.
    #[error(
        "configuration: the file {} named by --config (or PORTCULLIS_CONFIG) does not exist",
        .0.display()
    )]
    MissingFile(std::path::PathBuf),
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

    /// Where the audit signing key lives: `audit.signing_key`, else `portcullis-audit.key`
    /// beside the SQLite database file (`sqlite://DIR/FILE…` gives `DIR/portcullis-audit.key`),
    /// else in the working directory.
    pub fn audit_signing_key_path(&self) -> std::path::PathBuf {
        const NAME: &str = "portcullis-audit.key";
        if let Some(path) = &self.audit.signing_key {
            return path.clone();
        }
        let file = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or_default())
            .filter(|file| !file.is_empty() && !file.starts_with(':'));
        match file.and_then(|file| std::path::Path::new(file).parent()) {
            Some(dir) => dir.join(NAME),
            None => std::path::PathBuf::from(NAME),
        }
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

/// Durations in configuration read as everywhere else (`"90s"`, `"1h"`, `"2d"`, `"PT30S"`;
/// see `domain::duration`), or as a number of seconds.
mod humantime_serde_compat {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// In the largest whole unit, as a user would write it (`90d`, not humantime's
    /// `2months 29days 2h 52m 48s`); years are humantime's 365.25 days.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        const UNITS: [(u64, &str); 5] = [
            (31_557_600, "years"),
            (86_400, "d"),
            (3_600, "h"),
            (60, "m"),
            (1, "s"),
        ];
        let text = match UNITS
            .iter()
            .find(|(seconds, _)| d.subsec_nanos() == 0 && d.as_secs().is_multiple_of(*seconds))
        {
            Some(_) if d.is_zero() => "0s".to_owned(),
            Some((seconds, unit)) => format!("{}{unit}", d.as_secs() / seconds),
            None => humantime::format_duration(*d).to_string(),
        };
        s.serialize_str(&text)
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
            Raw::Text(t) => crate::domain::duration::parse(&t)
                .map_err(D::Error::custom)?
                .to_std()
                .map_err(|_| D::Error::custom(format!("`{t}` is negative"))),
        }
    }
}
