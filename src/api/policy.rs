//! The practice's access policy (versioned) and SLA settings.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, put};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::policy::{PersonFacts, PolicyDocument};
use crate::domain::sla::{SlaChanges, SlaSettings};
use crate::engine::{access, policy};
use crate::http::errors::WireError;
use crate::http::json::Json;
use crate::http::query::Query;
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

list_of!(
    /// Every version of the access policy.
    PolicyHistory,
    PolicyView
);

/// The current access policy.
#[utoipa::path(tag = "admin", responses((status = 200, description = "The current policy", body = PolicyView)))]
#[get("/policy")]
pub async fn current(call: Caller) -> Result<HttpResponse, WireError> {
    Ok(HttpResponse::Ok().json(PolicyView::from(call.store().policy().await?)))
}

/// Every version of the policy, newest first.
#[utoipa::path(tag = "admin", responses((status = 200, description = "Policy versions", body = PolicyHistory)))]
#[get("/policy/history")]
pub async fn history(call: Caller) -> Result<HttpResponse, WireError> {
    let versions: Vec<PolicyView> = call
        .store()
        .policy_history()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(PolicyHistory::whole(versions)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReplaceQuery {
    /// The number of removal tasks the change opens, as the refusal or the preview said:
    /// needed when it would take access from more than the allowed share of the practice's
    /// accounts (`mass_revocation_share`, 20 % by default).
    pub confirm_revocations: Option<usize>,
}

/// Replace the policy. It is checked against the practice's portals first (a problem names the
/// rule at fault); then everyone's access is recomputed and the resulting tasks are created in
/// the same transaction. A change that would open removal tasks for more than the allowed
/// share of the practice's recorded accounts is refused (409, naming the number) unless
/// `confirm_revocations` gives that number.
#[utoipa::path(
    tag = "admin",
    params(ReplaceQuery),
    request_body = PolicyDocument,
    responses(
        (status = 200, description = "Stored as the new current version", body = PolicyView),
        (status = 400, description = "Malformed body or query", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 409, description = "It would revoke more than the allowed share of accounts: repeat with `confirm_revocations` set to the number named", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "A rule names an unknown portal or role, or a portal the practice does not use", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[put("/policy")]
pub async fn replace(
    call: Caller,
    query: Query<ReplaceQuery>,
    body: Json<PolicyDocument>,
) -> Result<HttpResponse, WireError> {
    let document = body.into_inner();
    let store = call.store();
    policy::validate(&store, &document).await?;
    let guard = policy::RevocationGuard {
        max_share: call.state.mass_revocation_share,
        confirmed: query.confirm_revocations,
        based_on: None,
    };
    policy::replace_policy(&store, &document, &call.actor(), guard).await?;
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
    /// A proposed policy: the preview then uses it instead of the current one and says what
    /// replacing the current one would do to everyone (`impact`). Nothing is stored.
    #[serde(default)]
    pub document: Option<PolicyDocument>,
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
    /// The current version, or the version the proposed document would become.
    pub policy_version: i32,
    /// For the person given: the roles the policy grants them.
    pub grants: Vec<GrantView>,
    /// For the person given: would be treated as a vendor or billing-company user.
    pub third_party: bool,
    /// With a proposed `document`: what replacing the policy with it would do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<ImpactView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImpactView {
    /// Removal tasks it would open (deprovisions, and modifications that take roles away).
    pub revocations: usize,
    /// The practice's accounts recorded as active.
    pub accounts: u64,
    /// Whether `PUT /policy` needs `?confirm_revocations=<revocations>` for it.
    pub needs_confirmation: bool,
}

/// What a person would get under the current policy (or a proposed `document`), which rule
/// grants each role, and with a document, how many removal tasks replacing the policy would
/// open: the number `PUT /policy?confirm_revocations=N` confirms. Nothing is stored.
#[utoipa::path(
    tag = "admin",
    request_body = PreviewInput,
    responses(
        (status = 200, description = "The roles the policy grants the person, and with a proposed document what replacing the policy would revoke", body = PreviewView),
        (status = 404, description = "No such person", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Neither a document nor a person, both person_id and person, or a document naming unknown portals or roles", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/policy/preview")]
pub async fn preview(call: Caller, body: Json<PreviewInput>) -> Result<HttpResponse, WireError> {
    let store = call.store();
    let input = body.into_inner();
    let facts = match (input.person_id, input.person) {
        (Some(id), None) => Some(store.person_facts(id).await?),
        (None, Some(p))
            if [
                &p.title,
                &p.department,
                &p.division,
                &p.cost_center,
                &p.employee_type,
            ]
            .into_iter()
            .flatten()
            .chain(&p.groups)
            .any(|v| v.len() > 256)
                || p.groups.len() > 100 =>
        {
            return Err(WireError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "`person` values must be at most 256 bytes, and at most 100 groups",
            ));
        }
        (None, Some(p)) => Some(PersonFacts {
            title: p.title,
            department: p.department,
            division: p.division,
            cost_center: p.cost_center,
            employee_type: p.employee_type,
            groups: p.groups,
        }),
        (None, None) if input.document.is_some() => None,
        _ => {
            return Err(WireError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "give a `document`, or one of `person_id` and `person`, or a document and one of them",
            ));
        }
    };
    let impact = match &input.document {
        Some(document) => {
            policy::validate(&store, document).await?;
            let impact = policy::policy_impact(&store, document, &call.actor()).await?;
            Some(ImpactView {
                revocations: impact.removals,
                accounts: impact.accounts,
                needs_confirmation: impact.exceeds(call.state.mass_revocation_share),
            })
        }
        None => None,
    };
    let preview = match facts {
        Some(facts) => access::preview(&store, &facts, input.document.as_ref()).await?,
        None => access::Preview {
            policy_version: store.policy().await?.version + 1,
            third_party: false,
            grants: Vec::new(),
        },
    };
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
        impact,
    }))
}

/// The practice's SLAs.
#[utoipa::path(tag = "admin", responses((status = 200, description = "SLA per kind of work", body = SlaSettings)))]
#[get("/settings/sla")]
pub async fn get_sla(call: Caller) -> Result<HttpResponse, WireError> {
    Ok(HttpResponse::Ok().json(call.store().practice().await?.sla))
}

/// Change the practice's SLAs. Give any of the five keys; the others keep their values. A
/// value is a duration (`1h`, `2d`, `30m`, `PT2S`), business hours (`4bh`) or
/// `same_business_day`. Applies to tasks created afterwards. Answers with all five.
#[utoipa::path(
    tag = "admin",
    request_body = SlaChanges,
    responses(
        (status = 200, description = "Stored; all five SLAs as they now are", body = SlaSettings),
        (status = 400, description = "Unknown key or invalid SLA (the problem names the key and the rule)", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[put("/settings/sla")]
pub async fn put_sla(call: Caller, body: Json<SlaChanges>) -> Result<HttpResponse, WireError> {
    let store = call.store();
    let sla = store.practice().await?.sla.merged(&body);
    store.set_sla(&sla, &call.actor()).await?;
    Ok(HttpResponse::Ok().json(sla))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationSettings {
    /// A task's verifier must be someone other than whoever completed it. On by default;
    /// only a practice with a single active portal administrator may turn it off, and its
    /// leaver report then marks each self-verified removal (`self_verified`).
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
    responses((status = 200, description = "Stored", body = VerificationSettings),
              (status = 422, description = "Turning four-eyes off while the practice has several portal administrators", content_type = "application/problem+json", body = crate::http::errors::Problem)))]
#[put("/settings/verification")]
pub async fn put_verification(
    call: Caller,
    body: Json<VerificationSettings>,
) -> Result<HttpResponse, WireError> {
    let settings = body.into_inner();
    call.store()
        .set_four_eyes(settings.four_eyes, &call.actor())
        .await?;
    Ok(HttpResponse::Ok().json(settings))
}
