//! Runs the lifecycle engine inside the transaction of the change that triggers it: gathers
//! what the pure planner (`domain::lifecycle`) needs, and writes its plan (lifecycle event,
//! cancelled and new tasks, audit rows). A SCIM 2xx therefore means the tasks exist.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use entities::{
    lifecycle_event, portal_account, practice, scim_group, scim_group_member, scim_user, task,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use super::alerts;
use super::audit::{self, Actor};
use super::policy::PolicyVersion;
use super::portals::PracticePortal;
use super::{Practice, PracticeId, StoreError, TenantStore, in_batches};
use crate::domain::catalog::Portal;
use crate::domain::escalation::EscalationPolicy;
use crate::domain::lifecycle::{
    self, Account, EventKind, OpenTask, PersonLabel, PlanInput, TaskKind,
};
use crate::domain::policy::PersonFacts;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The practice-wide inputs of the engine.
#[derive(Debug)]
pub(crate) struct LifecycleContext {
    /// The practice's configuration version these were read at (see [`ContextCache`]).
    version: i64,
    practice: Practice,
    policy: PolicyVersion,
    /// Gives each new task its first alert time.
    escalation: EscalationPolicy,
    practice_portals: BTreeMap<String, PracticePortal>,
    /// The practice's portals, with its own admin minimum where set.
    portals: BTreeMap<String, Portal>,
}

/// The last committed [`LifecycleContext`] of each practice, valid while the practice's
/// `version` is unchanged: every writer of the practice's settings, policy or portals bumps it
/// ([`TenantStore::bump_configuration`]), so another process's change is seen by the next
/// write here. Saves a SCIM write two of its statements.
#[derive(Debug, Default)]
pub(crate) struct ContextCache(Mutex<HashMap<PracticeId, Arc<LifecycleContext>>>);

/// More practices than one deployment serves; past it the cache starts over.
const MAX_CACHED_PRACTICES: usize = 10_000;

impl ContextCache {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<PracticeId, Arc<LifecycleContext>>> {
        // Every update is a single insert or clear, so a poisoned map is still consistent.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, practice: PracticeId, version: i64) -> Option<Arc<LifecycleContext>> {
        self.map()
            .get(&practice)
            .filter(|known| known.version == version)
            .cloned()
    }

    fn put(&self, practice: PracticeId, context: Arc<LifecycleContext>) {
        let mut map = self.map();
        if map.len() >= MAX_CACHED_PRACTICES {
            map.clear();
        }
        map.insert(practice, context);
    }
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
        self.react_all(db, &ctx, &[person_id], trigger, actor).await
    }

    /// What the engine needs about the practice, loaded once however many people one change
    /// touches (a group push, a policy change). One statement when the practice's
    /// configuration has not changed since a committed write remembered it.
    pub(crate) async fn lifecycle_context(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<Arc<LifecycleContext>, StoreError> {
        let version: i64 = practice::Entity::find_by_id(self.practice.as_uuid())
            .select_only()
            .column(practice::Column::Version)
            .into_tuple()
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("practice"))?;
        if let Some(known) = self.store.contexts.get(self.practice, version) {
            return Ok(known);
        }
        let practice: Practice = practice::Entity::find_by_id(self.practice.as_uuid())
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("practice"))?
            .try_into()?;
        let policy = self.policy_in(db).await?;
        let escalation = self.escalation_policy_in(db).await?.document;
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

        Ok(Arc::new(LifecycleContext {
            version,
            practice,
            policy,
            escalation,
            practice_portals,
            portals,
        }))
    }

    /// Keeps a context for the next writes, once the transaction that read it has committed.
    /// Only committed reads are kept: a rolled-back configuration change can leave a version
    /// number that a later change reuses, but committed versions only ever grow.
    pub(crate) fn remember_context(&self, context: Arc<LifecycleContext>) {
        self.store.contexts.put(self.practice, context);
    }

    /// Marks the practice's configuration (policy, portals, settings) as changed, in the
    /// transaction that changes it, so no write plans against a remembered old one.
    pub(crate) async fn bump_configuration(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<(), StoreError> {
        practice::Entity::update_many()
            .col_expr(
                practice::Column::Version,
                Expr::col(practice::Column::Version).add(1),
            )
            .filter(practice::Column::Id.eq(self.practice.as_uuid()))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Runs the engine for many people with one cause (a group's members, everyone on a policy
    /// change), `PEOPLE_PER_BATCH` at a time: each batch reads its people, their groups,
    /// accounts and open tasks in four statements and writes all their plans in a few
    /// multi-row inserts, instead of a round of statements per person. Ids of people who are
    /// not (or no longer) in the practice are skipped.
    pub(crate) async fn react_all(
        &self,
        db: &impl ConnectionTrait,
        ctx: &LifecycleContext,
        people: &[Uuid],
        trigger: Trigger,
        actor: &Actor<'_>,
    ) -> Result<(), StoreError> {
        let mut trail = Vec::new();
        for batch in people.chunks(PEOPLE_PER_BATCH) {
            let persons = scim_user::Entity::find()
                .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
                .filter(scim_user::Column::Id.is_in(batch.iter().copied()))
                .order_by_asc(scim_user::Column::Id)
                .all(db)
                .await?;
            let mut inputs = self.inputs_of(db, &persons).await?;
            let mut writes = PlannedWrites::default();
            for person in &persons {
                let input = inputs
                    .remove(&person.id)
                    .unwrap_or_else(|| PersonInputs::new_person(person));
                trail.extend(self.plan_for(ctx, person, trigger, actor, input, &mut writes));
            }
            writes.write(db, actor).await?;
        }
        audit::append_all(db, self.practice, actor, trail).await
    }

    /// Runs the engine for a person already read in this transaction (a create passes the row
    /// it just inserted). `leading` is the change's own audit record, appended together with
    /// the reaction's so the chain's head is read once.
    pub(crate) async fn react_to(
        &self,
        db: &impl ConnectionTrait,
        ctx: &LifecycleContext,
        person: &scim_user::Model,
        trigger: Trigger,
        actor: &Actor<'_>,
        leading: Vec<audit::Entry>,
    ) -> Result<(), StoreError> {
        // A person created in this transaction has a fresh id: no group, account or task can
        // refer to it yet, so there is nothing to read about them.
        let input = if matches!(trigger.before, Before::New) {
            PersonInputs::new_person(person)
        } else {
            self.inputs_of(db, std::slice::from_ref(person))
                .await?
                .remove(&person.id)
                .unwrap_or_else(|| PersonInputs::new_person(person))
        };
        let mut writes = PlannedWrites::default();
        let mut trail = leading;
        trail.extend(self.plan_for(ctx, person, trigger, actor, input, &mut writes));
        writes.write(db, actor).await?;
        audit::append_all(db, self.practice, actor, trail).await
    }

    /// Plans the engine's reaction for a person: adds the rows to write to `writes` and
    /// returns the audit records it owes. Reads nothing.
    fn plan_for(
        &self,
        ctx: &LifecycleContext,
        person: &scim_user::Model,
        trigger: Trigger,
        actor: &Actor<'_>,
        input: PersonInputs,
        writes: &mut PlannedWrites,
    ) -> Vec<audit::Entry> {
        let person_id = person.id;
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
                    None => return Vec::new(),
                }
            }
        };
        let (practice, policy, practice_portals, portals) = (
            &ctx.practice,
            &ctx.policy,
            &ctx.practice_portals,
            &ctx.portals,
        );
        let PersonInputs {
            facts,
            accounts,
            open_tasks,
        } = input;
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
            return Vec::new();
        }
        let event_id = Uuid::now_v7();
        writes.events.push(lifecycle_event::ActiveModel {
            id: Set(event_id),
            practice_id: Set(self.practice.as_uuid()),
            person_id: Set(person_id),
            kind: Set(event.as_str().to_owned()),
            change_seq: Set(trigger.change_seq),
            policy_version: Set(Some(policy.version)),
            at: Set(actor.at),
        });
        let mut trail = vec![audit::Entry {
            action: format!("lifecycle.{}", event.as_str()),
            target: format!("person {person_id}"),
            detail: Some(json!({"event": event_id, "policy_version": policy.version})),
        }];

        for (task_id, reason) in plan.cancel {
            trail.push(audit::Entry {
                action: "task.cancelled".to_owned(),
                target: format!("task {task_id}"),
                detail: Some(json!({"reason": reason})),
            });
            writes.cancels.push((task_id, reason));
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
            let window = alerts::task_window(
                new.kind.as_str(),
                event.as_str(),
                !new.roles_remove.is_empty(),
                actor.at,
                due_at,
            );
            let next_alert_at =
                alerts::first_alert_at(&ctx.escalation, &window, actor.at, practice.time_zone.tz());
            writes.tasks.push(task::ActiveModel {
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
                next_alert_at: Set(next_alert_at),
                created_at: Set(actor.at),
                updated_at: Set(actor.at),
                version: Set(1),
            });
            trail.push(audit::Entry {
                action: "task.created".to_owned(),
                target: format!("task {id}"),
                detail: Some(json!({
                    "kind": new.kind.as_str(),
                    "portal": new.portal,
                    "due_at": due_at,
                    "sla": sla.to_string(),
                })),
            });
        }
        trail
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
        let mut groups = self.group_names_of(db, &[person.id]).await?;
        Ok(facts_of(
            person,
            groups.remove(&person.id).unwrap_or_default(),
        ))
    }

    /// The engine's inputs for each of `persons` besides the practice context: three
    /// statements, however many people.
    async fn inputs_of(
        &self,
        db: &impl ConnectionTrait,
        persons: &[scim_user::Model],
    ) -> Result<HashMap<Uuid, PersonInputs>, StoreError> {
        let ids: Vec<Uuid> = persons.iter().map(|p| p.id).collect();
        let mut groups = self.group_names_of(db, &ids).await?;
        let mut accounts = self.active_accounts_of(db, &ids).await?;
        let mut open_tasks = self.open_tasks_of(db, &ids).await?;
        Ok(persons
            .iter()
            .map(|person| {
                let input = PersonInputs {
                    facts: facts_of(person, groups.remove(&person.id).unwrap_or_default()),
                    accounts: accounts.remove(&person.id).unwrap_or_default(),
                    open_tasks: open_tasks.remove(&person.id).unwrap_or_default(),
                };
                (person.id, input)
            })
            .collect())
    }

    /// The names of the groups each of `people` belongs to.
    async fn group_names_of(
        &self,
        db: &impl ConnectionTrait,
        people: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<String>>, StoreError> {
        let rows: Vec<(Uuid, String)> = scim_group_member::Entity::find()
            .select_only()
            .column(scim_group_member::Column::UserId)
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
            .filter(scim_group_member::Column::UserId.is_in(people.iter().copied()))
            .filter(scim_group_member::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_asc(scim_group_member::Column::UserId)
            .order_by_asc(Expr::col((
                scim_group::Entity,
                scim_group::Column::DisplayName,
            )))
            .into_tuple()
            .all(db)
            .await?;
        Ok(grouped(rows))
    }

    /// A person's active portal accounts.
    pub(crate) async fn active_accounts(
        &self,
        db: &impl ConnectionTrait,
        person: Uuid,
    ) -> Result<Vec<Account>, StoreError> {
        let mut accounts = self.active_accounts_of(db, &[person]).await?;
        Ok(accounts.remove(&person).unwrap_or_default())
    }

    async fn active_accounts_of(
        &self,
        db: &impl ConnectionTrait,
        people: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<Account>>, StoreError> {
        let rows = portal_account::Entity::find()
            .filter(portal_account::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_account::Column::PersonId.is_in(people.iter().copied()))
            .filter(portal_account::Column::Status.eq("active"))
            .order_by_asc(portal_account::Column::PersonId)
            .order_by_asc(portal_account::Column::PortalSlug)
            .all(db)
            .await?
            .into_iter()
            .map(|a| {
                let account = Account {
                    portal: a.portal_slug,
                    username: a.username,
                    roles: serde_json::from_value(a.roles).unwrap_or_default(),
                    other_affiliations: a.other_affiliations,
                };
                (a.person_id, account)
            });
        Ok(grouped(rows))
    }

    /// Each person's pending tasks, oldest first.
    async fn open_tasks_of(
        &self,
        db: &impl ConnectionTrait,
        people: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<OpenTask>>, StoreError> {
        let rows = task::Entity::find()
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::PersonId.is_in(people.iter().copied()))
            .filter(task::Column::State.is_in(PENDING_STATES))
            .order_by_asc(task::Column::CreatedAt)
            .order_by_asc(task::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .filter_map(|t| {
                let open = OpenTask {
                    id: t.id,
                    portal: t.portal_slug,
                    kind: TaskKind::parse(&t.kind)?,
                    claimed: t.state == "claimed",
                    roles_add: serde_json::from_value(t.roles_add).unwrap_or_default(),
                    roles_remove: serde_json::from_value(t.roles_remove).unwrap_or_default(),
                };
                Some((t.person_id, open))
            });
        Ok(grouped(rows))
    }
}

/// People per batch when the engine runs for many (see [`TenantStore::react_all`]).
const PEOPLE_PER_BATCH: usize = 500;

/// What the planner needs about one person besides the practice context.
struct PersonInputs {
    facts: PersonFacts,
    accounts: Vec<Account>,
    open_tasks: Vec<OpenTask>,
}

impl PersonInputs {
    /// A person nothing refers to yet (created in this transaction): no groups, accounts or
    /// tasks.
    fn new_person(person: &scim_user::Model) -> Self {
        Self {
            facts: facts_of(person, Vec::new()),
            accounts: Vec::new(),
            open_tasks: Vec::new(),
        }
    }
}

/// The rows the engine's plans write, gathered over many people and written together.
#[derive(Default)]
struct PlannedWrites {
    events: Vec<lifecycle_event::ActiveModel>,
    /// Tasks to cancel, with the reason.
    cancels: Vec<(Uuid, String)>,
    tasks: Vec<task::ActiveModel>,
}

impl PlannedWrites {
    /// Events before tasks (a task names its event). Cancellations are one UPDATE per reason
    /// (a leaver's open tasks all share one).
    async fn write(self, db: &impl ConnectionTrait, actor: &Actor<'_>) -> Result<(), StoreError> {
        for rows in in_batches(self.events) {
            lifecycle_event::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await?;
        }
        let mut cancels: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
        for (task_id, reason) in self.cancels {
            cancels.entry(reason).or_default().push(task_id);
        }
        for (reason, tasks) in cancels {
            for ids in in_batches(tasks) {
                task::Entity::update_many()
                    .col_expr(task::Column::State, Expr::value("cancelled"))
                    .col_expr(task::Column::Reason, Expr::value(reason.clone()))
                    .col_expr(task::Column::UpdatedAt, Expr::value(actor.at))
                    .col_expr(
                        task::Column::Version,
                        Expr::col(task::Column::Version).add(1),
                    )
                    .filter(task::Column::Id.is_in(ids))
                    .filter(task::Column::State.is_in(PENDING_STATES))
                    .exec(db)
                    .await?;
            }
        }
        // A task `blocked_by` another is fine in any batch: the column has no foreign key.
        for rows in in_batches(self.tasks) {
            task::Entity::insert_many(rows)
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }
}

/// Pairs grouped by their key, each group in the pairs' order.
fn grouped<T>(pairs: impl IntoIterator<Item = (Uuid, T)>) -> HashMap<Uuid, Vec<T>> {
    let mut map: HashMap<Uuid, Vec<T>> = HashMap::new();
    for (key, value) in pairs {
        map.entry(key).or_default().push(value);
    }
    map
}

/// What policy sees of a person, given the names of their groups.
fn facts_of(person: &scim_user::Model, groups: Vec<String>) -> PersonFacts {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let ext = person.attributes.get(ENTERPRISE);
    PersonFacts {
        title: text(person.attributes.get("title")),
        employee_type: text(person.attributes.get("userType")),
        department: text(ext.and_then(|e| e.get("department"))),
        division: text(ext.and_then(|e| e.get("division"))),
        cost_center: text(ext.and_then(|e| e.get("costCenter"))),
        groups,
    }
}
