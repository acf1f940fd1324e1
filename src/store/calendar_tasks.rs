//! Tasks the sweeper opens on a calendar rather than the planner for a change: a portal
//! duty's `recertify` (no person: the portal's) and a lapsing training's `training`. Both are
//! written here, audited as every task is.

use chrono::{DateTime, Utc};
use entities::task;
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;
use serde_json::json;
use uuid::Uuid;

use super::{StoreError, TenantStore, WriteTx, audit};
use crate::domain::actor::Actor;
use crate::domain::task::{EventKind, TaskKind, TaskState};

/// A calendar task about to be opened.
#[derive(Debug, Clone)]
pub struct CalendarTask {
    pub id: Uuid,
    /// `None`: work on the portal as a whole.
    pub person_id: Option<Uuid>,
    pub portal: String,
    pub kind: TaskKind,
    pub cause: EventKind,
    pub action: String,
    pub due_at: DateTime<Utc>,
    pub next_alert_at: Option<DateTime<Utc>>,
    /// The portal duty a `recertify` task meets.
    pub duty_key: Option<String>,
    /// The portal account it is about, when no person is known for it.
    pub portal_username: Option<String>,
}

impl TenantStore<'_> {
    /// Opens the task, with its `task.created` audit record.
    pub(crate) async fn open_calendar_task_in(
        &self,
        tx: &WriteTx,
        new: &CalendarTask,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        task::Entity::insert(task::ActiveModel {
            id: Set(new.id),
            practice_id: Set(self.practice.as_uuid()),
            person_id: Set(new.person_id),
            portal_slug: Set(Some(new.portal.clone())),
            kind: Set(new.kind.as_str().to_owned()),
            state: Set(TaskState::Open.as_str().to_owned()),
            roles_add: Set(json!([])),
            roles_remove: Set(json!([])),
            action: Set(new.action.clone()),
            cause: Set(new.cause.as_str().to_owned()),
            // No lifecycle event caused it: the id names this turn of the calendar.
            event_id: Set(Uuid::now_v7()),
            policy_version: Set(None),
            due_at: Set(new.due_at),
            blocked_by: Set(None),
            assignee: Set(None),
            claimed_by: Set(None),
            claimed_at: Set(None),
            done_by: Set(None),
            done_at: Set(None),
            verified_by: Set(None),
            verified_at: Set(None),
            evidence: Set(None),
            outcome: Set(None),
            reason: Set(None),
            escalation_level: Set(0),
            reminders_sent: Set(0),
            next_alert_at: Set(new.next_alert_at),
            duty_key: Set(new.duty_key.clone()),
            waiting_for: Set(None),
            portal_username: Set(new.portal_username.clone()),
            created_at: Set(actor.at),
            updated_at: Set(actor.at),
            version: Set(1),
        })
        .exec_without_returning(&tx.tx)
        .await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "task.created",
            &format!("task {}", new.id),
            Some(json!({
                "kind": new.kind, "portal": new.portal, "person": new.person_id,
                "duty": new.duty_key, "due_at": new.due_at, "portal_username": new.portal_username,
            })),
        )
        .await
    }
}
