//! Validation: the values types alone cannot refuse, each refusal naming its setting.

use std::time::Duration;

use super::{ConfigError, DatabasePooler, Settings};

impl Settings {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
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
        if self.database_pooler == DatabasePooler::Transaction
            && self.database_url.starts_with("sqlite:")
        {
            return Err(invalid(
                "database_pooler",
                "applies to PostgreSQL only: SQLite is a file, with no pooler in between",
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
        if self.console.session_idle_timeout < Duration::from_secs(60) {
            return Err(invalid(
                "console.session_idle_timeout",
                "must be at least 1 minute",
            ));
        }
        if self.console.session_max_age < self.console.session_idle_timeout {
            return Err(invalid(
                "console.session_max_age",
                "must be at least console.session_idle_timeout",
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
        if !(self.mass_revocation_share > 0.0 && self.mass_revocation_share <= 1.0) {
            return Err(invalid(
                "mass_revocation_share",
                "must be more than 0 and at most 1 (0.2 is 20 %)",
            ));
        }
        if !(self.import_shrink_share > 0.0 && self.import_shrink_share <= 1.0) {
            return Err(invalid(
                "import_shrink_share",
                "must be more than 0 and at most 1 (0.2 is 20 %)",
            ));
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
        // An outbox key is also what keeps some alerts from repeating (a portal
        // administrator's week-ahead lockout warning): kept well past any such window.
        if self.retention.deliveries < Duration::from_secs(30 * 24 * 3600) {
            return Err(invalid("retention.deliveries", "must be at least 30 days"));
        }
        if self.retention.audit < super::RetentionSettings::AUDIT_MINIMUM {
            return Err(invalid(
                "retention.audit",
                "must be at least 6 years (HIPAA keeps audit records six years)",
            ));
        }
        for issuer in &self.jwt.issuers {
            issuer
                .check()
                .map_err(|reason| invalid("jwt.issuers", &reason))?;
        }
        let mut practices = std::collections::HashSet::new();
        for provider in &self.console.oidc {
            provider
                .check()
                .map_err(|reason| invalid("console.oidc", &reason))?;
            if !practices.insert(provider.practice.as_str()) {
                return Err(invalid(
                    "console.oidc",
                    &format!(
                        "practice {} has two entries; a practice signs in through one provider",
                        provider.practice
                    ),
                ));
            }
        }
        Ok(())
    }
}
