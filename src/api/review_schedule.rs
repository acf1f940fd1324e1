//! The practice's review schedule: when access reviews open by themselves (quarterly by
//! default: the first Monday of January, April, July and October, in the practice's time
//! zone), for how long, with which reminders, and the next one it will open.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, put};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::review::schedule::{Period, ReviewSchedule};
use crate::http::errors::WireError;
use crate::http::json::Json;
use crate::state::Caller;

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleView {
    pub schedule: ReviewSchedule,
    /// The next review the schedule opens; null when it opens none (`off`, or a past `once`).
    pub next: Option<Period>,
}

async fn view(call: &Caller) -> Result<ScheduleView, WireError> {
    let practice = call.store().practice().await?;
    let now = call.state.clock.now();
    Ok(ScheduleView {
        next: practice.review_schedule.next(now, practice.time_zone.tz()),
        schedule: practice.review_schedule,
    })
}

/// When access reviews open by themselves, and the next one.
#[utoipa::path(tag = "admin", responses((status = 200, description = "The schedule", body = ScheduleView)))]
#[get("/reviews/schedule")]
pub async fn show(call: Caller) -> Result<HttpResponse, WireError> {
    Ok(HttpResponse::Ok().json(view(&call).await?))
}

/// Replace the review schedule (`{}` restores the quarterly default). Managers and portal
/// administrators may; audited.
#[utoipa::path(
    tag = "admin",
    request_body = ReviewSchedule,
    responses(
        (status = 200, description = "Saved, with the next review", body = ScheduleView),
        (status = 400, description = "Malformed body", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "A cadence without its months or date, or days out of range", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[put("/reviews/schedule")]
pub async fn replace(call: Caller, body: Json<ReviewSchedule>) -> Result<HttpResponse, WireError> {
    let schedule = body.into_inner();
    schedule
        .check()
        .map_err(|e| WireError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    call.store()
        .set_review_schedule(&schedule, &call.actor())
        .await?;
    Ok(HttpResponse::Ok().json(view(&call).await?))
}
