//! A webhook's traffic: a `webhook.test` event sent on request, and the record of every
//! delivery and its attempts.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::parse_id;
use crate::domain::delivery::DeliveryState;
use crate::http::errors::WireError;
use crate::http::query::Query;
use crate::state::Caller;
use crate::store::deliveries::DeliveryView;

#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedEvent {
    /// The event id: its `Idempotency-Key`.
    pub event_id: Uuid,
}

/// Send a `webhook.test` event to this webhook now. Its delivery shows in
/// `GET /webhooks/{id}/deliveries`.
#[utoipa::path(
    tag = "admin",
    params(("id" = Uuid, Path, description = "The webhook's id")),
    responses(
        (status = 202, description = "Queued for delivery", body = QueuedEvent),
        (status = 404, description = "No such webhook in this practice", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 409, description = "The webhook is paused", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "The practice's e-mail channel: test it through /api/v1/email-settings/test", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/webhooks/{id}/test")]
pub async fn test(call: Caller, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let id = parse_id(&id)?;
    let store = call.store();
    if !store.webhook(id).await?.enabled {
        return Err(WireError::new(
            StatusCode::CONFLICT,
            "the webhook is paused (enabled: false): deliveries to it wait until it is enabled",
        ));
    }
    let practice = store.practice().await?;
    let event_id = store
        .queue_test_event(
            id,
            practice.name.as_str(),
            &call.state.public_url,
            &call.actor(),
        )
        .await?;
    call.state.wake_delivery.notify_one();
    Ok(HttpResponse::Accepted().json(QueuedEvent { event_id }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// How many, newest first: 1 to 200 (default 50).
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttemptView {
    pub attempt: i32,
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<i32>,
    pub error: Option<String>,
    /// The first 512 bytes of the receiver's answer.
    pub response: Option<String>,
    pub duration_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryLogView {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    /// What the event is about, e.g. `task:<id>:overdue`.
    pub event_key: String,
    /// pending, delivered, dead (given up), cancelled (its task was finished first).
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub dead_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Every attempt, newest first.
    pub history: Vec<DeliveryAttemptView>,
}

impl From<DeliveryView> for DeliveryLogView {
    fn from(v: DeliveryView) -> Self {
        let d = v.delivery;
        Self {
            id: d.id,
            event_id: d.event_id,
            event_type: v.event_type,
            event_key: v.event_key,
            next_attempt_at: (DeliveryState::parse(&d.state) == Some(DeliveryState::Pending))
                .then_some(d.next_attempt_at),
            state: d.state,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
            dead_at: d.dead_at,
            created_at: d.created_at,
            history: v
                .attempts
                .into_iter()
                .map(|a| DeliveryAttemptView {
                    attempt: a.attempt,
                    at: a.at,
                    status: a.status,
                    error: a.error,
                    response: a.response_excerpt,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

list_of!(
    /// A webhook's delivery attempts.
    DeliveryList,
    DeliveryLogView
);

/// A webhook's deliveries, newest first, with every attempt and the receiver's answers.
#[utoipa::path(
    tag = "admin",
    params(("id" = Uuid, Path, description = "The webhook's id"), DeliveriesQuery),
    responses(
        (status = 200, description = "Deliveries", body = DeliveryList),
        (status = 400, description = "Invalid limit", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "No such webhook in this practice", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(
    call: Caller,
    id: web::Path<String>,
    query: Query<DeliveriesQuery>,
) -> Result<HttpResponse, WireError> {
    let id = parse_id(&id)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(WireError::bad_request("`limit` must be between 1 and 200"));
    }
    let views: Vec<DeliveryLogView> = call
        .store()
        .deliveries(id, limit)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(DeliveryList::whole(views)))
}
