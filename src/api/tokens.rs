//! `GET /api/v1/tokens` and `DELETE /api/v1/tokens/{id}`: the practice's API tokens, and
//! revoking one. Any credential may revoke itself (a leaked IdP token included); a named
//! administrator may revoke their own tokens, and a portal administrator any of the practice's.

use actix_web::{HttpResponse, delete, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Credential;
use crate::domain::admin::AdminRole;
use crate::http::errors::WireError;
use crate::state::Caller;
use crate::store::StoredToken;

/// A token as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    /// The named administrator it belongs to (it acts with their role); absent for a
    /// scope-only token such as an IdP's.
    pub admin_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// Within a minute: the last use is written at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<StoredToken> for TokenView {
    fn from(t: StoredToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            admin_id: t.admin_id,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

list_of!(
    /// The practice's tokens, oldest first.
    TokenList,
    TokenView
);

/// The practice's tokens, revoked and expired ones included (they are part of the record).
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Every token of the practice, oldest first", body = TokenList),
    )
)]
#[get("/tokens")]
pub async fn list(call: Caller) -> Result<HttpResponse, WireError> {
    let tokens: Vec<TokenView> = call
        .store()
        .list_tokens()
        .await?
        .into_iter()
        .map(TokenView::from)
        .collect();
    Ok(HttpResponse::Ok().json(TokenList::whole(tokens)))
}

/// Revoke a token, at once on this instance and within `auth_cache_ttl` on the others. Any
/// credential may revoke itself; an administrator their own tokens; a portal administrator
/// any of the practice's. Revoking a revoked token keeps the first time.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The token's id, as `GET /tokens` and `whoami` show it (also the 32 hex digits after `pcl_` in the token's text)")),
    responses(
        (status = 200, description = "Revoked", body = TokenView),
        (status = 403, description = "Neither your token nor yours to revoke", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "No such token in this practice", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[delete("/tokens/{id}")]
pub async fn revoke(call: Caller, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let id = Uuid::try_parse(&id).map_err(|_| WireError::not_found("token not found"))?;
    let store = call.store();
    let token = store.token(id).await?;
    let is_this_credential =
        matches!(&call.principal.credential, Credential::ApiToken { id: own, .. } if *own == id);
    let allowed = is_this_credential
        || call.principal.admin.as_ref().is_some_and(|admin| {
            admin.role == AdminRole::PortalAdmin || token.admin_id == Some(admin.id)
        });
    if !allowed {
        return Err(WireError::forbidden(
            "you may revoke the token you call with and your own tokens; a portal administrator may revoke any of the practice's",
        ));
    }
    let revoked = store.revoke_token(id, &call.actor()).await?;
    Ok(HttpResponse::Ok().json(TokenView::from(revoked)))
}
