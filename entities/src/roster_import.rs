//! `roster_import`: an HR roster, uploaded: previewed, then committed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "roster_import")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub file_name: String,
    /// Hex SHA-256 of the file as uploaded.
    pub sha256: String,
    pub size: i64,
    /// The column mapping used.
    pub columns: Json,
    /// The people read from the file.
    pub people: Json,
    /// What the preview said the roster changes.
    pub plan: Json,
    /// `previewed` or `committed`.
    pub state: String,
    pub previewed_by: String,
    pub previewed_at: DateTimeUtc,
    pub committed_by: Option<String>,
    pub committed_at: Option<DateTimeUtc>,
    /// The number of people no longer listed the committer confirmed (the shrink guard).
    pub confirmed_missing: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
