//! `review_item`: one account in a campaign's snapshot, its reviewer and the decision.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "review_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub campaign_id: Uuid,
    pub person_id: Uuid,
    pub account_id: Uuid,
    pub portal_slug: String,
    pub username: Option<String>,
    pub roles: Json,
    /// What the reviewer sees about the person and the account, as of the snapshot.
    pub context: Json,
    pub reviewer_id: Option<Uuid>,
    pub reviewer_source: Option<String>,
    pub decision: Option<String>,
    pub removed_roles: Option<Json>,
    pub comment: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub outcome: Option<String>,
    /// Who handed the item to its current reviewer, and when.
    pub delegated_by: Option<String>,
    pub delegated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
