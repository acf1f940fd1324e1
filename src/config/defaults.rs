//! The built-in values: the first layer, which `portcullis.toml` and the environment override.

use std::net::SocketAddr;
use std::time::Duration;

use super::{
    AuditSettings, ConsoleSettings, DatabasePooler, JwtSettings, LogFormat, LogSettings,
    RateLimitSettings, RetentionSettings, Settings,
};

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://portcullis.db?mode=rwc".to_owned(),
            database_max_connections: None,
            database_pooler: DatabasePooler::None,
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
            mass_revocation_share: 0.2,
            import_shrink_share: 0.2,
            webhook_timeout: Duration::from_secs(10),
            webhook_retry_base: Duration::from_secs(10),
            webhook_retry_max: Duration::from_secs(3600),
            webhook_give_up_after: Duration::from_secs(24 * 3600),
            audit: AuditSettings::default(),
            console: ConsoleSettings {
                session_idle_timeout: Duration::from_secs(15 * 60),
                session_max_age: Duration::from_secs(12 * 3600),
                sign_in_link_ttl: Duration::from_secs(15 * 60),
                oidc: Vec::new(),
            },
            retention: RetentionSettings {
                deliveries: Duration::from_secs(90 * 24 * 3600),
                audit: RetentionSettings::AUDIT_MINIMUM,
            },
        }
    }
}
