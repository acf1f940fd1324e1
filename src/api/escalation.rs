//! The practice's escalation policy: reminder ladder, escalation chain, quiet hours, digest.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, put};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::escalation::EscalationPolicy;
use crate::http::errors::WireError;
use crate::http::json::Json;
use crate::state::Caller;
use crate::store::escalation::EscalationPolicyVersion;

#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationPolicyView {
    /// 0 until one is first set (the defaults apply).
    pub version: i32,
    pub document: EscalationPolicy,
    pub actor: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

impl From<EscalationPolicyVersion> for EscalationPolicyView {
    fn from(p: EscalationPolicyVersion) -> Self {
        Self {
            version: p.version,
            document: p.document,
            actor: p.actor,
            created_at: p.created_at,
        }
    }
}

list_of!(
    /// Every version of the escalation policy.
    EscalationPolicyHistory,
    EscalationPolicyView
);

/// The current escalation policy.
#[utoipa::path(tag = "admin", responses((status = 200, description = "The current escalation policy", body = EscalationPolicyView)))]
#[get("/escalation-policy")]
pub async fn current(call: Caller) -> Result<HttpResponse, WireError> {
    Ok(HttpResponse::Ok().json(EscalationPolicyView::from(
        call.store().escalation_policy().await?,
    )))
}

/// Every version of the escalation policy, newest first.
#[utoipa::path(tag = "admin", responses((status = 200, description = "Escalation policy versions", body = EscalationPolicyHistory)))]
#[get("/escalation-policy/history")]
pub async fn history(call: Caller) -> Result<HttpResponse, WireError> {
    let versions: Vec<EscalationPolicyView> = call
        .store()
        .escalation_policy_history()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(EscalationPolicyHistory::whole(versions)))
}

/// Replace the escalation policy. Open tasks keep the steps already taken; their next alert is
/// worked out again under the new policy at the next sweep.
#[utoipa::path(
    tag = "admin",
    request_body = EscalationPolicy,
    responses(
        (status = 200, description = "Stored as the new current version", body = EscalationPolicyView),
        (status = 400, description = "Malformed body (names the field at fault)", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Reminders out of order or out of range, or an empty chain", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[put("/escalation-policy")]
pub async fn replace(
    call: Caller,
    body: Json<EscalationPolicy>,
) -> Result<HttpResponse, WireError> {
    let document = body.into_inner();
    document
        .check()
        .map_err(|e| WireError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let store = call.store();
    store
        .replace_escalation_policy(&document, &call.actor(), None)
        .await?;
    Ok(HttpResponse::Ok().json(EscalationPolicyView::from(store.escalation_policy().await?)))
}
