//! Training before access: a person's training per portal (`/api/v1/people/{id}/training`:
//! read it, record one) and a practice portal's rule (`PUT
//! /api/v1/practice-portals/{portal}/training`: require it or not, and for how long it stays
//! valid). Recording a training releases the provision tasks that waited for it.

use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::people::person_id;
use super::portals::PracticePortalView;
use crate::http::errors::WireError;
use crate::http::instant::{PeriodEdge, instant_param};
use crate::http::json::Json;
use crate::state::Caller;
use crate::store::training::{PersonTraining, TrainingSource};

list_of!(
    /// A person's training: every portal that requires it, and any other recorded.
    TrainingList,
    PersonTraining
);

/// The person's training per portal, with when each lapses.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The person's SCIM id")),
    responses(
        (status = 200, description = "Training per portal", body = TrainingList),
        (status = 404, description = "No such person", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/people/{id}/training")]
pub async fn list(call: Caller, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let person = person_id(&id)?;
    let training = call
        .store()
        .training_of(person, call.state.clock.now())
        .await?;
    Ok(HttpResponse::Ok().json(TrainingList::whole(training)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingInput {
    /// The practice portal's slug.
    pub portal: String,
    /// When the person completed it: a date (the practice's time zone) or RFC 3339, not in
    /// the future; left out: now.
    pub completed_at: Option<String>,
}

/// Record a person's training for a portal. It lapses after the portal's validity (the
/// catalogue's, or the practice's); provision tasks waiting for it can be done from now on,
/// and an open renewal task is done. Audited (`training.recorded`).
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The person's SCIM id")),
    request_body = TrainingInput,
    responses(
        (status = 200, description = "The person's training for the portal as it now stands", body = PersonTraining),
        (status = 400, description = "Malformed body or date", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "No such person, or the practice does not use the portal", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "A date in the future", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/people/{id}/training")]
pub async fn record(
    call: Caller,
    id: web::Path<String>,
    body: Json<TrainingInput>,
) -> Result<HttpResponse, WireError> {
    let person = person_id(&id)?;
    let input = body.into_inner();
    let store = call.store();
    let tz = store.practice().await?.time_zone.tz();
    let completed = instant_param(
        "completed_at",
        input.completed_at.as_deref(),
        tz,
        PeriodEdge::Start,
    )?
    .unwrap_or_else(|| call.state.clock.now());
    let training = store
        .record_training(
            person,
            &input.portal,
            completed,
            TrainingSource::Api,
            &call.actor(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(training))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingRuleInput {
    /// Require training before an account is created; null or left out: the catalogue's
    /// rule (required where the portal has a training duty).
    pub required: Option<bool>,
    /// Days a training stays valid (1 to 1095); null or left out: the catalogue's (the
    /// training duty's cadence), else it does not lapse.
    pub valid_days: Option<u32>,
}

/// Set whether the portal requires training before access, and how long a training stays
/// valid. Open provision tasks follow at once: required, those whose person's training does
/// not count wait for it; not required, none waits. Audited (`practice_portal.training`).
#[utoipa::path(
    tag = "admin",
    params(("portal" = String, Path, description = "The portal's slug")),
    request_body = TrainingRuleInput,
    responses(
        (status = 200, description = "The practice portal with its training rule", body = PracticePortalView),
        (status = 400, description = "Malformed body", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "The practice does not use this portal", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Days out of range", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[put("/practice-portals/{portal}/training")]
pub async fn set_rule(
    call: Caller,
    portal: web::Path<String>,
    body: Json<TrainingRuleInput>,
) -> Result<HttpResponse, WireError> {
    let input = body.into_inner();
    let updated = call
        .store()
        .set_training_rule(&portal, input.required, input.valid_days, &call.actor())
        .await?;
    Ok(HttpResponse::Ok().json(PracticePortalView::from(updated)))
}
