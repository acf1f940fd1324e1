//! `webhook`: a practice's subscription: where to send which events, in which format.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub name: String,
    pub url: String,
    /// Event types as a JSON array; `["*"]` for all.
    pub event_types: Json,
    /// The HMAC signing secret. Never returned by the API, never logged.
    pub secret: String,
    /// json, slack, teams; `email` for the practice's e-mail channel.
    pub format: String,
    /// The e-mail channel's SMTP settings (`domain::mail::SmtpSettings`); `None` for webhooks.
    pub smtp: Option<Json>,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
