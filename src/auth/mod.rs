//! Who is calling, for which practice, with which scopes; and how often.
//!
//! [`middleware::scim_guard`] and [`middleware::api_guard`] wrap the protected scopes: they turn
//! the `Authorization` header into a [`Principal`], check the scope the route needs, apply the
//! per-credential rate limit, and put the principal in the request for the [`Principal`]
//! extractor and the [`Caller`] extractor built from it. Handlers never look at headers.

pub mod jwks;
pub mod jwt;
pub mod middleware;
pub mod oidc;
pub mod ratelimit;

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::clock::SharedClock;
use crate::domain::admin::AdminRole;
use crate::domain::practice::PracticeSlug;
use crate::domain::scope::{Scope, Scopes};
use crate::domain::token;
use crate::http::errors::WireError;
use crate::store::{PracticeId, Store, StoreError};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub practice_id: PracticeId,
    pub practice_slug: PracticeSlug,
    pub practice_name: String,
    pub scopes: Scopes,
    pub credential: Credential,
    /// The named administrator behind the credential, with their role in this practice.
    pub admin: Option<AdminIdentity>,
}

#[derive(Debug, Clone)]
pub struct AdminIdentity {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: AdminRole,
}

/// Which credential authenticated the request.
#[derive(Debug, Clone)]
pub enum Credential {
    ApiToken { id: Uuid, name: String },
    Jwt { issuer: String, subject: String },
}

impl Principal {
    /// How change records and logs name this caller: never a secret.
    pub fn actor(&self) -> String {
        if let Some(admin) = &self.admin {
            return crate::domain::actor::admin_actor_name(&admin.name, &admin.email, admin.role);
        }
        match &self.credential {
            Credential::ApiToken { id, name } => format!("token {name} ({id})"),
            Credential::Jwt { issuer, subject } => format!("jwt {subject} ({issuer})"),
        }
    }

    /// The rate-limit bucket: one per credential, never per IP (IdPs share egress ranges).
    pub fn rate_limit_key(&self) -> String {
        match &self.credential {
            Credential::ApiToken { id, .. } => format!("token:{id}"),
            Credential::Jwt { issuer, subject } => format!("jwt:{issuer}:{subject}"),
        }
    }
}

/// Why a request was not let in.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token: send `Authorization: Bearer <token>`")]
    Missing,
    #[error("invalid bearer token")]
    Invalid,
    #[error("this token has been revoked")]
    Revoked,
    #[error("this token has expired")]
    Expired,
    #[error("invalid bearer token: {0}")]
    Jwt(#[from] jwt::JwtError),
    #[error("this credential lacks the `{0}` scope needed here")]
    MissingScope(Scope),
    #[error("the `{0}` role cannot do this")]
    RoleForbids(AdminRole),
    #[error(
        "this is a person's decision: use a named administrator's own token (`portcullis token create --admin EMAIL` or `POST /api/v1/me/tokens`); this credential is not tied to anyone"
    )]
    NotAPerson,
    #[error("authentication is unavailable")]
    Store(#[from] StoreError),
}

impl AuthError {
    pub fn to_wire(&self) -> WireError {
        match self {
            AuthError::MissingScope(_) | AuthError::RoleForbids(_) | AuthError::NotAPerson => {
                WireError::forbidden(self.to_string())
            }
            AuthError::Store(_) => WireError::unavailable(),
            AuthError::Jwt(inner) => {
                // The precise reason is for the operator's log, not for whoever holds the token.
                tracing::info!(reason = %inner, "JWT refused");
                WireError::unauthorized("invalid bearer token".to_owned())
            }
            _ => WireError::unauthorized(self.to_string()),
        }
    }
}

/// What the request guard needs: the credentials (store, JWT issuers), the clock, and the
/// per-credential rate limiter. Registered as app data of its own, so `auth` depends on
/// nothing the handlers' state is built from.
#[derive(Debug)]
pub struct Authenticator {
    pub store: Store,
    pub clock: SharedClock,
    pub jwt: jwt::JwtVerifier,
    /// Shared with housekeeping, which forgets idle buckets.
    pub limiter: std::sync::Arc<ratelimit::CredentialLimiter>,
}

/// Turns an `Authorization` header value into a principal.
pub async fn authenticate(
    state: &Authenticator,
    authorization: Option<&str>,
) -> Result<Principal, AuthError> {
    let bearer = authorization
        .and_then(|value| {
            let (scheme, rest) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty())
        .ok_or(AuthError::Missing)?;
    let now = state.clock.now();
    if token::looks_like_api_token(bearer) {
        authenticate_api_token(state, bearer, now).await
    } else if !state.jwt.is_empty() && bearer.matches('.').count() == 2 {
        authenticate_jwt(state, bearer, now).await
    } else {
        Err(AuthError::Invalid)
    }
}

async fn authenticate_api_token(
    state: &Authenticator,
    bearer: &str,
    now: DateTime<Utc>,
) -> Result<Principal, AuthError> {
    let presented = token::parse(bearer).ok_or(AuthError::Invalid)?;
    let credential = state
        .store
        .token_credential(presented.id)
        .await?
        .ok_or(AuthError::Invalid)?;
    let (stored, practice) = (credential.token, credential.practice);
    if !presented.matches(&stored.secret_sha256) {
        return Err(AuthError::Invalid);
    }
    // Only a holder of the real secret learns why a known token is refused.
    if stored.revoked_at.is_some() {
        return Err(AuthError::Revoked);
    }
    if stored.is_expired(now) {
        return Err(AuthError::Expired);
    }
    // A named administrator's token acts with their role, while they hold one here.
    let admin = credential
        .admin
        .map_err(|_| AuthError::Revoked)?
        .map(|(who, role)| AdminIdentity {
            id: who.id,
            name: who.name,
            email: who.email,
            role,
        });
    state.store.note_credential_used(&stored, now).await?;
    Ok(Principal {
        admin,
        practice_id: practice.id,
        practice_slug: practice.slug,
        practice_name: practice.name.as_str().to_owned(),
        scopes: stored.scopes,
        credential: Credential::ApiToken {
            id: stored.id,
            name: stored.name,
        },
    })
}

async fn authenticate_jwt(
    state: &Authenticator,
    bearer: &str,
    now: DateTime<Utc>,
) -> Result<Principal, AuthError> {
    let identity = state.jwt.verify(bearer, now).await?;
    let practice = match state.store.practice_by_slug(&identity.practice).await {
        Ok(practice) => practice,
        Err(StoreError::NotFound(_)) => return Err(jwt::JwtError::NoPractice.into()),
        Err(other) => return Err(other.into()),
    };
    Ok(Principal {
        practice_id: practice.id,
        practice_slug: practice.slug,
        practice_name: practice.name.as_str().to_owned(),
        scopes: identity.scopes,
        admin: None,
        credential: Credential::Jwt {
            issuer: identity.issuer,
            subject: identity.subject,
        },
    })
}

/// Handlers take a `Principal` argument; the guard middleware has already put it there.
impl FromRequest for Principal {
    type Error = WireError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Absent only if a route was mounted outside the guarded scopes: a programming error,
        // answered as 401 rather than trusting an unauthenticated request.
        ready(
            req.extensions()
                .get::<Principal>()
                .cloned()
                .ok_or_else(|| AuthError::Missing.to_wire()),
        )
    }
}
