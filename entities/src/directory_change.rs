//! `directory_change`: what a SCIM write changed, recorded in the same transaction, for the
//! lifecycle engine to turn into joiner/mover/leaver work.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_change")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub practice_id: Uuid,
    /// `User` or `Group`.
    pub resource_type: String,
    pub resource_id: Uuid,
    /// `created`, `updated` or `deleted`.
    pub action: String,
    /// The role-relevant state before the change (users: active, title, department, …;
    /// groups: displayName and member ids).
    pub before: Option<Json>,
    pub after: Option<Json>,
    /// The credential that made the change.
    pub actor: String,
    pub request_id: Option<String>,
    pub at: DateTimeUtc,
    /// Set when the lifecycle engine has consumed the change.
    pub processed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
