//! The delivery queue the worker drains: claim due deliveries (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, plus a lease so an instance that dies mid-send lets go), then record each
//! attempt and what it led to; and the views of deliveries for a webhook and for a task.

use chrono::{DateTime, Duration, Utc};
use entities::{outbox_event, task, webhook, webhook_attempt, webhook_delivery};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::outbox::{self, Fanout, NewEvent};
use super::{PracticeId, Store, StoreError, TenantStore, WriteTx};
use crate::domain::delivery::{AttemptResult, DeliveryState, NextStep};
use crate::domain::task::TaskState;

/// One delivery with its attempts, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryView {
    pub delivery: webhook_delivery::Model,
    pub event_type: String,
    pub event_key: String,
    pub attempts: Vec<webhook_attempt::Model>,
}

/// An alert recorded for a task, and where its deliveries stand.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskAlert {
    pub event: outbox_event::Model,
    pub deliveries: Vec<webhook_delivery::Model>,
}

/// A delivery this instance holds the lease on, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: Uuid,
    pub practice: PracticeId,
    /// The number of this attempt (1 for the first).
    pub attempt: i32,
    pub created_at: DateTime<Utc>,
    pub webhook: webhook::Model,
    pub event: outbox_event::Model,
}

impl TenantStore<'_> {
    /// A webhook's deliveries, newest first, with their attempts.
    pub async fn deliveries(
        &self,
        webhook_id: Uuid,
        limit: u64,
    ) -> Result<Vec<DeliveryView>, StoreError> {
        self.webhook(webhook_id).await?;
        let deliveries = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(webhook_delivery::Column::WebhookId.eq(webhook_id))
            .order_by_desc(webhook_delivery::Column::CreatedAt)
            .order_by_desc(webhook_delivery::Column::Id)
            .limit(limit)
            .all(self.db)
            .await?;
        let events: std::collections::HashMap<Uuid, outbox_event::Model> =
            outbox_event::Entity::find()
                .filter(outbox_event::Column::PracticeId.eq(self.practice.as_uuid()))
                .filter(outbox_event::Column::Id.is_in(deliveries.iter().map(|d| d.event_id)))
                .all(self.db)
                .await?
                .into_iter()
                .map(|e| (e.id, e))
                .collect();
        let mut attempts: std::collections::HashMap<Uuid, Vec<webhook_attempt::Model>> =
            std::collections::HashMap::new();
        for attempt in webhook_attempt::Entity::find()
            .filter(webhook_attempt::Column::DeliveryId.is_in(deliveries.iter().map(|d| d.id)))
            .order_by_desc(webhook_attempt::Column::Id)
            .all(self.db)
            .await?
        {
            attempts
                .entry(attempt.delivery_id)
                .or_default()
                .push(attempt);
        }
        Ok(deliveries
            .into_iter()
            .map(|delivery| {
                let event = events.get(&delivery.event_id);
                DeliveryView {
                    event_type: event.map(|e| e.event_type.clone()).unwrap_or_default(),
                    event_key: event.map(|e| e.event_key.clone()).unwrap_or_default(),
                    attempts: attempts.remove(&delivery.id).unwrap_or_default(),
                    delivery,
                }
            })
            .collect())
    }

    /// The alerts recorded for a task, oldest first, with their deliveries.
    pub async fn task_alerts(&self, task: Uuid) -> Result<Vec<TaskAlert>, StoreError> {
        let events = outbox_event::Entity::find()
            .filter(outbox_event::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(outbox_event::Column::TaskId.eq(task))
            .order_by_asc(outbox_event::Column::CreatedAt)
            .order_by_asc(outbox_event::Column::Id)
            .all(self.db)
            .await?;
        let mut deliveries = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(webhook_delivery::Column::EventId.is_in(events.iter().map(|e| e.id)))
            .all(self.db)
            .await?;
        Ok(events
            .into_iter()
            .map(|event| {
                let (mine, rest) = deliveries.drain(..).partition(|d| d.event_id == event.id);
                deliveries = rest;
                TaskAlert {
                    event,
                    deliveries: mine,
                }
            })
            .collect())
    }
}

impl Store {
    /// Takes up to `limit` due deliveries for this instance until `now + lease`. Several
    /// instances may call this at once: on PostgreSQL each skips rows another has locked, and
    /// the lease keeps a taken row out of everyone else's claims while it is being sent.
    ///
    /// Deliveries to a paused webhook wait. Alerts about a task that is no longer pending
    /// (done, verified, cancelled while a retry waited) are cancelled here, not sent: finishing
    /// a task stops its alerts.
    pub async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let tx = self.begin_write().await?;
        let mut due = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(webhook_delivery::Column::LeaseUntil.is_null())
                    .add(webhook_delivery::Column::LeaseUntil.lte(now)),
            )
            .filter(
                Expr::col(webhook_delivery::Column::WebhookId).in_subquery(
                    Query::select()
                        .column(webhook::Column::Id)
                        .from(webhook::Entity)
                        .and_where(webhook::Column::Enabled.eq(true))
                        .to_owned(),
                ),
            )
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .order_by_asc(webhook_delivery::Column::Id)
            .limit(limit);
        if self.backend() == DbBackend::Postgres {
            due = due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let mut due = due.all(&tx.tx).await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let events: std::collections::HashMap<Uuid, outbox_event::Model> =
            outbox_event::Entity::find()
                .filter(outbox_event::Column::Id.is_in(due.iter().map(|d| d.event_id)))
                .all(&tx.tx)
                .await?
                .into_iter()
                .map(|e| (e.id, e))
                .collect();
        let finished_tasks: std::collections::HashSet<Uuid> = task::Entity::find()
            .select_only()
            .column(task::Column::Id)
            .filter(task::Column::Id.is_in(events.values().filter_map(|e| e.task_id)))
            .filter(task::Column::State.is_not_in(TaskState::PENDING))
            .into_tuple::<Uuid>()
            .all(&tx.tx)
            .await?
            .into_iter()
            .collect();
        let moot: Vec<Uuid> = due
            .iter()
            .filter(|d| {
                events.get(&d.event_id).is_some_and(|e| {
                    e.event_type.starts_with("task.")
                        && e.task_id.is_some_and(|t| finished_tasks.contains(&t))
                })
            })
            .map(|d| d.id)
            .collect();
        if !moot.is_empty() {
            webhook_delivery::Entity::update_many()
                .col_expr(
                    webhook_delivery::Column::State,
                    Expr::value(DeliveryState::Cancelled),
                )
                .col_expr(
                    webhook_delivery::Column::LastError,
                    Expr::value("not sent: the task was finished first"),
                )
                .filter(webhook_delivery::Column::Id.is_in(moot.iter().copied()))
                .exec(&tx.tx)
                .await?;
            due.retain(|d| !moot.contains(&d.id));
        }
        if due.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::LeaseUntil,
                Expr::value(now + lease),
            )
            .col_expr(
                webhook_delivery::Column::Attempts,
                Expr::col(webhook_delivery::Column::Attempts).add(1),
            )
            .filter(webhook_delivery::Column::Id.is_in(due.iter().map(|d| d.id)))
            .exec(&tx.tx)
            .await?;
        let hooks: std::collections::HashMap<Uuid, webhook::Model> = webhook::Entity::find()
            .filter(webhook::Column::Id.is_in(due.iter().map(|d| d.webhook_id)))
            .all(&tx.tx)
            .await?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
        tx.commit().await?;
        Ok(due
            .into_iter()
            .filter_map(|d| {
                Some(ClaimedDelivery {
                    id: d.id,
                    practice: PracticeId(d.practice_id),
                    attempt: d.attempts + 1,
                    created_at: d.created_at,
                    webhook: hooks.get(&d.webhook_id)?.clone(),
                    event: events.get(&d.event_id)?.clone(),
                })
            })
            .collect())
    }
}

impl TenantStore<'_> {
    /// Records `event` in the outbox for the webhooks `fanout` names, in the caller's write
    /// transaction. `false` when its key was recorded before.
    pub(crate) async fn record_event(
        &self,
        tx: &WriteTx,
        event: NewEvent<'_>,
        fanout: Fanout,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(outbox::record(&tx.tx, self.practice, event, fanout, now)
            .await?
            .is_some())
    }

    /// Records an attempt and what follows it (delivered, retry at, dead) on the delivery, in
    /// the caller's write transaction (of the delivery's practice). `false` when the delivery is
    /// no longer ours to finish: still pending (a webhook deleted meanwhile has dead-lettered
    /// it) and still ours (if our lease ran out and another instance claimed it again, the
    /// attempt count has moved on and this late result must not overwrite that instance's).
    pub(crate) async fn record_attempt(
        &self,
        tx: &WriteTx,
        claimed: &ClaimedDelivery,
        result: &AttemptResult,
        next: NextStep,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
            id: NotSet,
            delivery_id: Set(claimed.id),
            attempt: Set(claimed.attempt),
            at: Set(now),
            status: Set(result.status.map(i32::from)),
            error: Set(result.error.clone()),
            response_excerpt: Set(result.response_excerpt.clone()),
            duration_ms: Set(result.duration_ms),
        })
        .exec_without_returning(&tx.tx)
        .await?;
        let mut update = webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::LeaseUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(
                webhook_delivery::Column::LastStatus,
                Expr::value(result.status.map(i32::from)),
            )
            .col_expr(
                webhook_delivery::Column::LastError,
                Expr::value(result.error.clone()),
            );
        update = match next {
            NextStep::Delivered => update
                .col_expr(
                    webhook_delivery::Column::State,
                    Expr::value(DeliveryState::Delivered),
                )
                .col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(now)),
            NextStep::RetryAt(at) => {
                update.col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(at))
            }
            NextStep::DeadLetter => update
                .col_expr(
                    webhook_delivery::Column::State,
                    Expr::value(DeliveryState::Dead),
                )
                .col_expr(webhook_delivery::Column::DeadAt, Expr::value(now)),
        };
        let updated = update
            .filter(webhook_delivery::Column::Id.eq(claimed.id))
            .filter(webhook_delivery::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending))
            .filter(webhook_delivery::Column::Attempts.eq(claimed.attempt))
            .exec(&tx.tx)
            .await?;
        Ok(updated.rows_affected == 1)
    }
}
