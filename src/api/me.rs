//! `POST /api/v1/me/tokens`: a named administrator mints a token of their own.

use actix_web::{HttpResponse, post};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::errors::WireError;
use crate::http::json::Json;
use crate::state::Caller;
use crate::store::NewToken;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenInput {
    /// A label, e.g. the laptop or tool it is for.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Lifetime in days; without it the token lasts until revoked.
    #[schema(minimum = 1, maximum = 365)]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedTokenView {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The token itself: shown this once, stored only as a hash.
    pub token: String,
}

/// Mint a token for yourself (named administrators only). It acts with your role.
#[utoipa::path(
    tag = "admin",
    request_body = NewTokenInput,
    responses(
        (status = 201, description = "The new token, shown once", body = IssuedTokenView),
        (status = 403, description = "Not a named administrator's credential", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Invalid name or lifetime", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/me/tokens")]
pub async fn create_token(
    call: Caller,
    body: Json<NewTokenInput>,
) -> Result<HttpResponse, WireError> {
    let Some(admin) = call.principal.admin.clone() else {
        return Err(WireError::forbidden(
            "only a named administrator's token can mint tokens; use `portcullis token create --admin`",
        ));
    };
    let input = body.into_inner();
    let unprocessable =
        |detail: &str| WireError::new(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, detail);
    let name = input.name.unwrap_or_else(|| admin.email.clone());
    if name.trim().is_empty() || name.len() > 100 {
        return Err(unprocessable("`name` must be 1 to 100 characters"));
    }
    let now = call.state.clock.now();
    let expires_at = match input.expires_in_days {
        Some(days) if (1..=365).contains(&days) => Some(now + Duration::days(i64::from(days))),
        Some(_) => return Err(unprocessable("`expires_in_days` must be between 1 and 365")),
        None => None,
    };
    let issued = call
        .store()
        .issue_token(
            NewToken {
                name,
                scopes: admin.role.scopes(),
                expires_at,
                admin: Some(admin.id),
            },
            now,
        )
        .await?;
    Ok(HttpResponse::Created().json(IssuedTokenView {
        id: issued.token.id,
        name: issued.token.name.clone(),
        scopes: issued
            .token
            .scopes
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        expires_at: issued.token.expires_at,
        token: issued.text,
    }))
}
