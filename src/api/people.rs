//! A person's access: what policy grants, what they have, what is pending; and recording the
//! accounts they already hold.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Task, task_view};
use crate::domain::lifecycle::Account;
use crate::domain::task::TaskState;
use crate::engine::access::{self as person_access, PortalAccess};
use crate::engine::accounts;
use crate::http::errors::WireError;
use crate::http::json::Json;
use crate::state::Caller;
use crate::store::tasks::TaskFilter;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// The practice portal's slug.
    pub portal: String,
    pub username: Option<String>,
    /// Role slugs the account holds.
    pub roles: Vec<String>,
    /// The person also works for other organizations on this portal.
    #[serde(default)]
    pub other_affiliations: bool,
}

pub(super) fn person_id(raw: &str) -> Result<Uuid, WireError> {
    Uuid::try_parse(raw).map_err(|_| WireError::not_found("person not found"))
}

/// Record an account the person already holds. If policy does not grant it, the task to
/// remove or change it is created at once.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The person's SCIM id")),
    request_body = AccountInput,
    responses(
        (status = 200, description = "Recorded; the person's access after reconciliation", body = AccessView),
        (status = 404, description = "No such person", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Unknown portal or role", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/people/{id}/accounts")]
pub async fn record_account(
    call: Caller,
    id: web::Path<String>,
    body: Json<AccountInput>,
) -> Result<HttpResponse, WireError> {
    let person = person_id(&id)?;
    let input = body.into_inner();
    let store = call.store();
    accounts::record_account(
        &store,
        person,
        Account {
            portal: input.portal,
            username: input.username,
            roles: input.roles.into_iter().collect(),
            other_affiliations: input.other_affiliations,
        },
        &call.actor(),
    )
    .await?;
    access_view(&call, person).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessView {
    pub person_id: Uuid,
    pub portals: Vec<PortalAccess>,
    /// Tasks still to do for this person.
    pub open_tasks: Vec<Task>,
}

/// Desired versus actual access, per portal, with the open tasks.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The person's SCIM id")),
    responses(
        (status = 200, description = "The person's access", body = AccessView),
        (status = 404, description = "No such person", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/people/{id}/access")]
pub async fn access(call: Caller, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    access_view(&call, person_id(&id)?).await
}

async fn access_view(call: &Caller, person: Uuid) -> Result<HttpResponse, WireError> {
    let store = call.store();
    let views = person_access::person_access(&store, person).await?;
    let portals = store.practice_portals().await?;
    let now = call.state.clock.now();
    let open = store
        .tasks(&TaskFilter {
            person: Some(person),
            states: TaskState::OPEN.to_vec(),
            limit: 200,
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|t| task_view(t, &portals, now))
        .collect();
    Ok(HttpResponse::Ok().json(AccessView {
        person_id: person,
        portals: views,
        open_tasks: open,
    }))
}
