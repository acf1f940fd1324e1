//! Runs the lifecycle engine inside the transaction of the change that triggers it: gathers
//! what the pure planner (`domain::lifecycle`) needs, and writes its plan (lifecycle event,
//! cancelled and new tasks, audit rows). A SCIM 2xx therefore means the tasks exist.

use std::collections::{BTreeMap, BTreeSet};

use entities::{
    lifecycle_event, portal_account, practice, scim_group, scim_group_member, scim_user, task,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::{self, Actor};
use super::policy::PolicyVersion;
use super::portals::PracticePortal;
use super::{Practice, StoreError, TenantStore};
use crate::domain::catalog::Portal;
use crate::domain::lifecycle::{
    self, Account, EventKind, OpenTask, PersonLabel, PlanInput, TaskKind,
};
use crate::domain::policy::PersonFacts;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The practice-wide inputs of the engine.
#[derive(Debug)]
pub(crate) struct LifecycleContext {
    practice: Practice,
    policy: PolicyVersion,
    practice_portals: BTreeMap<String, PracticePortal>,
    /// The practice's portals, with its own admin minimum where set.
    portals: BTreeMap<String, Portal>,
}

/// Why the engine runs for a person.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trigger {
    pub before: Before,
    /// Set for causes other than a directory change (policy change, account record).
    pub cause: Option<EventKind>,
    /// The directory change record behind it, if any.
    pub change_seq: Option<i64>,
}

/// The person's `active` before the change.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Before {
    /// Just created.
    New,
    Was(bool),
    /// The person did not change; something around them did (a group, the policy).
    Unchanged,
}

impl Trigger {
    pub fn directory(before: Before, change_seq: i64) -> Self {
        Self {
            before,
            cause: None,
            change_seq: Some(change_seq),
        }
    }
}

/// Task states that still need someone to act.
pub(crate) const OPEN_STATES: [&str; 2] = ["open", "claimed"];
/// States the planner counts as pending work: a failed task still needs doing (it is reopened
/// or superseded), so it is cancelled like an open one when a change makes it moot.
pub(crate) const PENDING_STATES: [&str; 3] = ["open", "claimed", "failed"];

impl TenantStore<'_> {
    /// Runs the engine for one person.
    pub(crate) async fn react(
        &self,
        db: &impl ConnectionTrait,
        person_id: Uuid,
        trigger: Trigger,
        actor: &Actor<'_>,
    ) -> Result<(), StoreError> {
        let ctx = self.lifecycle_context(db).await?;
        self.react_in(db, &ctx, person_id, trigger, actor).await
    }

    /// What the engine needs about the practice, loaded once however many people one change
    /// touches (a group push, a policy change).
    pub(crate) async fn lifecycle_context(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<LifecycleContext, StoreError> {
        let practice: Practice = practice::Entity::find_by_id(self.practice.as_uuid())
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("practice"))?
            .try_into()?;
        let policy = self.policy_in(db).await?;
        let practice_portals = self.practice_portals_in(db).await?;
        // The practice's own admin minimum, where set, is the one task wording quotes.
        let portals: BTreeMap<String, Portal> = practice_portals
            .iter()
            .map(|(slug, p)| {
                let mut portal = p.portal.clone();
                if let Some(min) = p.min_admins {
                    portal.admin_limits.min = Some(min);
                }
                (slug.clone(), portal)
            })
            .collect();

        Ok(LifecycleContext {
            practice,
            policy,
            practice_portals,
            portals,
        })
    }

    /// Runs the engine for one person with an already loaded practice context.
    pub(crate) async fn react_in(
        &self,
        db: &impl ConnectionTrait,
        ctx: &LifecycleContext,
        person_id: Uuid,
        trigger: Trigger,
        actor: &Actor<'_>,
    ) -> Result<(), StoreError> {
        let Some(person) = scim_user::Entity::find_by_id(person_id)
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(db)
            .await?
        else {
            return Ok(());
        };
        let deleted = person.deleted_at.is_some();
        let event = match trigger.cause {
            Some(cause) => cause,
            None => {
                let before = match trigger.before {
                    Before::New => None,
                    Before::Was(active) => Some(active),
                    Before::Unchanged => Some(person.active),
                };
                match EventKind::classify(before, person.active, deleted) {
                    Some(event) => event,
                    None => return Ok(()),
                }
            }
        };
        let (practice, policy, practice_portals, portals) = (
            &ctx.practice,
            &ctx.policy,
            &ctx.practice_portals,
            &ctx.portals,
        );
        let facts = self.facts(db, &person).await?;
        // An HR termination marker makes a leaver of someone still marked active.
        let terminated = policy.document.is_terminated(&facts);
        let event = if terminated && event == EventKind::Mover {
            EventKind::Leaver
        } else {
            event
        };
        let desired: BTreeMap<String, BTreeSet<String>> = policy
            .document
            .entitlements(&facts)
            .into_iter()
            .filter(|(portal, _)| portals.contains_key(portal))
            .map(|(portal, roles)| (portal, roles.into_keys().collect()))
            .collect();
        let accounts = self.active_accounts(db, person_id).await?;
        let open_tasks = self.open_tasks(db, person_id).await?;
        let label = PersonLabel {
            display: person
                .attributes
                .get("displayName")
                .and_then(Value::as_str)
                .map_or_else(|| person.user_name.clone(), str::to_owned),
            user_name: person.user_name.clone(),
        };
        let plan = lifecycle::plan(&PlanInput {
            event,
            person: &label,
            entitled: person.active && !deleted && !terminated,
            desired,
            accounts: &accounts,
            open_tasks: &open_tasks,
            portals,
            third_party: policy.document.is_third_party(&facts),
            departed: matches!(trigger.before, Before::Was(true)) && (deleted || !person.active),
        });

        // A policy change that changes nothing for this person leaves no trace.
        if plan.is_empty() && event == EventKind::Policy {
            return Ok(());
        }
        let event_id = Uuid::now_v7();
        lifecycle_event::Entity::insert(lifecycle_event::ActiveModel {
            id: Set(event_id),
            practice_id: Set(self.practice.as_uuid()),
            person_id: Set(person_id),
            kind: Set(event.as_str().to_owned()),
            change_seq: Set(trigger.change_seq),
            policy_version: Set(Some(policy.version)),
            at: Set(actor.at),
        })
        .exec_without_returning(db)
        .await?;
        let target = format!("person {person_id}");
        audit::append(
            db,
            self.practice,
            actor,
            &format!("lifecycle.{}", event.as_str()),
            &target,
            Some(json!({"event": event_id, "policy_version": policy.version})),
        )
        .await?;

        for (task_id, reason) in &plan.cancel {
            task::Entity::update_many()
                .col_expr(task::Column::State, Expr::value("cancelled"))
                .col_expr(task::Column::Reason, Expr::value(reason.clone()))
                .col_expr(task::Column::UpdatedAt, Expr::value(actor.at))
                .col_expr(
                    task::Column::Version,
                    Expr::col(task::Column::Version).add(1),
                )
                .filter(task::Column::Id.eq(*task_id))
                .filter(task::Column::State.is_in(PENDING_STATES))
                .exec(db)
                .await?;
            audit::append(
                db,
                self.practice,
                actor,
                "task.cancelled",
                &format!("task {task_id}"),
                Some(json!({"reason": reason})),
            )
            .await?;
        }

        let ids: BTreeMap<usize, Uuid> = plan
            .create
            .iter()
            .map(|t| (t.key, Uuid::now_v7()))
            .collect();
        for new in &plan.create {
            let overrides = new
                .portal
                .as_ref()
                .and_then(|p| practice_portals.get(p))
                .map(|p| p.sla_overrides.clone())
                .unwrap_or_default();
            let sla = practice.sla.for_key(new.sla, &overrides);
            let due_at = sla.due(actor.at, practice.time_zone.tz(), &practice.business_hours);
            let id = ids.get(&new.key).copied().unwrap_or_else(Uuid::now_v7);
            task::Entity::insert(task::ActiveModel {
                id: Set(id),
                practice_id: Set(self.practice.as_uuid()),
                person_id: Set(person_id),
                portal_slug: Set(new.portal.clone()),
                kind: Set(new.kind.as_str().to_owned()),
                state: Set("open".to_owned()),
                roles_add: Set(json!(new.roles_add)),
                roles_remove: Set(json!(new.roles_remove)),
                action: Set(new.action.clone()),
                cause: Set(event.as_str().to_owned()),
                event_id: Set(event_id),
                policy_version: Set(Some(policy.version)),
                due_at: Set(due_at),
                blocked_by: Set(new.blocked_by.and_then(|k| ids.get(&k).copied())),
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
                next_alert_at: Set(None),
                created_at: Set(actor.at),
                updated_at: Set(actor.at),
                version: Set(1),
            })
            .exec_without_returning(db)
            .await?;
            audit::append(db, self.practice, actor, "task.created", &format!("task {id}"),
                Some(json!({"kind": new.kind.as_str(), "portal": new.portal, "due_at": due_at, "sla": sla.to_string()}))).await?;
        }
        Ok(())
    }

    /// `Some(entitled)` for a person of this practice (`false`: deactivated or deleted, so
    /// policy grants them nothing), `None` otherwise.
    pub async fn person_is_entitled(&self, person: Uuid) -> Result<Option<bool>, StoreError> {
        Ok(scim_user::Entity::find_by_id(person)
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(self.db)
            .await?
            .map(|p| p.active && p.deleted_at.is_none()))
    }

    /// What policy sees of a live person (for previews).
    pub async fn person_facts(&self, person: Uuid) -> Result<PersonFacts, StoreError> {
        let row = scim_user::Entity::find_by_id(person)
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(scim_user::Column::DeletedAt.is_null())
            .one(self.db)
            .await?
            .ok_or(StoreError::NotFound("person"))?;
        self.facts(self.db, &row).await
    }

    /// What policy sees of a person: job attributes and group names.
    async fn facts(
        &self,
        db: &impl ConnectionTrait,
        person: &scim_user::Model,
    ) -> Result<PersonFacts, StoreError> {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let ext = person.attributes.get(ENTERPRISE);
        let groups: Vec<String> = scim_group_member::Entity::find()
            .select_only()
            .column_as(
                Expr::col((scim_group::Entity, scim_group::Column::DisplayName)),
                "display_name",
            )
            .join(
                sea_orm::JoinType::InnerJoin,
                scim_group_member::Entity::belongs_to(scim_group::Entity)
                    .from(scim_group_member::Column::GroupId)
                    .to(scim_group::Column::Id)
                    .into(),
            )
            .filter(scim_group_member::Column::UserId.eq(person.id))
            .filter(scim_group_member::Column::PracticeId.eq(self.practice.as_uuid()))
            .into_tuple()
            .all(db)
            .await?;
        Ok(PersonFacts {
            title: text(person.attributes.get("title")),
            employee_type: text(person.attributes.get("userType")),
            department: text(ext.and_then(|e| e.get("department"))),
            division: text(ext.and_then(|e| e.get("division"))),
            cost_center: text(ext.and_then(|e| e.get("costCenter"))),
            groups,
        })
    }

    pub(crate) async fn active_accounts(
        &self,
        db: &impl ConnectionTrait,
        person: Uuid,
    ) -> Result<Vec<Account>, StoreError> {
        Ok(portal_account::Entity::find()
            .filter(portal_account::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_account::Column::PersonId.eq(person))
            .filter(portal_account::Column::Status.eq("active"))
            .all(db)
            .await?
            .into_iter()
            .map(|a| Account {
                portal: a.portal_slug,
                username: a.username,
                roles: serde_json::from_value(a.roles).unwrap_or_default(),
                other_affiliations: a.other_affiliations,
            })
            .collect())
    }

    async fn open_tasks(
        &self,
        db: &impl ConnectionTrait,
        person: Uuid,
    ) -> Result<Vec<OpenTask>, StoreError> {
        Ok(task::Entity::find()
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::PersonId.eq(person))
            .filter(task::Column::State.is_in(PENDING_STATES))
            .order_by_asc(task::Column::CreatedAt)
            .order_by_asc(task::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .filter_map(|t| {
                Some(OpenTask {
                    id: t.id,
                    portal: t.portal_slug,
                    kind: TaskKind::parse(&t.kind)?,
                    claimed: t.state == "claimed",
                    roles_add: serde_json::from_value(t.roles_add).unwrap_or_default(),
                    roles_remove: serde_json::from_value(t.roles_remove).unwrap_or_default(),
                })
            })
            .collect())
    }
}
