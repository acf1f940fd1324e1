//! `scim_group`: a group, as provisioned over SCIM (e.g. Okta Group Push).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_group")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub display_name: String,
    /// Lowercased `display_name`; unique per practice among live groups.
    pub display_name_key: String,
    pub external_id: Option<String>,
    /// The SCIM attributes as stored (canonical names, no nulls).
    pub attributes: Json,
    /// `attributes` with case-insensitive strings lowercased; filters compare against it.
    pub search: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
