//! E-mail alerts: the practice's mail server settings (`/email-settings`), and a test e-mail.
//! The channel's deliveries are listed with the webhooks' (`/webhooks/{id}/deliveries`, the id
//! being `id` here).

use actix_web::{HttpResponse, delete, get, post, put};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::mail::{SmtpSecurity, SmtpSettings, address_of};
use crate::engine::webhooks;
use crate::http::errors::WireError;
use crate::http::json::Json;
use crate::state::Caller;
use crate::store::email_channel::EmailChannel;

/// The mail server alerts are sent through, and which alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailSettingsView {
    /// The channel's id among the webhooks: its deliveries are at
    /// `/api/v1/webhooks/{id}/deliveries`.
    pub id: Uuid,
    pub host: String,
    pub port: u16,
    /// starttls (port 587), tls (465) or none (a relay on this machine or the private network).
    #[schema(value_type = String)]
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// The environment variable the password is read from at each send,
    /// `PORTCULLIS_SMTP_PASSWORD__<SLUG>` (the password itself is never stored).
    pub password_env: Option<String>,
    /// The sender: `alerts@clinic.example` or `Portcullis <alerts@clinic.example>`.
    pub from: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<EmailChannel> for EmailSettingsView {
    fn from(c: EmailChannel) -> Self {
        Self {
            id: c.id,
            host: c.settings.host,
            port: c.settings.port,
            security: c.settings.security,
            username: c.settings.username,
            password_env: c.settings.password_env,
            from: c.settings.from,
            event_types: c.event_types,
            enabled: c.enabled,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailSettingsInput {
    #[schema(min_length = 1, max_length = 253)]
    pub host: String,
    #[schema(minimum = 1, maximum = 65535)]
    pub port: u16,
    /// starttls (default), tls or none.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub security: Option<SmtpSecurity>,
    #[serde(default)]
    pub username: Option<String>,
    /// The environment variable holding the password: with a `username` it is always the
    /// practice's own, `PORTCULLIS_SMTP_PASSWORD__<SLUG>` (filled in when left out).
    #[serde(default)]
    pub password_env: Option<String>,
    pub from: String,
    /// Default: `task.*`, `review.*`, `digest.daily` (the alerts that name people).
    #[serde(default)]
    #[schema(min_items = 1, max_items = 20)]
    pub event_types: Option<Vec<String>>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// The practice's e-mail settings.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "The settings", body = EmailSettingsView),
        (status = 404, description = "E-mail alerts are not set up", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/email-settings")]
pub async fn current(call: Caller) -> Result<HttpResponse, WireError> {
    match call.store().email_channel().await? {
        Some(channel) => Ok(HttpResponse::Ok().json(EmailSettingsView::from(channel))),
        None => Err(WireError::not_found(
            "e-mail alerts are not set up: PUT /api/v1/email-settings",
        )),
    }
}

/// Send alerts by e-mail: escalation-chain addresses, named administrators and the daily
/// digest's readers get them, one message per alert, retried like webhooks.
#[utoipa::path(
    tag = "admin",
    request_body = EmailSettingsInput,
    responses(
        (status = 200, description = "Saved", body = EmailSettingsView),
        (status = 400, description = "Malformed body", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "An invalid server, port, sender, user or event type", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[put("/email-settings")]
pub async fn replace(
    call: Caller,
    body: Json<EmailSettingsInput>,
) -> Result<HttpResponse, WireError> {
    let input = body.into_inner();
    let settings = SmtpSettings {
        host: input.host.trim().to_owned(),
        port: input.port,
        security: input.security.unwrap_or(SmtpSecurity::Starttls),
        username: input.username,
        password_env: input.password_env,
        from: input.from.trim().to_owned(),
    };
    let store = call.store();
    let practice = store.practice().await?;
    let (settings, event_types) = webhooks::checked_email(
        &call.state.webhooks,
        settings,
        input.event_types,
        practice.slug.as_str(),
    )?;
    let channel = store
        .put_email_channel(
            &settings,
            &event_types,
            input.enabled.unwrap_or(true),
            &call.actor(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(EmailSettingsView::from(channel)))
}

/// Stop e-mail alerts. Pending e-mails are dropped; the history stays.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "E-mail alerts are not set up", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[delete("/email-settings")]
pub async fn remove(call: Caller) -> Result<HttpResponse, WireError> {
    call.store().delete_email_channel(&call.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailTestInput {
    /// Where to send the test e-mail.
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedEmail {
    /// The test event; its delivery is listed under the channel's deliveries.
    pub event_id: Uuid,
}

/// Send a test e-mail through the settings (enabled or not).
#[utoipa::path(
    tag = "admin",
    request_body = EmailTestInput,
    responses(
        (status = 202, description = "Queued for delivery", body = QueuedEmail),
        (status = 400, description = "Malformed body", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "E-mail alerts are not set up", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Not an e-mail address", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/email-settings/test")]
pub async fn test(call: Caller, body: Json<EmailTestInput>) -> Result<HttpResponse, WireError> {
    let to = body.into_inner().to;
    let Some(address) = address_of(&to) else {
        return Err(WireError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "`to` must be an e-mail address such as pat@clinic.example",
        ));
    };
    let store = call.store();
    let practice = store.practice().await?;
    let event_id = store
        .queue_email_test(address, practice.name.as_str(), &call.actor())
        .await?;
    call.state.wake_delivery.notify_one();
    Ok(HttpResponse::Accepted().json(QueuedEmail { event_id }))
}
