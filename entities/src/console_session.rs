//! `console_session`: a signed-in console session, by the SHA-256 of its cookie's secret.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub secret_sha256: Vec<u8>,
    pub id: Uuid,
    pub admin_id: Uuid,
    /// The practice being worked in now.
    pub practice_id: Uuid,
    /// `link` or `oidc`.
    pub method: String,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    /// The absolute limit (`console.session_max_age` after sign-in).
    pub expires_at: DateTimeUtc,
    /// Signed out, or ended by deactivation.
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
