//! `GET /api/v1/whoami`: what the presented credential is and may do.

use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Credential, Principal};

#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    pub practice: PracticeSummary,
    /// Scopes the credential holds: `scim`, `admin:read`, `admin:write`.
    pub scopes: Vec<String>,
    pub credential: CredentialSummary,
    /// The named administrator behind the credential, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<AdminSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminSummary {
    pub name: String,
    pub email: String,
    /// portal_admin, manager or auditor.
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeSummary {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CredentialSummary {
    /// A Portcullis API token.
    ApiToken { id: Uuid, name: String },
    /// A JWT from a configured issuer.
    Jwt { issuer: String, subject: String },
}

/// Describe the calling credential. Any valid credential may call this, whatever its scopes.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "The credential's practice, scopes and identity", body = WhoAmI),
        (status = 401, description = "Missing, unknown, revoked or expired credential", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 429, description = "Rate limit exceeded; see Retry-After", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/whoami")]
pub async fn whoami(principal: Principal) -> HttpResponse {
    let credential = match principal.credential {
        Credential::ApiToken { id, name } => CredentialSummary::ApiToken { id, name },
        Credential::Jwt { issuer, subject } => CredentialSummary::Jwt { issuer, subject },
    };
    HttpResponse::Ok().json(WhoAmI {
        practice: PracticeSummary {
            id: principal.practice_id.as_uuid(),
            slug: principal.practice_slug.to_string(),
            name: principal.practice_name,
        },
        scopes: principal
            .scopes
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        credential,
        admin: principal.admin.map(|a| AdminSummary {
            name: a.name,
            email: a.email,
            role: a.role.to_string(),
        }),
    })
}
