//! `console_oidc_login`: an OpenID Connect sign-in in flight, by the SHA-256 of its `state`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_oidc_login")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_sha256: Vec<u8>,
    pub practice_id: Uuid,
    /// SHA-256 of the cookie set on the browser that started the sign-in.
    pub browser_sha256: Vec<u8>,
    /// Must come back in the ID token.
    pub nonce: String,
    /// The PKCE verifier the code is redeemed with.
    pub code_verifier: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set once, when the provider's answer comes back; a used state signs nobody in again.
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
