//! `task`: one unit of manual work in one portal for one person, with its deadline.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "task")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    /// The person whose access the task changes; `None` for work on a portal as a whole
    /// (a recertification).
    pub person_id: Option<Uuid>,
    pub portal_slug: Option<String>,
    pub kind: String,
    /// open, claimed, done, verified, failed, cancelled.
    pub state: String,
    pub roles_add: Json,
    pub roles_remove: Json,
    /// What to do, where, in words.
    pub action: String,
    /// joiner, mover, leaver, rehire, policy, account_record.
    pub cause: String,
    pub event_id: Uuid,
    pub policy_version: Option<i32>,
    pub due_at: DateTimeUtc,
    pub blocked_by: Option<Uuid>,
    pub assignee: Option<String>,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<DateTimeUtc>,
    pub done_by: Option<String>,
    pub done_at: Option<DateTimeUtc>,
    pub verified_by: Option<String>,
    pub verified_at: Option<DateTimeUtc>,
    pub evidence: Option<Json>,
    pub outcome: Option<String>,
    /// Why it was cancelled or failed.
    pub reason: Option<String>,
    /// Escalation steps taken: 0 none, 1 the overdue alert, 2… each further contact.
    pub escalation_level: i32,
    /// Reminders sent before the deadline (the ladder's earlier steps).
    pub reminders_sent: i32,
    /// When the sweeper next looks at this task; NULL: not worked out yet.
    pub next_alert_at: Option<DateTimeUtc>,
    /// The portal duty a `recertify` task meets.
    pub duty_key: Option<String>,
    /// What must happen before it can be done: "training" (the person's training for the
    /// portal); `None`: nothing.
    pub waiting_for: Option<String>,
    /// The portal account a task on no known person is about (an unmatched account's
    /// removal, a shared login's replacement).
    pub portal_username: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
