//! What administrators do to tasks: the state machine of DESIGN.md ("Tasks"), enforced in one
//! conditional UPDATE so two people acting at once cannot both win. Completing a task updates
//! the person's portal account in the same transaction.
//!
//! ```text
//! open ──claim──▶ claimed ──complete──▶ done ──verify──▶ verified
//!   ▲  ◀─unclaim──    │                        (open may complete directly)
//!   │                 ├──fail──▶ failed ──reopen──▶ open
//!   └─────────────────┴──cancel─▶ cancelled
//! ```

use std::collections::BTreeSet;

use entities::{portal_account, task};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::accounts::AccountRecord;
use super::audit::{self, Actor};
use super::tasks::TaskRecord;
use super::{StoreError, TenantStore};

/// Proof that the work was done in the portal.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The portal's confirmation or ticket number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_number: Option<String>,
    /// The portal username acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_username: Option<String>,
}

#[derive(Debug, Clone)]
pub enum TaskAction {
    Claim,
    Unclaim,
    Complete(Evidence),
    Verify,
    Fail { reason: String },
    Reopen,
    Cancel { reason: String },
    Reassign { assignee: String },
}

impl TaskAction {
    pub fn name(&self) -> &'static str {
        match self {
            TaskAction::Claim => "claim",
            TaskAction::Unclaim => "unclaim",
            TaskAction::Complete(_) => "complete",
            TaskAction::Verify => "verify",
            TaskAction::Fail { .. } => "fail",
            TaskAction::Reopen => "reopen",
            TaskAction::Cancel { .. } => "cancel",
            TaskAction::Reassign { .. } => "reassign",
        }
    }

    /// The states the action applies to, and the state it leads to.
    fn transition(&self) -> (&'static [&'static str], Option<&'static str>) {
        match self {
            TaskAction::Claim => (&["open"], Some("claimed")),
            TaskAction::Unclaim => (&["claimed"], Some("open")),
            TaskAction::Complete(_) => (&["open", "claimed"], Some("done")),
            TaskAction::Verify => (&["done"], Some("verified")),
            TaskAction::Fail { .. } => (&["open", "claimed"], Some("failed")),
            TaskAction::Reopen => (&["failed"], Some("open")),
            TaskAction::Cancel { .. } => (&["open", "claimed", "failed"], Some("cancelled")),
            TaskAction::Reassign { .. } => (&["open", "claimed"], None),
        }
    }
}

impl TenantStore<'_> {
    pub async fn act_on_task(
        &self,
        id: Uuid,
        action: TaskAction,
        expected_version: Option<i64>,
        actor: &Actor<'_>,
    ) -> Result<TaskRecord, StoreError> {
        let tx = self.begin_write().await?;
        let current = task::Entity::find_by_id(id)
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("task"))?;
        let (from, to) = action.transition();
        if !from.contains(&current.state.as_str()) {
            return Err(StoreError::IllegalTransition {
                action: action.name(),
                state: current.state,
            });
        }
        if let Some(expected) = expected_version
            && expected != current.version
        {
            return Err(StoreError::VersionMismatch {
                current: current.version,
            });
        }
        if matches!(action, TaskAction::Verify) && current.done_by.as_deref() == Some(actor.name) {
            let four_eyes = entities::practice::Entity::find_by_id(self.practice.as_uuid())
                .one(&tx.tx)
                .await?
                .is_some_and(|p| p.four_eyes);
            if four_eyes {
                return Err(StoreError::IllegalTransition {
                    action: "verify",
                    state: "done by you (this practice requires a second person to verify)".into(),
                });
            }
        }
        if let (TaskAction::Complete(_), Some(blocker)) = (&action, current.blocked_by) {
            let done = task::Entity::find_by_id(blocker)
                .one(&tx.tx)
                .await?
                .is_none_or(|b| ["done", "verified", "cancelled"].contains(&b.state.as_str()));
            if !done {
                return Err(StoreError::Blocked(blocker));
            }
        }
        let mut update = task::Entity::update_many()
            .col_expr(task::Column::UpdatedAt, Expr::value(actor.at))
            .col_expr(
                task::Column::Version,
                Expr::col(task::Column::Version).add(1),
            );
        if let Some(to) = to {
            update = update.col_expr(task::Column::State, Expr::value(to));
        }
        let who = || Expr::value(actor.name.to_owned());
        let now = || Expr::value(actor.at);
        update = match &action {
            TaskAction::Claim => update
                .col_expr(task::Column::ClaimedBy, who())
                .col_expr(task::Column::ClaimedAt, now()),
            TaskAction::Unclaim => update
                .col_expr(task::Column::ClaimedBy, Expr::value(Option::<String>::None))
                .col_expr(
                    task::Column::ClaimedAt,
                    Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                ),
            TaskAction::Complete(evidence) => update
                .col_expr(task::Column::DoneBy, who())
                .col_expr(task::Column::DoneAt, now())
                .col_expr(task::Column::Outcome, Expr::value("completed"))
                .col_expr(task::Column::Evidence, Expr::value(json!(evidence))),
            TaskAction::Verify => update
                .col_expr(task::Column::VerifiedBy, who())
                .col_expr(task::Column::VerifiedAt, now()),
            TaskAction::Fail { reason } | TaskAction::Cancel { reason } => {
                update.col_expr(task::Column::Reason, Expr::value(reason.clone()))
            }
            TaskAction::Reopen => {
                update.col_expr(task::Column::Reason, Expr::value(Option::<String>::None))
            }
            TaskAction::Reassign { assignee } => {
                update.col_expr(task::Column::Assignee, Expr::value(assignee.clone()))
            }
        };
        // The state and version in the WHERE make the transition atomic: of two concurrent
        // completions, one updates the row and the other finds nothing to update.
        let result = update
            .filter(task::Column::Id.eq(id))
            .filter(task::Column::Version.eq(current.version))
            .filter(task::Column::State.is_in(from.iter().copied()))
            .exec(&tx.tx)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::IllegalTransition {
                action: action.name(),
                state: "changed meanwhile".into(),
            });
        }
        if let TaskAction::Complete(evidence) = &action {
            self.apply_to_account(&tx.tx, &current, evidence, actor)
                .await?;
        }
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            &format!("task.{}", action.name()),
            &format!("task {id}"),
            Some(match &action {
                TaskAction::Complete(evidence) => json!({"evidence": evidence}),
                TaskAction::Fail { reason } | TaskAction::Cancel { reason } => {
                    json!({"reason": reason})
                }
                TaskAction::Reassign { assignee } => json!({"assignee": assignee}),
                _ => json!({}),
            }),
        )
        .await?;
        tx.commit().await?;
        self.task(id).await
    }

    /// What a completed task did to the portal account.
    async fn apply_to_account(
        &self,
        db: &impl ConnectionTrait,
        done: &task::Model,
        evidence: &Evidence,
        actor: &Actor<'_>,
    ) -> Result<(), StoreError> {
        let Some(portal) = &done.portal_slug else {
            return Ok(());
        };
        let existing = portal_account::Entity::find()
            .filter(portal_account::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_account::Column::PersonId.eq(done.person_id))
            .filter(portal_account::Column::PortalSlug.eq(portal.clone()))
            .one(db)
            .await?;
        let mut roles: BTreeSet<String> = match &existing {
            Some(a) if a.status == "active" => {
                serde_json::from_value(a.roles.clone()).unwrap_or_default()
            }
            _ => BTreeSet::new(),
        };
        let add: BTreeSet<String> =
            serde_json::from_value(done.roles_add.clone()).unwrap_or_default();
        let remove: BTreeSet<String> =
            serde_json::from_value(done.roles_remove.clone()).unwrap_or_default();
        let status = match done.kind.as_str() {
            "deprovision" => {
                roles.clear();
                "revoked"
            }
            "notify_third_party" => return Ok(()),
            _ => {
                roles.extend(add);
                roles.retain(|r| !remove.contains(r));
                "active"
            }
        };
        let username = evidence
            .portal_username
            .clone()
            .or_else(|| existing.as_ref().and_then(|a| a.username.clone()));
        let record = AccountRecord {
            portal: portal.clone(),
            username,
            roles,
            other_affiliations: existing.as_ref().is_some_and(|a| a.other_affiliations),
        };
        self.upsert_account(db, done.person_id, &record, status, actor.at)
            .await?;
        Ok(())
    }
}

impl super::Store {
    /// Reopens failed tasks whose failure is older than `delay`: a failure is a pause, not an
    /// end. Each reopening is a task action by `system`, audited in its practice.
    pub async fn reopen_failed_tasks(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        delay: chrono::Duration,
    ) -> Result<usize, StoreError> {
        let due: Vec<(Uuid, Uuid)> = task::Entity::find()
            .select_only()
            .column(task::Column::Id)
            .column(task::Column::PracticeId)
            .filter(task::Column::State.eq("failed"))
            .filter(task::Column::UpdatedAt.lte(now - delay))
            .limit(500)
            .into_tuple()
            .all(self.connection())
            .await?;
        let actor = Actor {
            name: "system",
            request_id: None,
            at: now,
        };
        let mut reopened = 0;
        for (id, practice) in due {
            match self
                .tenant(super::PracticeId(practice))
                .act_on_task(id, TaskAction::Reopen, None, &actor)
                .await
            {
                Ok(_) => reopened += 1,
                // Someone acted on it meanwhile: nothing to do.
                Err(StoreError::IllegalTransition { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(reopened)
    }
}
