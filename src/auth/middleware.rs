//! The guards mounted on `/scim/v2` and `/api/v1`.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};

use super::Authenticator;
use super::{AuthError, authenticate};
use crate::domain::admin::Need;
use crate::domain::scope::Scope;
use crate::http::errors::WireError;

/// `/scim/v2`: every request needs the `scim` scope.
pub async fn scim_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    guard(req, next, |_| Some(Scope::Scim)).await
}

/// `/api/v1`: reads need `admin:read`, writes need `admin:write`; `whoami` answers any valid
/// credential so a client can discover what it holds. Named administrators' roles narrow this
/// further (`role_need`).
pub async fn api_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    guard(req, next, required_api_scope).await
}

fn required_api_scope(req: &ServiceRequest) -> Option<Scope> {
    // Any valid credential may ask who it is, and an administrator (even an auditor) may mint
    // their own token (the handler checks it is an administrator's credential).
    let path = req.path().trim_end_matches('/');
    if path == "/api/v1/whoami" || path == "/api/v1/me/tokens" || is_token_revocation(req) {
        return None;
    }
    match *req.method() {
        Method::GET | Method::HEAD | Method::OPTIONS => Some(Scope::AdminRead),
        _ => Some(Scope::AdminWrite),
    }
}

/// What a request needs from a named administrator's role: reading is for everyone;
/// reassigning and cancelling, and running and deciding access reviews, is oversight
/// (managers too); every other write is operating the
/// queue (portal administrators); minting one's own token is open to every administrator.
fn role_need(req: &ServiceRequest) -> Need {
    let path = req.path().trim_end_matches('/');
    match *req.method() {
        Method::GET | Method::HEAD | Method::OPTIONS => Need::Read,
        _ if path == "/api/v1/me/tokens" || is_token_revocation(req) => Need::Read,
        _ if path.ends_with("/reassign") || path.ends_with("/cancel") => Need::Oversee,
        // Access reviews are run and decided by managers and compliance officers too.
        _ if path.starts_with("/api/v1/reviews") => Need::Oversee,
        _ => Need::Operate,
    }
}

/// `DELETE /api/v1/tokens/{id}`: any credential may revoke itself, whatever its scopes or role;
/// the handler decides whose else.
fn is_token_revocation(req: &ServiceRequest) -> bool {
    *req.method() == Method::DELETE && req.path().starts_with("/api/v1/tokens/")
}

/// Acts that are a person's decision and stay in the audit trail under their name: working a
/// task (claim, complete, verify, fail, reopen, cancel, reassign, upload evidence, bulk),
/// recording what a person holds in a portal, and importing a portal's user list (which
/// verifies and reopens tasks) or deciding what a listed account is. Only a credential tied to a named administrator
/// may do them; scope-only tokens (an IdP's included) keep configuration and reads. DESIGN.md:
/// unique credentials, individual accountability.
fn is_personal_act(req: &ServiceRequest) -> bool {
    let path = req.path().trim_end_matches('/');
    *req.method() == Method::POST
        && (path.starts_with("/api/v1/tasks/")
            || (path.starts_with("/api/v1/people/") && path.ends_with("/accounts"))
            || (path.starts_with("/api/v1/practice-portals/")
                && (path.contains("/imports")
                    || path.ends_with("/accounts/link")
                    || path.ends_with("/service-accounts")))
            || path.starts_with("/api/v1/reviews")
            || path.starts_with("/api/v1/roster/"))
}

async fn guard<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
    required: fn(&ServiceRequest) -> Option<Scope>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let Some(state) = req.app_data::<web::Data<Authenticator>>().cloned() else {
        return Ok(reject(req, WireError::unavailable()));
    };
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let principal = match authenticate(&state, header).await {
        Ok(principal) => principal,
        Err(err) => return Ok(reject(req, err.to_wire())),
    };
    if let Some(scope) = required(&req)
        && !principal.scopes.contains(scope)
    {
        return Ok(reject(req, AuthError::MissingScope(scope).to_wire()));
    }
    match &principal.admin {
        Some(admin) if !admin.role.allows(role_need(&req)) => {
            return Ok(reject(req, AuthError::RoleForbids(admin.role).to_wire()));
        }
        None if is_personal_act(&req) => {
            return Ok(reject(req, AuthError::NotAPerson.to_wire()));
        }
        _ => {}
    }
    if let Err(retry_after) = state.limiter.check(&principal.rate_limit_key()) {
        return Ok(reject(req, WireError::too_many_requests(retry_after)));
    }
    req.extensions_mut().insert(principal);
    Ok(next.call(req).await?.map_into_left_body())
}

fn reject<B>(req: ServiceRequest, error: WireError) -> ServiceResponse<EitherBody<B>> {
    req.into_response(error.error_response())
        .map_into_right_body()
}
