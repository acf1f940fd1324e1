//! The portal catalogue and the practice's portals ("carrier mapping": which portals the
//! practice uses, as which organization, with which limits and deadlines).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::catalog::Portal;
use crate::domain::sla::SlaOverrides;
use crate::domain::training::TrainingRule;
use crate::engine::portals::checked;
use crate::http::conditional::if_match;
use crate::http::errors::WireError;
use crate::http::json::Json;
use crate::state::Caller;
use crate::store::portals::{OrgScope, PracticePortal, PracticePortalWrite};

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogView {
    /// Version of the catalogue file.
    pub version: String,
    /// Every portal in the catalogue.
    pub items: Vec<Portal>,
    /// Always `null`: the catalogue comes whole.
    pub next_cursor: Option<String>,
}

/// The carrier portal catalogue shipped with Portcullis.
#[utoipa::path(
    tag = "admin",
    responses((status = 200, description = "Every portal Portcullis knows, with roles and rules", body = CatalogView))
)]
#[get("/portals")]
pub async fn catalog(call: Caller) -> HttpResponse {
    let catalog = call.state.store.catalog();
    HttpResponse::Ok().json(CatalogView {
        version: catalog.version.clone(),
        items: catalog.portals.clone(),
        next_cursor: None,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PracticePortalView {
    pub id: Uuid,
    /// The portal's slug (the key in policy rules).
    pub portal: String,
    /// Defined by the practice rather than the catalogue.
    pub custom: bool,
    pub definition: Portal,
    pub org_scope: OrgScope,
    pub min_admins: Option<u32>,
    pub max_admins: Option<u32>,
    /// Task kind → SLA (preset or ISO 8601 duration), overriding the practice's.
    #[schema(value_type = Object)]
    pub sla_overrides: SlaOverrides,
    /// Training before access as it applies here (the catalogue's rule with the practice's
    /// choices over it; `PUT /api/v1/practice-portals/{portal}/training` sets them).
    pub training: TrainingRule,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<PracticePortal> for PracticePortalView {
    fn from(p: PracticePortal) -> Self {
        Self {
            id: p.id,
            portal: p.portal.slug.clone(),
            custom: p.custom,
            definition: p.portal,
            org_scope: p.org_scope,
            min_admins: p.min_admins,
            max_admins: p.max_admins,
            sla_overrides: p.sla_overrides,
            training: p.training,
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        }
    }
}

list_of!(
    /// The practice's portals.
    PracticePortalList,
    PracticePortalView
);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticePortalInput {
    /// A catalogue slug, or the slug of the practice's own portal given in `definition`.
    pub portal: String,
    /// For a portal not in the catalogue: its name, URL and roles.
    #[serde(default)]
    pub definition: Option<Portal>,
    #[serde(default)]
    pub org_scope: OrgScope,
    #[serde(default)]
    pub min_admins: Option<u32>,
    #[serde(default)]
    pub max_admins: Option<u32>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub sla_overrides: SlaOverrides,
    /// Where this practice signs in, if not the catalogue URL.
    #[serde(default)]
    #[schema(max_length = 2048)]
    pub url: Option<String>,
}

/// The input as a write, checked by the engine's rules (`engine::portals`).
fn validate(call: &Caller, input: PracticePortalInput) -> Result<PracticePortalWrite, WireError> {
    let write = PracticePortalWrite {
        portal_slug: input.portal,
        custom: input.definition,
        org_scope: input.org_scope,
        min_admins: input.min_admins,
        max_admins: input.max_admins,
        sla_overrides: input.sla_overrides,
        url: input.url,
    };
    Ok(checked(call.state.store.catalog(), write)?)
}

/// The portals the practice uses.
#[utoipa::path(
    tag = "admin",
    responses((status = 200, description = "The practice's portals", body = PracticePortalList))
)]
#[get("/practice-portals")]
pub async fn list(call: Caller) -> Result<HttpResponse, WireError> {
    let portals: Vec<PracticePortalView> = call
        .store()
        .practice_portals()
        .await?
        .into_values()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(PracticePortalList::whole(portals)))
}

/// Start using a portal (a catalogue portal, or the practice's own).
#[utoipa::path(
    tag = "admin",
    request_body = PracticePortalInput,
    responses(
        (status = 201, description = "Added", body = PracticePortalView),
        (status = 400, description = "Malformed body", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 409, description = "The practice already uses this portal", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Unknown portal, bad identifiers or SLA", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/practice-portals")]
pub async fn add(call: Caller, body: Json<PracticePortalInput>) -> Result<HttpResponse, WireError> {
    let write = validate(&call, body.into_inner())?;
    let added = call
        .store()
        .add_practice_portal(write, &call.actor())
        .await?;
    Ok(HttpResponse::Created().json(PracticePortalView::from(added)))
}

/// One of the practice's portals.
#[utoipa::path(
    tag = "admin",
    params(("portal" = String, Path, description = "The portal's slug")),
    responses(
        (status = 200, description = "The practice portal", body = PracticePortalView),
        (status = 404, description = "The practice does not use this portal", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/practice-portals/{portal}")]
pub async fn get_one(call: Caller, portal: web::Path<String>) -> Result<HttpResponse, WireError> {
    let portal = call
        .store()
        .practice_portals()
        .await?
        .remove(portal.as_str())
        .ok_or_else(|| WireError::not_found("the practice does not use this portal"))?;
    Ok(HttpResponse::Ok().json(PracticePortalView::from(portal)))
}

/// Change a practice portal's org scope, limits, SLA overrides or URL. `If-Match` with the
/// version guards against overwriting someone else's change.
#[utoipa::path(
    tag = "admin",
    params(("portal" = String, Path, description = "The portal's slug")),
    request_body = PracticePortalInput,
    responses(
        (status = 200, description = "Updated", body = PracticePortalView),
        (status = 404, description = "The practice does not use this portal", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 412, description = "If-Match does not name the current version", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Invalid values", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[put("/practice-portals/{portal}")]
pub async fn update(
    call: Caller,
    req: HttpRequest,
    portal: web::Path<String>,
    body: Json<PracticePortalInput>,
) -> Result<HttpResponse, WireError> {
    let input = body.into_inner();
    if input.portal != *portal {
        return Err(WireError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`portal` in the body must match the path",
        ));
    }
    let write = validate(&call, input)?;
    let expected = if_match(req.headers());
    let updated = call
        .store()
        .update_practice_portal(write, expected, &call.actor())
        .await?;
    Ok(HttpResponse::Ok().json(PracticePortalView::from(updated)))
}
