//! Reading tasks: the queue an administrator works, filtered and paged by a cursor on
//! `(due_at, id)` so pages stay stable while tasks are added.

use chrono::{DateTime, Utc};
use entities::{scim_user, task};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::Value;
use uuid::Uuid;

use super::{StoreError, TenantStore};
use crate::domain::directory::display_name;
use crate::domain::ladder::ladder_finished;
use crate::domain::task::{Cause, Outcome, RoleList, TaskKind, TaskState};

/// Who a task on a portal as a whole (a `recertify` task) is shown as being for.
pub const PORTAL_AS_A_WHOLE: &str = "the portal's users";

/// A task as the store reads it: sea-orm reads the row straight into this, the states, kinds
/// and causes as the domain's enums (`store::vocabulary`).
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct TaskRecord {
    pub id: Uuid,
    /// The person whose access it changes; `None` for work on a portal as a whole (a
    /// `recertify` task).
    pub person_id: Option<Uuid>,
    /// The person's displayName, else userName (deleted people included: their tasks live
    /// on). Filled by the reads that show tasks ([`TenantStore::tasks`], [`TenantStore::task`]).
    #[sea_orm(skip)]
    pub person_display: String,
    #[sea_orm(from_alias = "portal_slug")]
    pub portal: Option<String>,
    pub kind: TaskKind,
    pub state: TaskState,
    pub roles_add: RoleList,
    pub roles_remove: RoleList,
    pub action: String,
    pub cause: Cause,
    pub event_id: Uuid,
    pub policy_version: Option<i32>,
    pub due_at: DateTime<Utc>,
    pub blocked_by: Option<Uuid>,
    pub assignee: Option<String>,
    /// Who claimed, completed and verified it, and when.
    pub claimed_by: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub verified_by: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    /// The proof recorded on completion.
    pub evidence: Option<Value>,
    pub outcome: Option<Outcome>,
    pub reason: Option<String>,
    pub escalation_level: i32,
    pub reminders_sent: i32,
    /// When the sweeper next looks at the task; `None` when it is not yet worked out (and, as
    /// shown, when its ladder is finished; stored then as a far-future sentinel).
    pub next_alert_at: Option<DateTime<Utc>>,
    /// The portal duty a `recertify` task meets.
    pub duty_key: Option<String>,
    /// What must happen before it can be done: `training` (the person's training for the
    /// portal); `None`: nothing.
    pub waiting_for: Option<String>,
    /// The portal account a task on no known person is about.
    pub portal_username: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl TaskRecord {
    /// The task as shown: with its person's name, and a finished ladder as no next alert. A
    /// ladder ends when the task is done, verified or cancelled, though the sweeper may not
    /// have moved its stored sentinel yet.
    fn shown(mut self, person_display: String) -> Self {
        self.person_display = person_display;
        let climbing = TaskState::PENDING.contains(&self.state);
        self.next_alert_at = self
            .next_alert_at
            .filter(|at| climbing && *at < ladder_finished());
        self
    }

    /// Overdue is derived, never stored: past due and not finished.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        now > self.due_at && self.state.is_open()
    }
}

/// Which tasks to list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub states: Vec<TaskState>,
    pub kinds: Vec<TaskKind>,
    pub portal: Option<String>,
    pub person: Option<Uuid>,
    /// Only tasks of these people (a search's matches); empty matches nothing.
    pub people: Option<Vec<Uuid>>,
    /// Only tasks past due at this instant (and not finished).
    pub overdue_at: Option<DateTime<Utc>>,
    /// Only tasks assigned to this administrator (by e-mail), or to nobody.
    pub assignee: Option<Assigned>,
    /// Continue after this `(due_at, id)`.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assigned {
    To(String),
    Nobody,
}

impl TenantStore<'_> {
    pub async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<TaskRecord>, StoreError> {
        let rows = self
            .select_tasks(filter)
            .order_by_asc(task::Column::DueAt)
            .order_by_asc(task::Column::Id)
            .limit(filter.limit)
            .into_model::<TaskRecord>()
            .all(self.db)
            .await?;
        self.with_people(rows).await
    }

    /// How many tasks `filter` matches, all pages together (`limit` and `after` ignored).
    pub async fn count_tasks(&self, filter: &TaskFilter) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        let whole = TaskFilter {
            after: None,
            ..filter.clone()
        };
        Ok(self.select_tasks(&whole).count(self.db).await?)
    }

    fn select_tasks(&self, filter: &TaskFilter) -> sea_orm::Select<task::Entity> {
        let mut select =
            task::Entity::find().filter(task::Column::PracticeId.eq(self.practice.as_uuid()));
        match &filter.assignee {
            Some(Assigned::To(email)) => {
                select = select.filter(task::Column::Assignee.eq(email.clone()));
            }
            Some(Assigned::Nobody) => select = select.filter(task::Column::Assignee.is_null()),
            None => {}
        }
        if !filter.states.is_empty() {
            select = select.filter(task::Column::State.is_in(filter.states.clone()));
        }
        if !filter.kinds.is_empty() {
            select = select.filter(task::Column::Kind.is_in(filter.kinds.clone()));
        }
        if let Some(portal) = &filter.portal {
            select = select.filter(task::Column::PortalSlug.eq(portal.clone()));
        }
        if let Some(person) = filter.person {
            select = select.filter(task::Column::PersonId.eq(person));
        }
        if let Some(people) = &filter.people {
            select = select.filter(task::Column::PersonId.is_in(people.iter().copied()));
        }
        if let Some(now) = filter.overdue_at {
            select = select
                .filter(task::Column::DueAt.lt(now))
                .filter(task::Column::State.is_in(TaskState::OPEN));
        }
        if let Some((due, id)) = filter.after {
            select = select.filter(
                Condition::any().add(task::Column::DueAt.gt(due)).add(
                    Condition::all()
                        .add(task::Column::DueAt.eq(due))
                        .add(task::Column::Id.gt(id)),
                ),
            );
        }
        select
    }

    pub async fn task(&self, id: Uuid) -> Result<TaskRecord, StoreError> {
        let row = task::Entity::find_by_id(id)
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .into_model::<TaskRecord>()
            .one(self.db)
            .await?
            .ok_or(StoreError::NotFound("task"))?;
        self.with_people(vec![row])
            .await?
            .pop()
            .ok_or(StoreError::NotFound("task"))
    }

    /// Display names (displayName, else userName) of people, deleted ones included.
    pub async fn display_names(
        &self,
        people: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, String>, StoreError> {
        self.display_names_in(self.db, people).await
    }

    /// [`Self::display_names`] inside a write transaction. A read on the pool while the
    /// transaction holds the practice's lock would need a second connection (behind
    /// PgBouncer, a second server session) while holding the first: with every connection
    /// held by writers waiting for that lock, it would wait for good.
    pub(crate) async fn display_names_in_tx(
        &self,
        tx: &super::WriteTx,
        people: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, String>, StoreError> {
        self.display_names_in(&tx.tx, people).await
    }

    async fn display_names_in(
        &self,
        db: &impl ConnectionTrait,
        people: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, String>, StoreError> {
        let mut names = std::collections::HashMap::new();
        for chunk in people.chunks(500) {
            let found: Vec<(Uuid, String, Value)> = scim_user::Entity::find()
                .select_only()
                .column(scim_user::Column::Id)
                .column(scim_user::Column::UserName)
                .column(scim_user::Column::Attributes)
                .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
                .filter(Expr::col(scim_user::Column::Id).is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            for (id, user_name, attributes) in found {
                names.insert(id, display_name(&attributes, &user_name));
            }
        }
        Ok(names)
    }

    /// People (deleted ones included: their tasks live on) whose user name, display name or
    /// e-mail contains `text`, case-insensitively; at most `limit`.
    pub async fn people_matching(&self, text: &str, limit: u64) -> Result<Vec<Uuid>, StoreError> {
        let needle = text.trim().to_lowercase();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let escaped: String = needle
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        let like = |expr: sea_orm::sea_query::SimpleExpr| {
            expr.like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        // `search` holds the attributes with case-insensitive strings lowercased.
        let searched = Expr::col(scim_user::Column::Search).cast_as("text");
        Ok(scim_user::Entity::find()
            .select_only()
            .column(scim_user::Column::Id)
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(
                Condition::any()
                    .add(like(Expr::col(scim_user::Column::UserNameKey)))
                    .add(like(searched)),
            )
            .limit(limit)
            .into_tuple()
            .all(self.db)
            .await?)
    }

    /// Attaches each task's person's display name (deleted people included: their tasks live on).
    async fn with_people(&self, rows: Vec<TaskRecord>) -> Result<Vec<TaskRecord>, StoreError> {
        let mut people: Vec<Uuid> = rows.iter().filter_map(|t| t.person_id).collect();
        people.sort_unstable();
        people.dedup();
        let names = self.display_names(&people).await?;
        Ok(rows
            .into_iter()
            .map(|t| {
                // A task on a portal as a whole names no person.
                let display = match t.person_id {
                    Some(p) => names.get(&p).cloned().unwrap_or_default(),
                    None => PORTAL_AS_A_WHOLE.to_owned(),
                };
                t.shown(display)
            })
            .collect())
    }
}

/// Task counts for dashboards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskCounts {
    /// (state, kind, portal) → count.
    pub by_state_kind_portal: Vec<(TaskState, TaskKind, Option<String>, u64)>,
    /// portal → open tasks past due.
    pub overdue_by_portal: Vec<(Option<String>, u64)>,
}

/// Open and claimed work, counted by portal and assignee, with how many are overdue: one
/// pass over the open tasks gives the queue's tab counts and the work per portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenWork {
    pub portal: Option<String>,
    pub assignee: Option<String>,
    pub count: u64,
    pub overdue: u64,
}

impl TenantStore<'_> {
    pub async fn open_work(&self, now: DateTime<Utc>) -> Result<Vec<OpenWork>, StoreError> {
        use sea_orm::sea_query::CaseStatement;
        // SUM(CASE …) rather than grouping by `due_at < now`: PostgreSQL does not match a
        // grouped expression whose parameter is bound twice. The CASE is of 4-byte integers so
        // that PostgreSQL's SUM is a bigint (of bigints it is a numeric).
        let late = CaseStatement::new()
            .case(Expr::col(task::Column::DueAt).lt(now), Expr::val(1_i32))
            .finally(Expr::val(0_i32));
        let rows: Vec<(Option<String>, Option<String>, i64, i64)> = task::Entity::find()
            .select_only()
            .column(task::Column::PortalSlug)
            .column(task::Column::Assignee)
            .column_as(Expr::col(task::Column::Id).count(), "n")
            .column_as(Expr::expr(late).sum(), "late")
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::State.is_in(TaskState::OPEN))
            .group_by(task::Column::PortalSlug)
            .group_by(task::Column::Assignee)
            .into_tuple()
            .all(self.db)
            .await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(rows
            .into_iter()
            .map(|(portal, assignee, n, late)| OpenWork {
                portal,
                assignee,
                count: count(n),
                overdue: count(late),
            })
            .collect())
    }

    pub async fn task_counts(&self, now: DateTime<Utc>) -> Result<TaskCounts, StoreError> {
        let grouped: Vec<(TaskState, TaskKind, Option<String>, i64)> = task::Entity::find()
            .select_only()
            .column(task::Column::State)
            .column(task::Column::Kind)
            .column(task::Column::PortalSlug)
            .column_as(Expr::col(task::Column::Id).count(), "n")
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .group_by(task::Column::State)
            .group_by(task::Column::Kind)
            .group_by(task::Column::PortalSlug)
            .into_tuple()
            .all(self.db)
            .await?;
        let overdue: Vec<(Option<String>, i64)> = task::Entity::find()
            .select_only()
            .column(task::Column::PortalSlug)
            .column_as(Expr::col(task::Column::Id).count(), "n")
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::State.is_in(TaskState::OPEN))
            .filter(task::Column::DueAt.lt(now))
            .group_by(task::Column::PortalSlug)
            .into_tuple()
            .all(self.db)
            .await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(TaskCounts {
            by_state_kind_portal: grouped
                .into_iter()
                .map(|(s, k, p, n)| (s, k, p, count(n)))
                .collect(),
            overdue_by_portal: overdue.into_iter().map(|(p, n)| (p, count(n))).collect(),
        })
    }
}
