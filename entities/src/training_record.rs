//! `training_record`: a person's training for one portal, the recording that counts (earlier
//! ones are in the audit trail).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_record")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub practice_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub portal_slug: String,
    pub completed_at: DateTimeUtc,
    /// When it lapses; `None`: never.
    pub expires_at: Option<DateTimeUtc>,
    /// How it was recorded: "console", "api", "task", or "SCIM group <name>".
    pub source: String,
    pub recorded_by: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
