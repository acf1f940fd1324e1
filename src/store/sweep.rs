//! The rows behind the sweep (`engine::sweep` decides): tasks whose next alert is due, a
//! task's move along its ladder, alerts recorded in the outbox with their audit records, the
//! digest's figures, and the practice portals' administrator counts.
//!
//! Exactly once: the engine sweeps a practice under its write lock (SQLite's single writer, the
//! practice row on PostgreSQL) and re-reads what is due under it, and every outbox event has a
//! unique key. Two instances sweeping together serialise per practice; the second finds
//! nothing left to do.

use chrono::{DateTime, Utc};
use entities::{
    admin, admin_membership, audit_event, outbox_event, portal_account, practice_portal, task,
};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit;
use super::outbox::{self, Fanout, NewEvent};
use super::tasks::TaskRecord;
use super::{StoreError, TenantStore, WriteTx};
use crate::domain::actor::Actor;
use crate::domain::escalation::LadderPosition;
use crate::domain::ladder::ladder_finished;
use crate::domain::task::{AccountStatus, TaskState};

/// An administrator of the practice, as alerts name them.
#[derive(Debug, Clone)]
pub struct AdminContact {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    /// Their role in this practice (`portal_admin`, `practice_manager`, …).
    pub role: String,
}

/// A practice portal with a minimum administrator count, and how many it has now.
#[derive(Debug, Clone)]
pub struct AdminCount {
    pub id: Uuid,
    pub portal: String,
    pub min_admins: i32,
    pub admins: u32,
    /// Since when it has been below its minimum, as last recorded.
    pub below_since: Option<DateTime<Utc>>,
}

impl TenantStore<'_> {
    /// Pending tasks whose next alert is due (or not worked out yet), soonest due first; read
    /// without a lock, to see whether a sweep has anything to do.
    pub(crate) async fn tasks_due(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<TaskRecord>, StoreError> {
        self.tasks_due_on(self.db, now, limit).await
    }

    /// The same, under the practice's write lock.
    pub(crate) async fn tasks_due_in(
        &self,
        tx: &WriteTx,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<TaskRecord>, StoreError> {
        self.tasks_due_on(&tx.tx, now, limit).await
    }

    async fn tasks_due_on(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<TaskRecord>, StoreError> {
        Ok(task::Entity::find()
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::State.is_in(TaskState::PENDING))
            .filter(
                Condition::any()
                    .add(task::Column::NextAlertAt.is_null())
                    .add(task::Column::NextAlertAt.lte(now)),
            )
            .order_by_asc(task::Column::DueAt)
            .order_by_asc(task::Column::Id)
            .limit(limit)
            .into_model::<TaskRecord>()
            .all(db)
            .await?)
    }

    /// Moves a task along its ladder. Its version is left alone: an alert is not a change an
    /// administrator acting on the task could conflict with. `next_alert_at` `None`: the
    /// ladder is finished.
    pub(crate) async fn advance_ladder(
        &self,
        tx: &WriteTx,
        task_id: Uuid,
        position: LadderPosition,
        next_alert_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        task::Entity::update_many()
            .col_expr(
                task::Column::RemindersSent,
                Expr::value(count(position.reminders_sent)),
            )
            .col_expr(
                task::Column::EscalationLevel,
                Expr::value(count(position.escalation_level)),
            )
            .col_expr(
                task::Column::NextAlertAt,
                Expr::value(next_alert_at.unwrap_or_else(ladder_finished)),
            )
            .filter(task::Column::Id.eq(task_id))
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .exec(&tx.tx)
            .await?;
        Ok(())
    }

    /// Whether an event with this key was recorded (read without a lock).
    pub(crate) async fn event_recorded(&self, key: &str) -> Result<bool, StoreError> {
        Ok(outbox_event::Entity::find()
            .select_only()
            .column(outbox_event::Column::Id)
            .filter(outbox_event::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(outbox_event::Column::EventKey.eq(key))
            .into_tuple::<Uuid>()
            .one(self.db)
            .await?
            .is_some())
    }

    /// Records `event` for every subscribed webhook and, when it is new, its `notify.<type>`
    /// audit record (`detail` plus the event's id). Returns whether it was new.
    pub(crate) async fn notify(
        &self,
        tx: &WriteTx,
        event: NewEvent<'_>,
        target: &str,
        mut detail: Value,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let action = format!("notify.{}", event.event_type);
        let fanout = Fanout::Subscribers { except: None };
        let Some(event_id) = outbox::record(&tx.tx, self.practice, event, fanout, actor.at).await?
        else {
            return Ok(false);
        };
        detail["event"] = json!(event_id);
        audit::append(&tx.tx, self.practice, actor, &action, target, Some(detail)).await?;
        Ok(true)
    }

    /// The head of the practice's audit chain: `(seq, hash)`.
    pub(crate) async fn audit_head_in(
        &self,
        tx: &WriteTx,
    ) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        Ok(audit_event::Entity::find()
            .filter(audit_event::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_desc(audit_event::Column::PracticeSeq)
            .one(&tx.tx)
            .await?
            .map(|h| (h.practice_seq, h.hash)))
    }

    /// Each practice portal with a minimum administrator count, and how many active accounts
    /// in it hold an administrator role.
    pub(crate) async fn admin_counts(&self) -> Result<Vec<AdminCount>, StoreError> {
        self.admin_counts_on(self.db).await
    }

    /// The same, under the practice's write lock.
    pub(crate) async fn admin_counts_in(
        &self,
        tx: &WriteTx,
    ) -> Result<Vec<AdminCount>, StoreError> {
        self.admin_counts_on(&tx.tx).await
    }

    async fn admin_counts_on(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<Vec<AdminCount>, StoreError> {
        let rows = practice_portal::Entity::find()
            .filter(practice_portal::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(practice_portal::Column::MinAdmins.is_not_null())
            .all(db)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let portals = self.practice_portals_in(db).await?;
        let mut counts = Vec::new();
        for row in rows {
            let (Some(min), Some(portal)) = (row.min_admins, portals.get(&row.portal_slug)) else {
                continue;
            };
            let accounts: Vec<Value> = portal_account::Entity::find()
                .select_only()
                .column(portal_account::Column::Roles)
                .filter(portal_account::Column::PracticeId.eq(self.practice.as_uuid()))
                .filter(portal_account::Column::PortalSlug.eq(row.portal_slug.clone()))
                .filter(portal_account::Column::Status.eq(AccountStatus::Active))
                .into_tuple()
                .all(db)
                .await?;
            let admins = accounts
                .iter()
                .filter(|roles| {
                    roles.as_array().is_some_and(|roles| {
                        roles
                            .iter()
                            .filter_map(Value::as_str)
                            .any(|r| portal.portal.role(r).is_some_and(|role| role.is_admin))
                    })
                })
                .count();
            counts.push(AdminCount {
                id: row.id,
                portal: row.portal_slug,
                min_admins: min,
                admins: u32::try_from(admins).unwrap_or(u32::MAX),
                below_since: row.admins_below_min_since,
            });
        }
        Ok(counts)
    }

    /// Records since when a practice portal has been below its minimum (`None`: it is not).
    pub(crate) async fn set_admins_below_since(
        &self,
        tx: &WriteTx,
        practice_portal_id: Uuid,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        practice_portal::Entity::update_many()
            .col_expr(
                practice_portal::Column::AdminsBelowMinSince,
                Expr::value(since),
            )
            .filter(practice_portal::Column::Id.eq(practice_portal_id))
            .filter(practice_portal::Column::PracticeId.eq(self.practice.as_uuid()))
            .exec(&tx.tx)
            .await?;
        Ok(())
    }

    /// The practice's active administrators and their roles, for naming contacts.
    pub(crate) async fn practice_admins(
        &self,
        tx: &WriteTx,
    ) -> Result<Vec<AdminContact>, StoreError> {
        let memberships = admin_membership::Entity::find()
            .filter(admin_membership::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(admin_membership::Column::EndedAt.is_null())
            .all(&tx.tx)
            .await?;
        let ids: Vec<Uuid> = memberships.iter().map(|m| m.admin_id).collect();
        let admins: std::collections::BTreeMap<Uuid, admin::Model> = admin::Entity::find()
            .filter(admin::Column::Id.is_in(ids))
            .filter(admin::Column::Active.eq(true))
            .all(&tx.tx)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        Ok(memberships
            .into_iter()
            .filter_map(|m| {
                admins.get(&m.admin_id).map(|a| AdminContact {
                    id: a.id,
                    name: a.name.clone(),
                    email: a.email.clone(),
                    role: m.role,
                })
            })
            .collect())
    }
}
