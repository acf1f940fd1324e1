//! Acting on a task: the state machine of DESIGN.md "Tasks" (`domain::task::transition`),
//! enforced by one conditional UPDATE so that of two people acting at once exactly one wins.
//! Completing a task updates the person's portal account in the same transaction; failed
//! tasks are reopened after a pause.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::domain::actor::Actor;
use crate::domain::admin::AdminRole;
use crate::domain::lifecycle::Account;
use crate::domain::task::{self, ActionName, Evidence, Move, TaskKind, TaskState};
use crate::domain::training::WAITING_FOR_TRAINING;
use crate::store::audit::Entry;
use crate::store::task_actions::TaskChange;
use crate::store::tasks::TaskRecord;
use crate::store::training::TrainingSource;
use crate::store::{PracticeId, Store, StoreError, TenantStore, WriteTx};

/// What an administrator does to a task, with what the action carries.
#[derive(Debug, Clone)]
pub enum TaskAction {
    Claim,
    Unclaim,
    Complete(Evidence),
    Verify,
    Fail {
        reason: String,
    },
    Reopen,
    Cancel {
        reason: String,
    },
    /// To an active portal administrator (by e-mail), with an optional word on why.
    Reassign {
        assignee: String,
        comment: Option<String>,
    },
}

impl TaskAction {
    pub fn name(&self) -> ActionName {
        match self {
            TaskAction::Claim => ActionName::Claim,
            TaskAction::Unclaim => ActionName::Unclaim,
            TaskAction::Complete(_) => ActionName::Complete,
            TaskAction::Verify => ActionName::Verify,
            TaskAction::Fail { .. } => ActionName::Fail,
            TaskAction::Reopen => ActionName::Reopen,
            TaskAction::Cancel { .. } => ActionName::Cancel,
            TaskAction::Reassign { .. } => ActionName::Reassign,
        }
    }

    /// What the audit record keeps of the action.
    fn detail(&self) -> serde_json::Value {
        match self {
            TaskAction::Complete(evidence) => json!({"evidence": evidence}),
            TaskAction::Fail { reason } | TaskAction::Cancel { reason } => {
                json!({"reason": reason})
            }
            TaskAction::Reassign { assignee, comment } => match comment {
                Some(comment) => json!({"assignee": assignee, "comment": comment}),
                None => json!({"assignee": assignee}),
            },
            _ => json!({}),
        }
    }

    /// The columns the action sets besides the state.
    fn change(&self) -> TaskChange {
        match self {
            TaskAction::Claim => TaskChange::Claim,
            TaskAction::Unclaim => TaskChange::Unclaim,
            TaskAction::Complete(evidence) => TaskChange::Complete(json!(evidence)),
            TaskAction::Verify => TaskChange::Verify,
            TaskAction::Fail { reason } | TaskAction::Cancel { reason } => {
                TaskChange::Reason(Some(reason.clone()))
            }
            TaskAction::Reopen => TaskChange::Reason(None),
            TaskAction::Reassign { assignee, .. } => TaskChange::Assignee(assignee.clone()),
        }
    }
}

/// Applies `action` to the task, checked against the state machine, `If-Match`, four-eyes
/// verification and the task it waits for; audited; returns the task as it now is.
pub async fn act_on_task(
    store: &TenantStore<'_>,
    id: Uuid,
    action: TaskAction,
    expected_version: Option<i64>,
    actor: &Actor,
) -> Result<TaskRecord, StoreError> {
    let name = action.name();
    let tx = store.begin_write().await?;
    let action = match action {
        TaskAction::Reassign { assignee, comment } => TaskAction::Reassign {
            assignee: portal_admin_named(store, &tx, &assignee).await?,
            comment,
        },
        other => other,
    };
    let current = store.task_in(&tx, id).await?;
    task::transition(current.state, name).map_err(|state| StoreError::IllegalTransition {
        action: name.as_str(),
        state: state.to_string(),
    })?;
    if let Some(expected) = expected_version
        && expected != current.version
    {
        return Err(StoreError::VersionMismatch {
            current: current.version,
        });
    }
    if name == ActionName::Verify
        && current.done_by.as_deref() == Some(actor.name.as_str())
        && store.requires_four_eyes(&tx).await?
    {
        return Err(StoreError::IllegalTransition {
            action: name.as_str(),
            state: "done by you (this practice requires a second person to verify)".into(),
        });
    }
    if let TaskAction::Complete(evidence) = &action
        && !evidence.has_proof()
        && !store.has_evidence_file(&tx, id).await?
    {
        return Err(StoreError::EvidenceRequired);
    }
    if let (TaskAction::Complete(_), Some(WAITING_FOR_TRAINING), Some(portal)) =
        (&action, current.waiting_for.as_deref(), &current.portal)
    {
        return Err(StoreError::WaitingForTraining(portal.clone()));
    }
    if let (TaskAction::Complete(_), Some(blocker)) = (&action, current.blocked_by) {
        let settled = store
            .task_state_in(&tx, blocker)
            .await?
            .is_none_or(|state| TaskState::SETTLED.contains(&state));
        if !settled {
            return Err(StoreError::Blocked(blocker));
        }
    }
    if !store
        .move_task(&tx, &current, Move::of(name), action.change(), actor)
        .await?
    {
        return Err(StoreError::IllegalTransition {
            action: name.as_str(),
            state: "changed meanwhile".into(),
        });
    }
    // Records the completion leads to, after the completion's own.
    let mut follows = Vec::new();
    if let TaskAction::Complete(evidence) = &action {
        update_account(store, &tx, &current, evidence, actor).await?;
        // A recertification done is its portal duty met: the next deadline counts from now.
        if let (Some(portal), Some(duty)) = (&current.portal, &current.duty_key) {
            store.duty_met_in(&tx, portal, duty, actor).await?;
        }
        // A renewal done is the person's training recorded, valid from now.
        if let (TaskKind::Training, Some(portal), Some(person)) =
            (current.kind, &current.portal, current.person_id)
        {
            let rule = store
                .practice_portals_in(&tx.tx)
                .await?
                .get(portal)
                .map(|p| p.training)
                .unwrap_or_default();
            follows = store
                .record_training_in(
                    &tx,
                    person,
                    portal,
                    rule,
                    actor.at,
                    &TrainingSource::Task,
                    actor,
                )
                .await?;
        }
    }
    let entry = Entry {
        action: format!("task.{name}"),
        target: format!("task {id}"),
        detail: Some(action.detail()),
    };
    let mut entries = vec![entry];
    entries.extend(follows);
    store.append_audit(&tx, actor, entries).await?;
    tx.commit().await?;
    store.task(id).await
}

/// The e-mail of the practice's active portal administrator `who` names (by e-mail, any case):
/// a task is only ever given to someone who can do it and whom its alerts reach.
async fn portal_admin_named(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    who: &str,
) -> Result<String, StoreError> {
    let admins = store.admins_with_role(tx, AdminRole::PortalAdmin).await?;
    admins
        .into_iter()
        .find(|admin| admin.email.eq_ignore_ascii_case(who.trim()))
        .map(|admin| admin.email)
        .ok_or_else(|| {
            StoreError::Refused(
                "`assignee` must be the e-mail of an active portal administrator of this practice"
                    .to_owned(),
            )
        })
}

/// What a completed task did to the person's portal account.
async fn update_account(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    done: &TaskRecord,
    evidence: &Evidence,
    actor: &Actor,
) -> Result<(), StoreError> {
    // A portal's recertification changes no one account.
    let (Some(portal), Some(person)) = (&done.portal, done.person_id) else {
        return Ok(());
    };
    let existing = store.account_in(tx, person, portal).await?;
    let held = existing
        .as_ref()
        .filter(|a| a.active)
        .map(|a| a.record.roles.clone())
        .unwrap_or_default();
    let set = |roles: &[String]| roles.iter().cloned().collect::<BTreeSet<String>>();
    let Some((roles, status)) = task::account_after_completion(
        done.kind,
        &held,
        &set(&done.roles_add.0),
        &set(&done.roles_remove.0),
    ) else {
        return Ok(());
    };
    let record = Account {
        portal: portal.clone(),
        username: evidence
            .portal_username
            .clone()
            .or_else(|| existing.as_ref().and_then(|a| a.record.username.clone())),
        roles,
        other_affiliations: existing
            .as_ref()
            .is_some_and(|a| a.record.other_affiliations),
    };
    store
        .write_account(tx, person, &record, status, actor.at)
        .await
}

/// Reopens failed tasks whose failure is older than `delay`: a failure is a pause, not an
/// end. Each reopening is a task action by `system`, audited in its practice.
pub async fn reopen_failed_tasks(
    store: &Store,
    now: DateTime<Utc>,
    delay: Duration,
) -> Result<usize, StoreError> {
    let actor = Actor::system(now);
    let mut reopened = 0;
    for (id, practice) in store.failed_tasks_before(now - delay).await? {
        let tenant = store.tenant(PracticeId(practice));
        match act_on_task(&tenant, id, TaskAction::Reopen, None, &actor).await {
            Ok(_) => reopened += 1,
            // Someone acted on it meanwhile: nothing to do.
            Err(StoreError::IllegalTransition { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(reopened)
}
