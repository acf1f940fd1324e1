//! The checks every webhook subscription passes, whichever door it comes through (the admin
//! API or the console): its name, URL (never into our own network unless allowed), event
//! types, format and signing secret. A refusal is [`StoreError::Refused`], naming the field.

use rand::Rng;

use crate::store::StoreError;
use crate::store::webhooks::NewWebhook;
use crate::webhook::WebhookClient;

/// The event types a webhook can subscribe to (`*` for all, `task.*` for a family).
pub const EVENT_TYPES: [&str; 13] = [
    "task.reminder",
    "task.overdue",
    "task.escalated",
    "review.opened",
    "review.reminder",
    "review.escalated",
    "review.completed",
    "digest.daily",
    "practice_portal.below_min_admins",
    "practice_portal.admins_restored",
    "practice_portal.admin_lockout_soon",
    "webhook.dead_lettered",
    "webhook.test",
];

pub const FORMATS: [&str; 3] = ["json", "slack", "teams"];

/// What a subscription hears unless it says otherwise: every task and review alert,
/// digests, administrator-count and dead-letter alerts.
pub fn default_event_types() -> Vec<String> {
    [
        "task.*",
        "review.*",
        "digest.daily",
        "practice_portal.*",
        "webhook.dead_lettered",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Longest webhook URL: what browsers and proxies reliably carry.
const MAX_URL_BYTES: usize = 2048;

fn refused(detail: impl Into<String>) -> StoreError {
    StoreError::Refused(detail.into())
}

pub fn check_name(name: &str) -> Result<String, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(refused("`name` must be 1 to 200 characters"));
    }
    Ok(name.to_owned())
}

pub fn check_types(types: Vec<String>) -> Result<Vec<String>, StoreError> {
    if types.is_empty() || types.len() > 20 {
        return Err(refused("`event_types` must list 1 to 20 types"));
    }
    for t in &types {
        let known = t == "*"
            || EVENT_TYPES.contains(&t.as_str())
            || t.strip_suffix(".*").is_some_and(|family| {
                EVENT_TYPES
                    .iter()
                    .any(|e| e.strip_prefix(family).is_some_and(|r| r.starts_with('.')))
            });
        if !known {
            return Err(refused(format!(
                "unknown event type `{t}`: use *, a family like task.*, or one of {}",
                EVENT_TYPES.join(", ")
            )));
        }
    }
    Ok(types)
}

pub fn check_format(format: String) -> Result<String, StoreError> {
    if FORMATS.contains(&format.as_str()) {
        Ok(format)
    } else {
        Err(refused("`format` must be json, slack or teams"))
    }
}

pub fn check_secret(secret: String) -> Result<String, StoreError> {
    if !(16..=256).contains(&secret.len()) {
        return Err(refused("`secret` must be 16 to 256 characters"));
    }
    Ok(secret)
}

pub fn check_url(client: &WebhookClient, url: &str) -> Result<String, StoreError> {
    if url.len() > MAX_URL_BYTES {
        return Err(refused(format!(
            "`url` must be at most {MAX_URL_BYTES} bytes"
        )));
    }
    client.check_url(url).map_err(refused)?;
    Ok(url.to_owned())
}

/// What a new subscription asks for, as typed.
#[derive(Debug, Default)]
pub struct WebhookRequest {
    pub name: String,
    pub url: String,
    pub event_types: Option<Vec<String>>,
    pub format: Option<String>,
    pub secret: Option<String>,
    pub enabled: Option<bool>,
}

/// A checked subscription, with its signing secret (generated when none was given).
pub fn checked_new(
    client: &WebhookClient,
    request: WebhookRequest,
) -> Result<NewWebhook, StoreError> {
    let secret = match request.secret {
        Some(secret) => check_secret(secret)?,
        None => hex::encode(rand::rng().random::<[u8; 32]>()),
    };
    Ok(NewWebhook {
        name: check_name(&request.name)?,
        url: check_url(client, &request.url)?,
        event_types: check_types(request.event_types.unwrap_or_else(default_event_types))?,
        format: check_format(request.format.unwrap_or_else(|| "json".to_owned()))?,
        secret,
        enabled: request.enabled.unwrap_or(true),
    })
}

/// The e-mail channel's settings, checked: the fields (`domain::mail`), the event types, and
/// a server given as an address (a name is checked when it is resolved, at every send). With a
/// user, the password is the practice's own variable (`domain::mail::password_variable`),
/// filled in when not named; any other variable is refused.
pub fn checked_email(
    client: &WebhookClient,
    mut settings: crate::domain::mail::SmtpSettings,
    event_types: Option<Vec<String>>,
    practice_slug: &str,
) -> Result<(crate::domain::mail::SmtpSettings, Vec<String>), StoreError> {
    let own = crate::domain::mail::password_variable(practice_slug);
    match &settings.password_env {
        Some(named) if *named != own => {
            return Err(refused(format!(
                "`password_env` must be {own}: each practice's SMTP password is read from its \
                 own environment variable"
            )));
        }
        None if settings.username.is_some() => settings.password_env = Some(own),
        _ => {}
    }
    settings.check().map_err(refused)?;
    if let Ok(ip) = settings.host.parse::<std::net::IpAddr>() {
        let public = crate::webhook::guard::is_public(ip);
        if !public && !client.allows_private() {
            return Err(refused(
                "`host` is a private or special address, which alerts may not reach \
                 (webhook_allow_private)",
            ));
        }
        if public && settings.security == crate::domain::mail::SmtpSecurity::None {
            return Err(refused(
                "`security` none sends passwords and alerts in the clear: only to a relay on \
                 this machine or the private network; use starttls or tls",
            ));
        }
    }
    let types = check_types(event_types.unwrap_or_else(default_email_event_types))?;
    Ok((settings, types))
}

/// What the e-mail channel hears unless told otherwise: the alerts that name people.
pub fn default_email_event_types() -> Vec<String> {
    ["task.*", "review.*", "digest.daily"]
        .map(str::to_owned)
        .to_vec()
}
