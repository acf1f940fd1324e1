//! `console_sign_in_link`: a one-time console sign-in link, by the SHA-256 of its secret.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_sign_in_link")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub secret_sha256: Vec<u8>,
    pub id: Uuid,
    pub admin_id: Uuid,
    pub practice_id: Uuid,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set once, when the link is used; a used link signs nobody in again.
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
