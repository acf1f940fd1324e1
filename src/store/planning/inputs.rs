//! A person's planning inputs, read in the write transaction: what policy sees of them
//! (job attributes and group names), their active portal accounts, and their pending tasks.

use std::collections::HashMap;

use entities::{portal_account, scim_group, scim_group_member, scim_user, task};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::domain::lifecycle::{Account, OpenTask};
use crate::domain::policy::PersonFacts;
use crate::domain::task::{AccountStatus, TaskState};
use crate::store::tasks::TaskRecord;
use crate::store::{StoreError, TenantStore, WriteTx};

use crate::domain::directory::{display_name, person_facts};

impl TenantStore<'_> {
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
        Ok(person_facts(
            &person.attributes,
            groups.remove(&person.id).unwrap_or_default(),
        ))
    }

    /// Every active person of the practice (by user name) with their display name and what
    /// policy sees of them, for a policy preview: two statements per thousand people.
    pub async fn active_people_facts(
        &self,
    ) -> Result<Vec<(Uuid, String, PersonFacts)>, StoreError> {
        let persons = scim_user::Entity::find()
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(scim_user::Column::Active.eq(true))
            .filter(scim_user::Column::DeletedAt.is_null())
            .order_by_asc(scim_user::Column::UserNameKey)
            .all(self.db)
            .await?;
        let mut out = Vec::with_capacity(persons.len());
        // Bounded IN lists, well under either database's parameter limit.
        for chunk in persons.chunks(1000) {
            let ids: Vec<Uuid> = chunk.iter().map(|p| p.id).collect();
            let mut groups = self.group_names_of(self.db, &ids).await?;
            out.extend(chunk.iter().map(|p| {
                (
                    p.id,
                    display_name(&p.attributes, &p.user_name),
                    person_facts(&p.attributes, groups.remove(&p.id).unwrap_or_default()),
                )
            }));
        }
        Ok(out)
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

    /// The names of the groups each of `people` belongs to.
    pub(crate) async fn group_names_of(
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
        // The state is filtered here, not in SQL: given `state IN (…)`, SQLite walks the
        // practice's queue index (every pending task of the practice, for each write) instead
        // of the person index; a person's own tasks, finished ones included, are few.
        let rows = task::Entity::find()
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::PersonId.is_in(people.iter().copied()))
            .order_by_asc(task::Column::CreatedAt)
            .order_by_asc(task::Column::Id)
            .into_model::<TaskRecord>()
            .all(db)
            .await?
            .into_iter()
            .filter(|t| TaskState::PENDING.contains(&t.state))
            .filter_map(|t| {
                let person = t.person_id?;
                let open = OpenTask {
                    id: t.id,
                    portal: t.portal,
                    kind: t.kind,
                    claimed: t.state == TaskState::Claimed,
                    roles_add: t.roles_add.0.into_iter().collect(),
                    roles_remove: t.roles_remove.0.into_iter().collect(),
                };
                Some((person, open))
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
            display: display_name(&person.attributes, &person.user_name),
            active: person.active,
            deleted: person.deleted_at.is_some(),
            facts: person_facts(&person.attributes, groups),
            accounts,
            open_tasks,
        }
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
