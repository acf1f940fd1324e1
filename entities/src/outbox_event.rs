//! `outbox_event`: a notification recorded in the transaction that decided it (a reminder, an
//! overdue alert, a digest …), before anything is sent.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    /// Unique per practice, e.g. `task:<id>:overdue`.
    pub event_key: String,
    pub event_type: String,
    pub task_id: Option<Uuid>,
    /// The documented JSON event, as webhooks in the `json` format receive it.
    pub payload: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
