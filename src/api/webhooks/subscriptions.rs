//! The subscriptions themselves: list, create (with its signing secret, shown once), read,
//! change and delete (the checks every name, URL, event type, format and secret passes are
//! `engine::webhooks`).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::parse_id;
use crate::domain::scope::Scope;
use crate::engine::webhooks;
use crate::http::errors::WireError;
use crate::http::json::Json;
use crate::state::Caller;
use crate::store::webhooks::{Webhook, WebhookChange, redact_url};

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub name: String,
    /// In full for callers with `admin:write`; scheme and host only for read-only callers.
    pub url: String,
    pub event_types: Vec<String>,
    /// json (the documented event), slack or teams (a message a person reads); `email` for
    /// the practice's e-mail channel, which is changed through `/api/v1/email-settings`.
    pub format: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl WebhookView {
    /// For a caller who may not change webhooks: incoming-webhook URLs carry their token in
    /// the path, so they see scheme and host only.
    fn for_caller(w: Webhook, call: &Caller) -> Self {
        let may_write = call.principal.scopes.contains(Scope::AdminWrite);
        let mut view = Self::from(w);
        if !may_write {
            view.url = redact_url(&view.url);
        }
        view
    }
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            name: w.name,
            url: w.url,
            event_types: w.event_types,
            format: w.format,
            enabled: w.enabled,
            created_at: w.created_at,
            updated_at: w.updated_at,
            version: w.version,
        }
    }
}

list_of!(
    /// The practice's webhooks.
    WebhookList,
    WebhookView
);

/// A new subscription, with its signing secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookView {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// Verify `X-Portcullis-Signature: sha256=<hex HMAC-SHA256(secret, body)>` with it.
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// http(s) URL; loopback and private addresses only where the deployment allows them.
    #[schema(max_length = 2048)]
    pub url: String,
    /// Event types, `task.*`, or `*` (default: every task alert, digests, admin-count and
    /// dead-letter alerts).
    #[serde(default)]
    #[schema(min_items = 1, max_items = 20)]
    pub event_types: Option<Vec<String>>,
    /// json (default), slack or teams.
    #[serde(default)]
    pub format: Option<String>,
    /// Generated when absent (and returned once).
    #[serde(default)]
    #[schema(min_length = 16, max_length = 256)]
    pub secret: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 20)]
    pub event_types: Option<Vec<String>>,
    pub format: Option<String>,
    /// A new signing secret.
    #[schema(min_length = 16, max_length = 256)]
    pub secret: Option<String>,
    pub enabled: Option<bool>,
}

fn check_url(call: &Caller, url: &str) -> Result<String, WireError> {
    Ok(webhooks::check_url(&call.state.webhooks, url)?)
}

/// The practice's webhooks (secrets are never shown again).
#[utoipa::path(tag = "admin", responses((status = 200, description = "Webhooks", body = WebhookList)))]
#[get("/webhooks")]
pub async fn list(call: Caller) -> Result<HttpResponse, WireError> {
    let hooks: Vec<WebhookView> = call
        .store()
        .webhooks()
        .await?
        .into_iter()
        .map(|w| WebhookView::for_caller(w, &call))
        .collect();
    Ok(HttpResponse::Ok().json(WebhookList::whole(hooks)))
}

/// Subscribe a URL to alerts. The answer holds the signing secret, once.
#[utoipa::path(
    tag = "admin",
    request_body = WebhookInput,
    responses(
        (status = 201, description = "Created", body = CreatedWebhookView),
        (status = 400, description = "Malformed body", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Invalid URL (or a private address), event type, format or secret", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/webhooks")]
pub async fn create(call: Caller, body: Json<WebhookInput>) -> Result<HttpResponse, WireError> {
    let input = body.into_inner();
    let new = webhooks::checked_new(
        &call.state.webhooks,
        webhooks::WebhookRequest {
            name: input.name,
            url: input.url,
            event_types: input.event_types,
            format: input.format,
            secret: input.secret,
            enabled: input.enabled,
        },
    )?;
    let secret = new.secret.clone();
    let created = call.store().create_webhook(new, &call.actor()).await?;
    Ok(HttpResponse::Created().json(CreatedWebhookView {
        webhook: created.into(),
        secret,
    }))
}

/// One webhook.
#[utoipa::path(
    tag = "admin",
    params(("id" = Uuid, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook", body = WebhookView),
        (status = 404, description = "No such webhook in this practice", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/webhooks/{id}")]
pub async fn get_one(call: Caller, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let id = parse_id(&id)?;
    let hook = call.store().webhook(id).await?;
    Ok(HttpResponse::Ok().json(WebhookView::for_caller(hook, &call)))
}

/// Change a webhook: its URL, events, format, secret, or pause it (`enabled: false`).
#[utoipa::path(
    tag = "admin",
    params(("id" = Uuid, Path, description = "The webhook's id")),
    request_body = WebhookPatch,
    responses(
        (status = 200, description = "Updated", body = WebhookView),
        (status = 400, description = "Malformed body", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "No such webhook in this practice", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Invalid value", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update(
    call: Caller,
    id: web::Path<String>,
    body: Json<WebhookPatch>,
) -> Result<HttpResponse, WireError> {
    let id = parse_id(&id)?;
    let patch = body.into_inner();
    let change = WebhookChange {
        name: patch
            .name
            .as_deref()
            .map(webhooks::check_name)
            .transpose()?,
        url: patch
            .url
            .as_deref()
            .map(|u| check_url(&call, u))
            .transpose()?,
        event_types: patch.event_types.map(webhooks::check_types).transpose()?,
        format: patch.format.map(webhooks::check_format).transpose()?,
        secret: patch.secret.map(webhooks::check_secret).transpose()?,
        enabled: patch.enabled,
    };
    let updated = call
        .store()
        .update_webhook(id, change, &call.actor())
        .await?;
    Ok(HttpResponse::Ok().json(WebhookView::from(updated)))
}

/// Delete a webhook. Its delivery history stays (and in the audit trail); pending deliveries
/// are dropped.
#[utoipa::path(
    tag = "admin",
    params(("id" = Uuid, Path, description = "The webhook's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such webhook in this practice", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "The practice's e-mail channel, removed through /api/v1/email-settings", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[delete("/webhooks/{id}")]
pub async fn remove(call: Caller, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let id = parse_id(&id)?;
    call.store().delete_webhook(id, &call.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}
