//! A practice portal's standing duties (`/api/v1/practice-portals/{portal}/duties`): user
//! and administrator recertifications and training, each with its cadence, window,
//! consequence, when it was last met and when it is next due; recording one met, and
//! correcting a cadence or window a source contradicts.

use actix_web::{HttpResponse, get, put, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::errors::WireError;
use crate::http::instant::{PeriodEdge, instant_param};
use crate::http::json::Json;
use crate::state::Caller;
use crate::store::duties::{DutyChange, PortalDuty};

list_of!(
    /// A portal's duties, soonest deadline first.
    DutyList,
    PortalDuty
);

/// The portal's duties with their deadlines.
#[utoipa::path(
    tag = "admin",
    params(("portal" = String, Path, description = "The portal's slug")),
    responses(
        (status = 200, description = "Duties", body = DutyList),
        (status = 404, description = "The practice does not use this portal", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/practice-portals/{portal}/duties")]
pub async fn list(call: Caller, portal: web::Path<String>) -> Result<HttpResponse, WireError> {
    let duties = call
        .store()
        .duties(Some(&portal), call.state.clock.now())
        .await?;
    Ok(HttpResponse::Ok().json(DutyList::whole(duties)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyInput {
    /// When it was last met: a date (the practice's time zone) or RFC 3339, not in the future.
    pub last_met_at: Option<String>,
    /// Days between deadlines, where the practice knows better than the catalogue; left out
    /// or null: the catalogue's.
    pub every_days: Option<u32>,
    /// Days before the deadline the window opens; left out or null: the catalogue's.
    pub window_days: Option<u32>,
}

/// Record a duty met (`last_met_at`; left out, the record stands) and set the practice's
/// cadence and window (left out: the catalogue's). Audited.
#[utoipa::path(
    tag = "admin",
    params(
        ("portal" = String, Path, description = "The portal's slug"),
        ("key" = String, Path, description = "The duty's key, e.g. user-recertification"),
    ),
    request_body = DutyInput,
    responses(
        (status = 200, description = "The duty as it now stands", body = PortalDuty),
        (status = 400, description = "Malformed body or date", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "No such duty for this portal", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "A date in the future, or days out of range", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[put("/practice-portals/{portal}/duties/{key}")]
pub async fn change(
    call: Caller,
    path: web::Path<(String, String)>,
    body: Json<DutyInput>,
) -> Result<HttpResponse, WireError> {
    let (portal, key) = path.into_inner();
    let input = body.into_inner();
    let store = call.store();
    let tz = store.practice().await?.time_zone.tz();
    let change = DutyChange {
        last_met_at: instant_param(
            "last_met_at",
            input.last_met_at.as_deref(),
            tz,
            PeriodEdge::Start,
        )?,
        every_days: input.every_days,
        window_days: input.window_days,
    };
    let duty = store
        .change_duty(&portal, &key, change, &call.actor())
        .await?;
    Ok(HttpResponse::Ok().json(duty))
}
