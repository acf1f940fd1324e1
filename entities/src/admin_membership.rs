//! `admin_membership`: an administrator's role in one practice.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_membership")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub admin_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub practice_id: Uuid,
    /// portal_admin, manager or auditor.
    pub role: String,
    pub created_at: DateTimeUtc,
    /// Set when the practice took the administrator off its list; they may no longer act
    /// there, and stay listed as part of the record.
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
