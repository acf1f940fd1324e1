//! `directory_tally`: a practice's live (not deleted) users and groups, for `totalResults`.
//! Kept by database triggers on `scim_user` and `scim_group` (migration 9); never written by
//! the service.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_tally")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub practice_id: Uuid,
    pub live_users: i64,
    pub live_groups: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
