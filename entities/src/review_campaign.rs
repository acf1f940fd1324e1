//! `review_campaign`: an access review: its scope, deadline, reviewers and state.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "review_campaign")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub name: String,
    pub scope: Json,
    /// keep_and_flag or revoke.
    pub no_answer: String,
    /// Portal slug → the administrator id who reviews its items when no manager does.
    pub portal_reviewers: Json,
    pub starts_at: DateTimeUtc,
    pub deadline: DateTimeUtc,
    /// open or closed.
    pub state: String,
    pub period_key: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
