//! The rows a plan writes: lifecycle events, cancellations (one UPDATE per reason) and new
//! tasks (multi-row inserts), in the caller's write transaction.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use entities::{lifecycle_event, task};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::domain::task::{Cause, EventKind, TaskKind, TaskState};
use crate::store::vocabulary::text;
use crate::store::{StoreError, TenantStore, WriteTx, in_batches};

/// A lifecycle event a plan records.
#[derive(Debug, Clone)]
pub(crate) struct PlannedEvent {
    pub id: Uuid,
    pub person_id: Uuid,
    pub kind: EventKind,
    pub change_seq: Option<i64>,
    pub policy_version: i32,
}

/// A task a plan opens.
#[derive(Debug, Clone)]
pub(crate) struct PlannedTask {
    pub id: Uuid,
    pub person_id: Uuid,
    pub portal: Option<String>,
    pub kind: TaskKind,
    pub roles_add: BTreeSet<String>,
    pub roles_remove: BTreeSet<String>,
    pub action: String,
    pub cause: Cause,
    pub event_id: Uuid,
    pub policy_version: i32,
    pub due_at: DateTime<Utc>,
    pub blocked_by: Option<Uuid>,
    pub next_alert_at: Option<DateTime<Utc>>,
    /// `training`: a provision waiting for the person's training for the portal.
    pub waiting_for: Option<&'static str>,
}

impl PlannedTask {
    /// Takes access away: a deprovision, or a modification that removes roles.
    pub(crate) fn removes_access(&self) -> bool {
        self.kind == TaskKind::Deprovision
            || (self.kind == TaskKind::Modify && !self.roles_remove.is_empty())
    }
}

/// The rows plans write, gathered over many people and written together
/// ([`TenantStore::write_plans`]).
#[derive(Debug, Default)]
pub(crate) struct PlannedWrites {
    pub events: Vec<PlannedEvent>,
    /// Tasks to cancel, with the reason.
    pub cancels: Vec<(Uuid, String)>,
    pub tasks: Vec<PlannedTask>,
}

impl TenantStore<'_> {
    /// Writes what plans decided, in the caller's transaction: events before tasks (a task
    /// names its event); cancellations are one UPDATE per reason (a leaver's open tasks all
    /// share one).
    pub(crate) async fn write_plans(
        &self,
        tx: &WriteTx,
        writes: PlannedWrites,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let db = &tx.tx;
        let events = writes
            .events
            .into_iter()
            .map(|e| lifecycle_event::ActiveModel {
                id: Set(e.id),
                practice_id: Set(self.practice.as_uuid()),
                person_id: Set(e.person_id),
                kind: Set(text(e.kind)),
                change_seq: Set(e.change_seq),
                policy_version: Set(Some(e.policy_version)),
                at: Set(at),
            });
        for rows in in_batches(events.collect()) {
            lifecycle_event::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await?;
        }
        let mut cancels: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
        for (task_id, reason) in writes.cancels {
            cancels.entry(reason).or_default().push(task_id);
        }
        for (reason, tasks) in cancels {
            for ids in in_batches(tasks) {
                task::Entity::update_many()
                    .col_expr(task::Column::State, Expr::value(TaskState::Cancelled))
                    .col_expr(task::Column::Reason, Expr::value(reason.clone()))
                    .col_expr(task::Column::UpdatedAt, Expr::value(at))
                    .col_expr(
                        task::Column::Version,
                        Expr::col(task::Column::Version).add(1),
                    )
                    // No practice filter, on purpose: the ids come from this practice's pending
                    // tasks, read in this transaction under its write lock. With one, SQLite
                    // plans this UPDATE over the practice's queue index instead of the primary
                    // key and visits every pending task of the practice (a 3-portal leaver
                    // PATCH measured 2.5 times slower).
                    .filter(task::Column::Id.is_in(ids))
                    .filter(task::Column::State.is_in(TaskState::PENDING))
                    .exec(db)
                    .await?;
            }
        }
        let tasks = writes.tasks.into_iter().map(|t| task::ActiveModel {
            id: Set(t.id),
            practice_id: Set(self.practice.as_uuid()),
            person_id: Set(Some(t.person_id)),
            portal_slug: Set(t.portal),
            kind: Set(text(t.kind)),
            state: Set(text(TaskState::Open)),
            roles_add: Set(json!(t.roles_add)),
            roles_remove: Set(json!(t.roles_remove)),
            action: Set(t.action),
            cause: Set(text(t.cause)),
            event_id: Set(t.event_id),
            policy_version: Set(Some(t.policy_version)),
            due_at: Set(t.due_at),
            blocked_by: Set(t.blocked_by),
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
            next_alert_at: Set(t.next_alert_at),
            duty_key: Set(None),
            waiting_for: Set(t.waiting_for.map(str::to_owned)),
            portal_username: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            version: Set(1),
        });
        // A task `blocked_by` another is fine in any batch: the column has no foreign key.
        for rows in in_batches(tasks.collect()) {
            task::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }
}
