//! The practice's access policy (versioned) and SLA settings.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::policy::{PersonFacts, PolicyDocument};
use crate::domain::sla::SlaSettings;
use crate::engine::{access, policy};
use crate::http::errors::WireError;
use crate::state::Caller;
use crate::store::policy::PolicyVersion;

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    /// 0 until a policy is first set.
    pub version: i32,
    pub document: PolicyDocument,
    pub actor: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

impl From<PolicyVersion> for PolicyView {
    fn from(p: PolicyVersion) -> Self {
        Self {
            version: p.version,
            document: p.document,
            actor: p.actor,
            created_at: p.created_at,
        }
    }
}

/// The current access policy.
#[utoipa::path(tag = "admin", responses((status = 200, description = "The current policy", body = PolicyView)))]
#[get("/policy")]
pub async fn current(call: Caller) -> Result<HttpResponse, WireError> {
    Ok(HttpResponse::Ok().json(PolicyView::from(call.store().policy().await?)))
}

/// Every version of the policy, newest first.
#[utoipa::path(tag = "admin", responses((status = 200, description = "Policy versions", body = Vec<PolicyView>)))]
#[get("/policy/history")]
pub async fn history(call: Caller) -> Result<HttpResponse, WireError> {
    let versions: Vec<PolicyView> = call
        .store()
        .policy_history()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(versions))
}

/// Replace the policy. It is checked against the practice's portals first (a problem names the
/// rule at fault); then everyone's access is recomputed and the resulting tasks are created in
/// the same transaction.
#[utoipa::path(
    tag = "admin",
    request_body = PolicyDocument,
    responses(
        (status = 200, description = "Stored as the new current version", body = PolicyView),
        (status = 400, description = "Malformed body", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "A rule names an unknown portal or role, or a portal the practice does not use", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[put("/policy")]
pub async fn replace(
    call: Caller,
    body: web::Json<PolicyDocument>,
) -> Result<HttpResponse, WireError> {
    let document = body.into_inner();
    let store = call.store();
    let portals = store.practice_portals().await?;
    document
        .validate(|slug| {
            portals
                .get(slug)
                .map(|p| p.portal.roles.iter().map(|r| r.slug.clone()).collect())
        })
        .map_err(|e| WireError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    policy::replace_policy(&store, &document, &call.actor()).await?;
    Ok(HttpResponse::Ok().json(PolicyView::from(store.policy().await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    /// An existing person's SCIM id…
    #[serde(default)]
    pub person_id: Option<Uuid>,
    /// …or attributes to try.
    #[serde(default)]
    pub person: Option<PreviewPerson>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PreviewPerson {
    pub title: Option<String>,
    pub department: Option<String>,
    pub division: Option<String>,
    pub cost_center: Option<String>,
    pub employee_type: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    pub portal: String,
    pub role: String,
    /// The rules that grant it.
    pub rules: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    pub policy_version: i32,
    pub grants: Vec<GrantView>,
    /// Would be treated as a vendor or billing-company user.
    pub third_party: bool,
}

/// What a person would get under the current policy, and which rule grants each role.
#[utoipa::path(
    tag = "admin",
    request_body = PreviewInput,
    responses(
        (status = 200, description = "The roles the policy grants", body = PreviewView),
        (status = 404, description = "No such person", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Give person_id or person", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/policy/preview")]
pub async fn preview(
    call: Caller,
    body: web::Json<PreviewInput>,
) -> Result<HttpResponse, WireError> {
    let store = call.store();
    let facts = match body.into_inner() {
        PreviewInput {
            person_id: Some(id),
            person: None,
        } => store.person_facts(id).await?,
        PreviewInput {
            person_id: None,
            person: Some(p),
        } => PersonFacts {
            title: p.title,
            department: p.department,
            division: p.division,
            cost_center: p.cost_center,
            employee_type: p.employee_type,
            groups: p.groups,
        },
        _ => {
            return Err(WireError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "give exactly one of person_id and person",
            ));
        }
    };
    let preview = access::preview(&store, &facts).await?;
    Ok(HttpResponse::Ok().json(PreviewView {
        policy_version: preview.policy_version,
        third_party: preview.third_party,
        grants: preview
            .grants
            .into_iter()
            .map(|g| GrantView {
                portal: g.portal,
                role: g.role,
                rules: g.rules,
            })
            .collect(),
    }))
}

/// The practice's SLAs.
#[utoipa::path(tag = "admin", responses((status = 200, description = "SLA per kind of work", body = SlaSettings)))]
#[get("/settings/sla")]
pub async fn get_sla(call: Caller) -> Result<HttpResponse, WireError> {
    Ok(HttpResponse::Ok().json(call.store().practice().await?.sla))
}

/// Set the practice's SLAs: presets (`1h`, `same_business_day`, `24h`, `72h`), business hours
/// (`4bh`) or ISO 8601 durations (`PT2S`). Applies to tasks created afterwards.
#[utoipa::path(
    tag = "admin",
    request_body = SlaSettings,
    responses(
        (status = 200, description = "Stored", body = SlaSettings),
        (status = 400, description = "Unknown key or invalid SLA", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[put("/settings/sla")]
pub async fn put_sla(
    call: Caller,
    body: web::Json<SlaSettings>,
) -> Result<HttpResponse, WireError> {
    let sla = body.into_inner();
    call.store().set_sla(&sla, &call.actor()).await?;
    Ok(HttpResponse::Ok().json(sla))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationSettings {
    /// A task's verifier must be someone other than whoever completed it.
    pub four_eyes: bool,
}

/// Whether verification needs a second person.
#[utoipa::path(tag = "admin", responses((status = 200, description = "Verification settings", body = VerificationSettings)))]
#[get("/settings/verification")]
pub async fn get_verification(call: Caller) -> Result<HttpResponse, WireError> {
    Ok(HttpResponse::Ok().json(VerificationSettings {
        four_eyes: call.store().practice().await?.four_eyes,
    }))
}

/// Require (or stop requiring) a second person to verify completed tasks.
#[utoipa::path(tag = "admin", request_body = VerificationSettings,
    responses((status = 200, description = "Stored", body = VerificationSettings)))]
#[put("/settings/verification")]
pub async fn put_verification(
    call: Caller,
    body: web::Json<VerificationSettings>,
) -> Result<HttpResponse, WireError> {
    let settings = body.into_inner();
    call.store()
        .set_four_eyes(settings.four_eyes, &call.actor())
        .await?;
    Ok(HttpResponse::Ok().json(settings))
}
