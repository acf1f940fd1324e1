//! The caller of a protected request, as handlers see it.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::AppState;
use crate::auth::Principal;
use crate::domain::actor::Actor;
use crate::http::errors::WireError;
use crate::http::request_id::RequestId;
use crate::store::TenantStore;

/// The authenticated caller of a SCIM or admin API request, with what handlers need from it:
/// its practice's store, the clock, and how to name it in records.
#[derive(Debug)]
pub struct Caller {
    pub state: web::Data<AppState>,
    pub principal: Principal,
    request_id: Option<String>,
    actor_name: String,
}

impl FromRequest for Caller {
    type Error = WireError;
    type Future = Ready<Result<Self, WireError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let principal = req.extensions().get::<Principal>().cloned();
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.as_str().to_owned());
        ready(match (state, principal) {
            (Some(state), Some(principal)) => Ok(Self {
                actor_name: principal.actor(),
                state,
                principal,
                request_id,
            }),
            _ => Err(WireError::unauthorized("missing bearer token")),
        })
    }
}

impl Caller {
    /// The caller's practice: the only data a request can reach.
    pub fn store(&self) -> TenantStore<'_> {
        self.state.store.tenant(self.principal.practice_id)
    }

    /// `https://host/scim/v2`, for `meta.location` and `$ref`s.
    pub fn base_url(&self) -> String {
        format!("{}/scim/v2", self.state.public_url)
    }

    /// Who this request acts as, in change and audit records: the credential's name (the
    /// named administrator behind it, where there is one), the request id, and now.
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.actor_name.clone(),
            admin_email: self.principal.admin.as_ref().map(|a| a.email.clone()),
            request_id: self.request_id.clone(),
            at: self.state.clock.now(),
        }
    }
}
