//! Webhooks in the console: subscribe a URL (its signing secret shown once), "Send test",
//! each webhook's delivery log (every attempt, the receiver's status and answer), delete.
//! Checked by `engine::webhooks`, as the API checks them.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::super::render;
use super::super::session::{Act, SignedIn};
use super::super::view::{Frame, NoticeQuery, When, notice_link};
use super::{ShownSecret, done, event_list, refused, settings_page};
use crate::engine::webhooks::{self, WebhookRequest};
use crate::http::errors::WireError;
use crate::store::StoreError;
use crate::store::webhooks::redact_url;

fn webhook_id(text: &str) -> Result<Uuid, WireError> {
    Uuid::try_parse(text).map_err(|_| WireError::not_found("webhook not found"))
}

#[derive(Debug, Deserialize)]
pub struct NewWebhookForm {
    name: String,
    url: String,
    format: String,
    #[serde(default)]
    events: String,
}

/// `POST /console/settings/webhooks`: subscribe a URL; the page shows its signing secret once.
#[post("/settings/webhooks")]
pub async fn add_webhook(act: Act<NewWebhookForm>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let form = &act.form;
    let request = WebhookRequest {
        name: form.name.clone(),
        url: form.url.trim().to_owned(),
        event_types: event_list(&form.events),
        format: Some(form.format.clone()),
        ..WebhookRequest::default()
    };
    let new = match webhooks::checked_new(&me.state.webhooks, request) {
        Ok(new) => new,
        Err(e) => return refused(me, "webhooks", e).await,
    };
    let secret = new.secret.clone();
    match me.store().create_webhook(new, &me.actor()).await {
        Ok(created) => {
            let shown = ShownSecret {
                what: format!(
                    "The signing secret of the webhook \"{}\": the receiver checks each \
                     request's signature with it. Copy it now; it is not shown again.",
                    created.name
                ),
                text: secret,
            };
            settings_page(
                me,
                Some(format!("Webhook \"{}\" added.", created.name)),
                None,
                Some(shown),
            )
            .await
        }
        Err(e) => refused(me, "webhooks", e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /console/settings/webhooks/{id}/test`: queue a `webhook.test` event for it alone.
#[post("/settings/webhooks/{id}/test")]
pub async fn test_webhook(
    act: Act<NoFields>,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let id = webhook_id(&id)?;
    let store = me.store();
    let hook = store.webhook(id).await?;
    if !hook.enabled {
        return refused(
            me,
            "webhooks",
            StoreError::Refused(format!(
                "\"{}\" is paused: deliveries to it wait until it is enabled",
                hook.name
            )),
        )
        .await;
    }
    let practice = store.practice().await?;
    store
        .queue_test_event(
            id,
            practice.name.as_str(),
            &me.state.public_url,
            &me.actor(),
        )
        .await?;
    me.state.wake_delivery.notify_one();
    Ok(super::super::see_other(&notice_link(
        me,
        &format!("/console/settings/webhooks/{id}"),
        "Test event sent; its delivery appears below.",
    )))
}

/// `POST /console/settings/webhooks/{id}/delete`: its history stays in the audit trail.
#[post("/settings/webhooks/{id}/delete")]
pub async fn delete_webhook(
    act: Act<NoFields>,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let id = webhook_id(&id)?;
    let store = act.me.store();
    let hook = store.webhook(id).await?;
    store.delete_webhook(id, &act.me.actor()).await?;
    Ok(done(
        &act.me,
        "webhooks",
        &format!("Webhook \"{}\" deleted.", hook.name),
    ))
}

struct AttemptRow {
    at: When,
    outcome: String,
    response: String,
    duration_ms: i64,
}

struct DeliveryRow {
    event: String,
    state: String,
    created: When,
    attempts: Vec<AttemptRow>,
}

#[derive(Template)]
#[template(path = "webhook.html", config = "src/console/askama.toml")]
struct DeliveryLog {
    frame: Frame,
    id: String,
    name: String,
    url: String,
    events: String,
    format: String,
    enabled: bool,
    deliveries: Vec<DeliveryRow>,
    notice: Option<String>,
}

/// `GET /console/settings/webhooks/{id}`: the webhook and its last 50 deliveries, each with
/// every attempt.
#[get("/settings/webhooks/{id}")]
pub async fn delivery_log(
    me: SignedIn,
    id: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WireError> {
    let id = webhook_id(&id)?;
    let store = me.store();
    let hook = store.webhook(id).await?;
    let tz = me.session.practice.time_zone.tz();
    let now = me.now();
    // A mail server answers in SMTP reply codes.
    let protocol = if hook.format == crate::domain::mail::EMAIL_FORMAT {
        "SMTP"
    } else {
        "HTTP"
    };
    let deliveries = store
        .deliveries(id, 50)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            event: d.event_type,
            state: d.delivery.state.replace('_', " "),
            created: When::at(d.delivery.created_at, now, tz),
            attempts: d
                .attempts
                .into_iter()
                .map(|a| AttemptRow {
                    at: When::at(a.at, now, tz),
                    outcome: match (a.status, a.error) {
                        (Some(status), _) => format!("{protocol} {status}"),
                        (None, Some(error)) => error,
                        (None, None) => "no answer".to_owned(),
                    },
                    response: a.response_excerpt.unwrap_or_default(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
        })
        .collect();
    render(&DeliveryLog {
        frame: Frame::load(&me, format!("Webhook {}", hook.name), "Settings").await?,
        id: id.to_string(),
        url: redact_url(&hook.url),
        events: hook.event_types.join(", "),
        name: hook.name,
        format: hook.format,
        enabled: hook.enabled,
        deliveries,
        notice: query.shown(&me),
    })
}
