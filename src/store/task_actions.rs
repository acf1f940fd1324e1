//! The rows behind task actions (`engine::tasks` decides): a task read inside the write
//! transaction, and its move as one conditional UPDATE, so two people acting at once cannot
//! both win.

use entities::{portal_account, task};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use super::tasks::TaskRecord;
use super::{Store, StoreError, TenantStore, WriteTx};
use crate::domain::actor::Actor;
use crate::domain::lifecycle::Account;
use crate::domain::task::{AccountStatus, Move, Outcome, TaskState};

/// The columns an action sets besides the state.
#[derive(Debug, Clone)]
pub(crate) enum TaskChange {
    /// Claimed by the actor, now.
    Claim,
    /// No longer claimed by anyone.
    Unclaim,
    /// Done by the actor, now, with this evidence; outcome `completed`.
    Complete(Value),
    /// Verified by the actor, now.
    Verify,
    /// The reason shown on the task (`None` clears it).
    Reason(Option<String>),
    Assignee(String),
}

/// A person's account in one portal as stored, revoked or not.
#[derive(Debug, Clone)]
pub(crate) struct StoredAccount {
    pub active: bool,
    pub record: Account,
}

impl TenantStore<'_> {
    /// The task, read in the write transaction (without its person's display name).
    pub(crate) async fn task_in(&self, tx: &WriteTx, id: Uuid) -> Result<TaskRecord, StoreError> {
        task::Entity::find_by_id(id)
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .into_model::<TaskRecord>()
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("task"))
    }

    /// The state of one of the practice's tasks, if it exists.
    pub(crate) async fn task_state_in(
        &self,
        tx: &WriteTx,
        id: Uuid,
    ) -> Result<Option<TaskState>, StoreError> {
        Ok(task::Entity::find_by_id(id)
            .select_only()
            .column(task::Column::State)
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .into_tuple()
            .one(&tx.tx)
            .await?)
    }

    /// Whether the practice asks a second person to verify what one did.
    pub(crate) async fn requires_four_eyes(&self, tx: &WriteTx) -> Result<bool, StoreError> {
        Ok(
            entities::practice::Entity::find_by_id(self.practice.as_uuid())
                .one(&tx.tx)
                .await?
                .is_some_and(|p| p.four_eyes),
        )
    }

    /// Moves the task along `step`, setting what `change` says. The state and version in the
    /// WHERE make it atomic: of two concurrent actions, one updates the row and the other
    /// finds nothing to update (`false`).
    pub(crate) async fn move_task(
        &self,
        tx: &WriteTx,
        current: &TaskRecord,
        step: Move,
        change: TaskChange,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let mut update = task::Entity::update_many()
            .col_expr(task::Column::UpdatedAt, Expr::value(actor.at))
            .col_expr(
                task::Column::Version,
                Expr::col(task::Column::Version).add(1),
            );
        if let Some(to) = step.to {
            update = update.col_expr(task::Column::State, Expr::value(to));
        }
        let who = || Expr::value(actor.name.to_owned());
        let now = || Expr::value(actor.at);
        update = match change {
            // The claimer is the assignee of a claimed task; released, it is nobody's again.
            TaskChange::Claim => update
                .col_expr(task::Column::ClaimedBy, who())
                .col_expr(task::Column::ClaimedAt, now())
                .col_expr(
                    task::Column::Assignee,
                    Expr::value(actor.admin_email.clone()),
                ),
            TaskChange::Unclaim => update
                .col_expr(task::Column::Assignee, Expr::value(Option::<String>::None))
                .col_expr(task::Column::ClaimedBy, Expr::value(Option::<String>::None))
                .col_expr(
                    task::Column::ClaimedAt,
                    Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                ),
            TaskChange::Complete(evidence) => update
                .col_expr(task::Column::DoneBy, who())
                .col_expr(task::Column::DoneAt, now())
                .col_expr(task::Column::Outcome, Expr::value(Outcome::Completed))
                .col_expr(task::Column::Evidence, Expr::value(evidence)),
            TaskChange::Verify => update
                .col_expr(task::Column::VerifiedBy, who())
                .col_expr(task::Column::VerifiedAt, now()),
            TaskChange::Reason(reason) => {
                update.col_expr(task::Column::Reason, Expr::value(reason))
            }
            TaskChange::Assignee(assignee) => {
                update.col_expr(task::Column::Assignee, Expr::value(assignee))
            }
        };
        let result = update
            .filter(task::Column::Id.eq(current.id))
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::Version.eq(current.version))
            .filter(task::Column::State.is_in(step.from.iter().copied()))
            .exec(&tx.tx)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// The person's account in a portal, revoked or not.
    pub(crate) async fn account_in(
        &self,
        tx: &WriteTx,
        person: Uuid,
        portal: &str,
    ) -> Result<Option<StoredAccount>, StoreError> {
        Ok(portal_account::Entity::find()
            .filter(portal_account::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_account::Column::PersonId.eq(person))
            .filter(portal_account::Column::PortalSlug.eq(portal))
            .one(&tx.tx)
            .await?
            .map(|a| StoredAccount {
                active: AccountStatus::parse(&a.status) == Some(AccountStatus::Active),
                record: Account {
                    portal: a.portal_slug,
                    username: a.username,
                    roles: serde_json::from_value(a.roles).unwrap_or_default(),
                    other_affiliations: a.other_affiliations,
                },
            }))
    }

    /// Writes the person's account in a portal, in the write transaction.
    pub(crate) async fn write_account(
        &self,
        tx: &WriteTx,
        person: Uuid,
        record: &Account,
        status: AccountStatus,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.upsert_account(&tx.tx, person, record, status, at)
            .await
    }
}

impl Store {
    /// Failed tasks (id, practice) last changed before `cutoff`, at most 500 a call.
    pub(crate) async fn failed_tasks_before(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        Ok(task::Entity::find()
            .select_only()
            .column(task::Column::Id)
            .column(task::Column::PracticeId)
            .filter(task::Column::State.eq(TaskState::Failed))
            .filter(task::Column::UpdatedAt.lte(cutoff))
            .limit(500)
            .into_tuple()
            .all(self.connection())
            .await?)
    }
}
