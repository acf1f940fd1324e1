//! The guards mounted on `/scim/v2` and `/api/v1`.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};

use super::{AuthError, authenticate};
use crate::domain::scope::Scope;
use crate::http::errors::WireError;
use crate::state::AppState;

/// `/scim/v2`: every request needs the `scim` scope.
pub async fn scim_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    guard(req, next, |_| Some(Scope::Scim)).await
}

/// `/api/v1`: reads need `admin:read`, writes need `admin:write`; `whoami` answers any valid
/// credential so a client can discover what it holds.
pub async fn api_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    guard(req, next, required_api_scope).await
}

fn required_api_scope(req: &ServiceRequest) -> Option<Scope> {
    if req.path().trim_end_matches('/') == "/api/v1/whoami" {
        return None;
    }
    match *req.method() {
        Method::GET | Method::HEAD | Method::OPTIONS => Some(Scope::AdminRead),
        _ => Some(Scope::AdminWrite),
    }
}

async fn guard<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
    required: fn(&ServiceRequest) -> Option<Scope>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
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
