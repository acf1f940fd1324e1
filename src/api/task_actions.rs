//! `POST /api/v1/tasks/{id}/{action}`: working the queue. An action that does not fit the
//! task's state is 409, naming the state; `If-Match` with the task's version makes a write
//! conditional. Completing a task updates the person's portal account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Task, task_view};
use crate::domain::task::Evidence;
use crate::engine::tasks::{self, TaskAction};
use crate::http::conditional::if_match;
use crate::http::errors::WireError;
use crate::http::json::{Json, parse_body};
use crate::state::Caller;

async fn act(
    call: &Caller,
    req: &HttpRequest,
    id: &str,
    action: TaskAction,
) -> Result<HttpResponse, WireError> {
    let id = Uuid::try_parse(id).map_err(|_| WireError::not_found("task not found"))?;
    let store = call.store();
    let version = if_match(req.headers());
    let record = tasks::act_on_task(&store, id, action, version, &call.actor()).await?;
    let portals = store.practice_portals().await?;
    Ok(HttpResponse::Ok().json(task_view(record, &portals, call.state.clock.now())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    /// Why: shown on the task and kept in the audit trail.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssigneeInput {
    /// The e-mail of an active portal administrator of the practice.
    #[schema(min_length = 1, max_length = 254)]
    pub assignee: String,
    /// Why, for the new assignee and the audit trail.
    #[schema(max_length = 500)]
    pub comment: Option<String>,
}

/// A comment as kept: trimmed, empty as none, at most 500 characters.
fn comment(text: Option<String>) -> Result<Option<String>, WireError> {
    let text = text.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    if text.as_ref().is_some_and(|c| c.chars().count() > 500) {
        return Err(WireError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`comment` must be at most 500 characters",
        ));
    }
    Ok(text)
}

fn reason(input: ReasonInput) -> Result<String, WireError> {
    let reason = input.reason.trim().to_owned();
    if reason.is_empty() || reason.len() > 2000 {
        return Err(WireError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`reason` must be 1 to 2000 characters",
        ));
    }
    Ok(reason)
}

/// Take a task: it shows as yours.
#[utoipa::path(tag = "admin", params(("id" = String, Path, description = "The task's id")),
    responses((status = 200, description = "Claimed", body = Task),
              (status = 404, description = "No such task", content_type = "application/problem+json", body = crate::http::errors::Problem),
              (status = 409, description = "Not open", content_type = "application/problem+json", body = crate::http::errors::Problem)))]
#[post("/tasks/{id}/claim")]
pub async fn claim(
    call: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    act(&call, &req, &id, TaskAction::Claim).await
}

/// Give a claimed task back to the queue.
#[utoipa::path(tag = "admin", params(("id" = String, Path, description = "The task's id")),
    responses((status = 200, description = "Open again", body = Task),
              (status = 409, description = "Not claimed", content_type = "application/problem+json", body = crate::http::errors::Problem)))]
#[post("/tasks/{id}/unclaim")]
pub async fn unclaim(
    call: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    act(&call, &req, &id, TaskAction::Unclaim).await
}

/// Record that the work is done in the portal, with evidence. Updates the portal account.
#[utoipa::path(tag = "admin", params(("id" = String, Path, description = "The task's id")), request_body = Evidence,
    responses((status = 200, description = "Done", body = Task),
              (status = 400, description = "The body is not evidence JSON (it is refused, never read as no evidence)", content_type = "application/problem+json", body = crate::http::errors::Problem),
              (status = 409, description = "Not open or claimed, or blocked by another task", content_type = "application/problem+json", body = crate::http::errors::Problem),
              (status = 422, description = "No evidence: no note, no confirmation number, and no file uploaded to the task", content_type = "application/problem+json", body = crate::http::errors::Problem),
              (status = 412, description = "If-Match does not name the current version", content_type = "application/problem+json", body = crate::http::errors::Problem)))]
#[post("/tasks/{id}/complete")]
pub async fn complete(
    call: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, WireError> {
    // A body that does not parse is refused, never read as "no evidence": the confirmation
    // number it carried would be lost. No body at all is allowed when a file was uploaded.
    let evidence = if body.iter().all(u8::is_ascii_whitespace) {
        Evidence::default()
    } else {
        parse_body::<Evidence>(&body)?
    };
    if let Some((field, max)) = evidence.oversized() {
        return Err(WireError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("`{field}` must be at most {max} characters"),
        ));
    }
    act(&call, &req, &id, TaskAction::Complete(evidence)).await
}

/// Confirm a done task (a second look).
#[utoipa::path(tag = "admin", params(("id" = String, Path, description = "The task's id")),
    responses((status = 200, description = "Verified", body = Task),
              (status = 409, description = "Not done", content_type = "application/problem+json", body = crate::http::errors::Problem)))]
#[post("/tasks/{id}/verify")]
pub async fn verify(
    call: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    act(&call, &req, &id, TaskAction::Verify).await
}

/// Record that the work could not be done, and why.
#[utoipa::path(tag = "admin", params(("id" = String, Path, description = "The task's id")), request_body = ReasonInput,
    responses((status = 200, description = "Failed", body = Task),
              (status = 409, description = "Not open or claimed", content_type = "application/problem+json", body = crate::http::errors::Problem),
              (status = 422, description = "No reason given", content_type = "application/problem+json", body = crate::http::errors::Problem)))]
#[post("/tasks/{id}/fail")]
pub async fn fail(
    call: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<ReasonInput>,
) -> Result<HttpResponse, WireError> {
    let reason = reason(body.into_inner())?;
    act(&call, &req, &id, TaskAction::Fail { reason }).await
}

/// Put a failed task back in the queue.
#[utoipa::path(tag = "admin", params(("id" = String, Path, description = "The task's id")),
    responses((status = 200, description = "Open again", body = Task),
              (status = 409, description = "Not failed", content_type = "application/problem+json", body = crate::http::errors::Problem)))]
#[post("/tasks/{id}/reopen")]
pub async fn reopen(
    call: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    act(&call, &req, &id, TaskAction::Reopen).await
}

/// Cancel a task that should not be done, and say why (it is kept, never deleted).
#[utoipa::path(tag = "admin", params(("id" = String, Path, description = "The task's id")), request_body = ReasonInput,
    responses((status = 200, description = "Cancelled", body = Task),
              (status = 409, description = "Already finished", content_type = "application/problem+json", body = crate::http::errors::Problem),
              (status = 422, description = "No reason given", content_type = "application/problem+json", body = crate::http::errors::Problem)))]
#[post("/tasks/{id}/cancel")]
pub async fn cancel(
    call: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<ReasonInput>,
) -> Result<HttpResponse, WireError> {
    let reason = reason(body.into_inner())?;
    act(&call, &req, &id, TaskAction::Cancel { reason }).await
}

/// Give a task to someone.
#[utoipa::path(tag = "admin", params(("id" = String, Path, description = "The task's id")), request_body = AssigneeInput,
    responses((status = 200, description = "Reassigned", body = Task),
              (status = 409, description = "Already finished", content_type = "application/problem+json", body = crate::http::errors::Problem)))]
#[post("/tasks/{id}/reassign")]
pub async fn reassign(
    call: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<AssigneeInput>,
) -> Result<HttpResponse, WireError> {
    let input = body.into_inner();
    let assignee = input.assignee.trim().to_owned();
    let comment = comment(input.comment)?;
    if assignee.is_empty() {
        return Err(WireError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`assignee` must not be empty",
        ));
    }
    act(&call, &req, &id, TaskAction::Reassign { assignee, comment }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInput {
    /// `claim` or `reassign` (completing in bulk is deliberately not offered).
    pub action: String,
    #[schema(min_items = 1, max_items = 200)]
    pub task_ids: Vec<Uuid>,
    /// For `reassign`: the e-mail of an active portal administrator of the practice.
    #[schema(max_length = 254)]
    pub assignee: Option<String>,
    /// For `reassign`: why, kept in each task's audit record.
    #[schema(max_length = 500)]
    pub comment: Option<String>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct BulkResult {
    pub task_id: Uuid,
    /// The HTTP status the single action would have had (200, 404, 409, …).
    pub status: u16,
    pub detail: Option<String>,
}

list_of!(
    /// One result per task of a bulk action.
    BulkResults,
    BulkResult
);

/// Claim or reassign many tasks at once; each succeeds or fails on its own.
#[utoipa::path(tag = "admin", request_body = BulkInput,
    responses((status = 200, description = "One result per task", body = BulkResults),
              (status = 422, description = "Unknown action, no assignee, or too many tasks", content_type = "application/problem+json", body = crate::http::errors::Problem)))]
#[post("/tasks/bulk")]
pub async fn bulk(call: Caller, body: Json<BulkInput>) -> Result<HttpResponse, WireError> {
    let input = body.into_inner();
    let unprocessable = |detail: &str| WireError::new(StatusCode::UNPROCESSABLE_ENTITY, detail);
    if input.task_ids.is_empty() || input.task_ids.len() > 200 {
        return Err(unprocessable("`task_ids` must list 1 to 200 tasks"));
    }
    let action = match (
        input.action.as_str(),
        input.assignee.as_deref().map(str::trim),
    ) {
        ("claim", _) => TaskAction::Claim,
        ("reassign", Some(assignee)) if !assignee.is_empty() => TaskAction::Reassign {
            assignee: assignee.to_owned(),
            comment: comment(input.comment.clone())?,
        },
        ("reassign", _) => return Err(unprocessable("`reassign` needs an `assignee`")),
        _ => {
            return Err(unprocessable(
                "`action` must be claim or reassign (never complete in bulk)",
            ));
        }
    };
    let store = call.store();
    let mut results = Vec::with_capacity(input.task_ids.len());
    for id in input.task_ids {
        let outcome = tasks::act_on_task(&store, id, action.clone(), None, &call.actor()).await;
        results.push(match outcome {
            Ok(_) => BulkResult {
                task_id: id,
                status: 200,
                detail: None,
            },
            Err(err) => {
                let wire = WireError::from(err);
                BulkResult {
                    task_id: id,
                    status: wire.status.as_u16(),
                    detail: Some(wire.detail),
                }
            }
        });
    }
    Ok(HttpResponse::Ok().json(BulkResults::whole(results)))
}
