//! `portal_duty`: when a practice last met one of a portal's standing duties, and its
//! corrections of the catalogue's cadence and window.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portal_duty")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub practice_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub portal_slug: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub duty_key: String,
    pub last_met_at: Option<DateTimeUtc>,
    pub met_by: Option<String>,
    pub every_days: Option<i32>,
    pub window_days: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
