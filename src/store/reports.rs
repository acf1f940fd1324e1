//! Reports auditors ask for: what happened to every leaver's access, and who has what now.

use chrono::{DateTime, Utc};
use entities::{lifecycle_event, portal_account, task};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::tasks::TaskRecord;
use super::{StoreError, TenantStore};
use crate::domain::task::{AccountStatus, EventKind, TaskKind, TaskState};

/// One leaver event's work in one portal.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaverRow {
    pub event_id: Uuid,
    pub person_id: Uuid,
    pub event_at: DateTime<Utc>,
    pub portal: Option<String>,
    pub task_id: Uuid,
    pub kind: TaskKind,
    pub state: TaskState,
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub verified_by: Option<String>,
    pub reason: Option<String>,
}

/// An account someone holds now.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessRow {
    pub person_id: Uuid,
    pub portal: String,
    pub username: Option<String>,
    pub roles: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

impl TenantStore<'_> {
    /// Leaver events in `[from, to)` with the tasks they caused, oldest first.
    pub async fn leaver_rows(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<LeaverRow>, StoreError> {
        let events = lifecycle_event::Entity::find()
            .filter(lifecycle_event::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(lifecycle_event::Column::Kind.eq(EventKind::Leaver))
            .filter(lifecycle_event::Column::At.gte(from))
            .filter(lifecycle_event::Column::At.lt(to))
            .order_by_asc(lifecycle_event::Column::At)
            .order_by_asc(lifecycle_event::Column::Id)
            .all(self.db)
            .await?;
        let mut rows = Vec::new();
        for chunk in events.chunks(200) {
            let tasks = task::Entity::find()
                .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
                .filter(task::Column::EventId.is_in(chunk.iter().map(|e| e.id)))
                .order_by_asc(task::Column::DueAt)
                .into_model::<TaskRecord>()
                .all(self.db)
                .await?;
            for event in chunk {
                for t in tasks.iter().filter(|t| t.event_id == event.id) {
                    rows.push(LeaverRow {
                        event_id: event.id,
                        person_id: event.person_id,
                        event_at: event.at,
                        portal: t.portal.clone(),
                        task_id: t.id,
                        kind: t.kind,
                        state: t.state,
                        due_at: t.due_at,
                        done_at: t.done_at,
                        done_by: t.done_by.clone(),
                        verified_at: t.verified_at,
                        verified_by: t.verified_by.clone(),
                        reason: t.reason.clone(),
                    });
                }
            }
        }
        Ok(rows)
    }

    /// Every active portal account.
    pub async fn access_rows(&self) -> Result<Vec<AccessRow>, StoreError> {
        self.access_rows_in(self.db).await
    }

    /// [`Self::access_rows`] inside a write transaction (why: see
    /// [`TenantStore::display_names_in_tx`]).
    pub(crate) async fn access_rows_in_tx(
        &self,
        tx: &super::WriteTx,
    ) -> Result<Vec<AccessRow>, StoreError> {
        self.access_rows_in(&tx.tx).await
    }

    async fn access_rows_in(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<Vec<AccessRow>, StoreError> {
        Ok(portal_account::Entity::find()
            .filter(portal_account::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_account::Column::Status.eq(AccountStatus::Active))
            .order_by_asc(portal_account::Column::PortalSlug)
            .order_by_asc(portal_account::Column::PersonId)
            .all(db)
            .await?
            .into_iter()
            .map(|a| AccessRow {
                person_id: a.person_id,
                portal: a.portal_slug,
                username: a.username,
                roles: serde_json::from_value(a.roles).unwrap_or_default(),
                updated_at: a.updated_at,
            })
            .collect())
    }
}
