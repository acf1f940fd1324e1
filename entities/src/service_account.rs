//! `service_account`: a portal account the practice accepts as nobody's, until a review date.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "service_account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub practice_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub portal_slug: String,
    /// Lower case.
    #[sea_orm(primary_key, auto_increment = false)]
    pub username: String,
    pub reason: String,
    pub review_at: DateTimeUtc,
    pub marked_by: String,
    pub marked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
