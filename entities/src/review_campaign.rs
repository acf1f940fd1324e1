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
    /// Reminder offsets before the deadline, in seconds, longest first.
    pub reminders: Option<Json>,
    pub reminders_sent: i32,
    /// When undecided items were escalated to the fallback reviewers.
    pub escalated_at: Option<DateTimeUtc>,
    /// When the sweeper closes it by itself; `None`: an administrator does.
    pub closes_at: Option<DateTimeUtc>,
    /// When the sweeper next looks at it.
    pub next_alert_at: Option<DateTimeUtc>,
    /// Closed, and every removal verified.
    pub completed_at: Option<DateTimeUtc>,
    /// The report at completion, byte for byte; its SHA-256 is in the audit trail.
    pub completed_report: Option<String>,
    pub report_sha256: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
