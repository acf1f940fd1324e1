//! What the lifecycle engine (`engine::react`) reads and writes, as rows: the practice's
//! configuration snapshot (cached by `practice.version`), each person's planning inputs (facts,
//! accounts, pending tasks), and the events, cancellations and tasks a plan writes. Nothing
//! here decides anything.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use entities::{
    lifecycle_event, portal_account, practice, scim_group, scim_group_member, scim_user, task,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use super::policy::PolicyVersion;
use super::portals::PracticePortal;
use super::vocabulary::text;
use super::{Practice, PracticeId, StoreError, TenantStore, WriteTx, in_batches};
use crate::domain::catalog::Portal;
use crate::domain::escalation::EscalationPolicy;
use crate::domain::lifecycle::{Account, OpenTask};
use crate::domain::policy::PersonFacts;
use crate::domain::task::{AccountStatus, Cause, EventKind, TaskKind, TaskState};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The practice-wide inputs of the engine: its configuration as one snapshot.
#[derive(Debug)]
pub(crate) struct PlanningContext {
    /// The practice's configuration version these were read at (see [`ContextCache`]).
    pub(crate) version: i64,
    pub(crate) practice: Practice,
    pub(crate) policy: PolicyVersion,
    /// Gives each new task its first alert time.
    pub(crate) escalation: EscalationPolicy,
    pub(crate) practice_portals: BTreeMap<String, PracticePortal>,
    /// The practice's portals, with its own admin minimum where set.
    pub(crate) portals: BTreeMap<String, Portal>,
}

/// The last committed [`PlanningContext`] of each practice, valid while the practice's
/// `version` is unchanged: every writer of the practice's settings, policy or portals bumps it
/// ([`TenantStore::bump_configuration`]), so another process's change is seen by the next
/// write here. Saves a SCIM write two of its statements.
#[derive(Debug, Default)]
pub(crate) struct ContextCache(Mutex<HashMap<PracticeId, Arc<PlanningContext>>>);

/// More practices than one deployment serves; past it the cache starts over.
const MAX_CACHED_PRACTICES: usize = 10_000;

impl ContextCache {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<PracticeId, Arc<PlanningContext>>> {
        // Every update is a single insert or clear, so a poisoned map is still consistent.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, practice: PracticeId, version: i64) -> Option<Arc<PlanningContext>> {
        self.map()
            .get(&practice)
            .filter(|known| known.version == version)
            .cloned()
    }

    fn put(&self, practice: PracticeId, context: Arc<PlanningContext>) {
        let mut map = self.map();
        if map.len() >= MAX_CACHED_PRACTICES {
            map.clear();
        }
        map.insert(practice, context);
    }
}

impl TenantStore<'_> {
    /// What the engine needs about the practice, loaded once however many people one change
    /// touches (a group push, a policy change). One statement when the practice's
    /// configuration has not changed since a committed write remembered it.
    pub(crate) async fn planning_context(
        &self,
        tx: &WriteTx,
    ) -> Result<Arc<PlanningContext>, StoreError> {
        let db = &tx.tx;
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

        Ok(Arc::new(PlanningContext {
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
    pub(crate) fn remember_planning_context(&self, context: Arc<PlanningContext>) {
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

    /// The people among `ids` (of this practice, deleted or not, in id order), each with what
    /// the planner needs: four statements however many people.
    pub(crate) async fn planning_people(
        &self,
        tx: &WriteTx,
        ids: &[Uuid],
    ) -> Result<Vec<PlanningPerson>, StoreError> {
        let persons = scim_user::Entity::find()
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(scim_user::Column::Id.is_in(ids.iter().copied()))
            .order_by_asc(scim_user::Column::Id)
            .all(&tx.tx)
            .await?;
        self.inputs_of(&tx.tx, persons).await
    }

    /// The planning inputs of a person a write has just read or written. A person created in
    /// this transaction (`fresh`) has a new id: no group, account or task can refer to them
    /// yet, so nothing is read.
    pub(crate) async fn planning_person(
        &self,
        tx: &WriteTx,
        person: &scim_user::Model,
        fresh: bool,
    ) -> Result<PlanningPerson, StoreError> {
        if fresh {
            return Ok(PlanningPerson::of(
                person,
                Vec::new(),
                Vec::new(),
                Vec::new(),
            ));
        }
        let mut found = self.inputs_of(&tx.tx, vec![person.clone()]).await?;
        Ok(found
            .pop()
            .unwrap_or_else(|| PlanningPerson::of(person, Vec::new(), Vec::new(), Vec::new())))
    }

    /// The planning inputs of `persons`: three statements, however many people.
    async fn inputs_of(
        &self,
        db: &impl ConnectionTrait,
        persons: Vec<scim_user::Model>,
    ) -> Result<Vec<PlanningPerson>, StoreError> {
        let ids: Vec<Uuid> = persons.iter().map(|p| p.id).collect();
        let mut groups = self.group_names_of(db, &ids).await?;
        let mut accounts = self.active_accounts_of(db, &ids).await?;
        let mut open_tasks = self.open_tasks_of(db, &ids).await?;
        Ok(persons
            .iter()
            .map(|person| {
                PlanningPerson::of(
                    person,
                    groups.remove(&person.id).unwrap_or_default(),
                    accounts.remove(&person.id).unwrap_or_default(),
                    open_tasks.remove(&person.id).unwrap_or_default(),
                )
            })
            .collect())
    }

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
                    .filter(task::Column::Id.is_in(ids))
                    .filter(task::Column::State.is_in(TaskState::PENDING))
                    .exec(db)
                    .await?;
            }
        }
        let tasks = writes.tasks.into_iter().map(|t| task::ActiveModel {
            id: Set(t.id),
            practice_id: Set(self.practice.as_uuid()),
            person_id: Set(t.person_id),
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
            .filter(portal_account::Column::Status.eq(AccountStatus::Active))
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
            .filter(task::Column::State.is_in(TaskState::PENDING))
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
                    claimed: TaskState::parse(&t.state) == Some(TaskState::Claimed),
                    roles_add: serde_json::from_value(t.roles_add).unwrap_or_default(),
                    roles_remove: serde_json::from_value(t.roles_remove).unwrap_or_default(),
                };
                Some((t.person_id, open))
            });
        Ok(grouped(rows))
    }
}

/// One person as the planner sees them.
#[derive(Debug, Clone)]
pub(crate) struct PlanningPerson {
    pub id: Uuid,
    pub user_name: String,
    /// `displayName`, else the userName: how task wording names them.
    pub display: String,
    pub active: bool,
    pub deleted: bool,
    pub facts: PersonFacts,
    pub accounts: Vec<Account>,
    /// Pending tasks, oldest first.
    pub open_tasks: Vec<OpenTask>,
}

impl PlanningPerson {
    fn of(
        person: &scim_user::Model,
        groups: Vec<String>,
        accounts: Vec<Account>,
        open_tasks: Vec<OpenTask>,
    ) -> Self {
        Self {
            id: person.id,
            user_name: person.user_name.clone(),
            display: person
                .attributes
                .get("displayName")
                .and_then(Value::as_str)
                .map_or_else(|| person.user_name.clone(), str::to_owned),
            active: person.active,
            deleted: person.deleted_at.is_some(),
            facts: facts_of(person, groups),
            accounts,
            open_tasks,
        }
    }
}

/// A lifecycle event a plan records.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    pub id: Uuid,
    pub person_id: Uuid,
    pub kind: EventKind,
    pub change_seq: Option<i64>,
    pub policy_version: i32,
}

/// A task a plan opens.
#[derive(Debug, Clone)]
pub(crate) struct NewTask {
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
}

/// The rows plans write, gathered over many people and written together
/// ([`TenantStore::write_plans`]).
#[derive(Debug, Default)]
pub(crate) struct PlannedWrites {
    pub events: Vec<NewEvent>,
    /// Tasks to cancel, with the reason.
    pub cancels: Vec<(Uuid, String)>,
    pub tasks: Vec<NewTask>,
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
