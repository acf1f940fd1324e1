//! `GET /api/v1/tasks` and `GET /api/v1/tasks/{id}`: the work the lifecycle engine created.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Task, task_view};
use crate::domain::task::{TaskKind, TaskState};
use crate::http::errors::WireError;
use crate::http::instant::in_range;
use crate::http::query::Query;
use crate::state::Caller;
use crate::store::tasks::{Assigned, TaskFilter};

/// One task, with every alert recorded for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDetail {
    #[serde(flatten)]
    pub task: Task,
    /// Reminders, the overdue alert and escalations, oldest first, with their deliveries.
    pub alerts: Vec<TaskAlertView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskAlertView {
    /// The event id (the `Idempotency-Key` webhooks received).
    pub id: Uuid,
    /// task.reminder, task.overdue, task.escalated, webhook.dead_lettered.
    #[serde(rename = "type")]
    pub kind: String,
    pub at: DateTime<Utc>,
    /// The ladder step, e.g. `reminder:1`, `overdue`, `escalation:2`.
    pub step: Option<String>,
    /// Who it was for, as the escalation chain names them.
    pub contact: Option<String>,
    pub deliveries: Vec<AlertDeliveryView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDeliveryView {
    pub webhook_id: Uuid,
    /// pending, delivered, dead (given up), cancelled (the task was finished first).
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub dead_at: Option<DateTime<Utc>>,
}

list_of!(
    /// A page of tasks.
    TaskPage,
    Task
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Comma-separated states: open, claimed, done, verified, failed, cancelled.
    pub state: Option<String>,
    /// Comma-separated kinds: provision, modify, deprovision, transfer_admin, notify_third_party.
    pub kind: Option<String>,
    /// Portal slug.
    pub portal: Option<String>,
    /// The person's SCIM id.
    pub person: Option<Uuid>,
    /// `true`: only tasks past due and not finished.
    pub overdue: Option<bool>,
    /// Only tasks assigned to this administrator's e-mail, or `none` for unassigned ones.
    pub assignee: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u64>,
}

/// A comma-separated list of words from one vocabulary (`allowed`, read by `parse`).
fn list<T: Copy + std::fmt::Display>(
    text: &Option<String>,
    allowed: &[T],
    parse: fn(&str) -> Option<T>,
    name: &str,
) -> Result<Vec<T>, WireError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            parse(s).ok_or_else(|| {
                let allowed: Vec<String> = allowed.iter().map(ToString::to_string).collect();
                WireError::bad_request(format!("`{name}` must be among: {}", allowed.join(", ")))
            })
        })
        .collect()
}

fn parse_cursor(text: &str) -> Result<(DateTime<Utc>, Uuid), WireError> {
    let invalid = || WireError::bad_request("`cursor` is not one this API returned");
    let (micros, id) = text.split_once('.').ok_or_else(invalid)?;
    let micros: i64 = micros.parse().map_err(|_| invalid())?;
    Ok((
        DateTime::from_timestamp_micros(micros)
            .and_then(|at| in_range("cursor", at).ok())
            .ok_or_else(invalid)?,
        Uuid::try_parse(id).map_err(|_| invalid())?,
    ))
}

/// The practice's tasks, by due date (soonest first), with filters.
#[utoipa::path(
    tag = "admin",
    params(TaskQuery),
    responses(
        (status = 200, description = "A page of tasks", body = TaskPage),
        (status = 400, description = "Invalid filter or cursor", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 401, description = "Missing or invalid credential", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 403, description = "The credential lacks admin:read", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/tasks")]
pub async fn list_tasks(call: Caller, query: Query<TaskQuery>) -> Result<HttpResponse, WireError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(WireError::bad_request("`limit` must be between 1 and 200"));
    }
    let now = call.state.clock.now();
    let filter = TaskFilter {
        states: list(&query.state, TaskState::ALL, TaskState::parse, "state")?,
        kinds: list(&query.kind, TaskKind::ALL, TaskKind::parse, "kind")?,
        portal: query.portal.clone(),
        person: query.person,
        people: None,
        overdue_at: query.overdue.unwrap_or(false).then_some(now),
        assignee: query.assignee.as_deref().map(|a| match a.trim() {
            "none" => Assigned::Nobody,
            email => Assigned::To(email.to_owned()),
        }),
        after: query.cursor.as_deref().map(parse_cursor).transpose()?,
        limit,
    };
    let store = call.store();
    let records = store.tasks(&filter).await?;
    let portals = store.practice_portals().await?;
    let next_cursor = (records.len() as u64 == limit)
        .then(|| {
            records
                .last()
                .map(|t| format!("{}.{}", t.due_at.timestamp_micros(), t.id))
        })
        .flatten();
    let items = records
        .into_iter()
        .map(|t| task_view(t, &portals, now))
        .collect();
    Ok(HttpResponse::Ok().json(TaskPage { items, next_cursor }))
}

/// One task.
#[utoipa::path(
    tag = "admin",
    params(("id" = Uuid, Path, description = "The task's id")),
    responses(
        (status = 200, description = "The task and its alerts", body = TaskDetail),
        (status = 404, description = "No such task in this practice", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/tasks/{id}")]
pub async fn get_task(call: Caller, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let id = Uuid::try_parse(&id).map_err(|_| WireError::not_found("task not found"))?;
    let store = call.store();
    let record = store.task(id).await?;
    let portals = store.practice_portals().await?;
    let alerts = store
        .task_alerts(id)
        .await?
        .into_iter()
        .map(|alert| TaskAlertView {
            id: alert.event.id,
            step: alert
                .event
                .payload
                .pointer("/step/name")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            contact: alert
                .event
                .payload
                .pointer("/notify/contact")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            kind: alert.event.event_type,
            at: alert.event.created_at,
            deliveries: alert
                .deliveries
                .into_iter()
                .map(|d| AlertDeliveryView {
                    webhook_id: d.webhook_id,
                    state: d.state,
                    attempts: d.attempts,
                    last_status: d.last_status,
                    delivered_at: d.delivered_at,
                    dead_at: d.dead_at,
                })
                .collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(TaskDetail {
        task: task_view(record, &portals, call.state.clock.now()),
        alerts,
    }))
}
