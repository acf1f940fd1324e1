//! The rows behind portal user-list imports (`engine::imports` decides): the import records,
//! what reconciliation reads (people, the portal's accounts and tasks, service accounts), and
//! the writes a commit makes to tasks and accounts, each audited by the engine.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entities::{
    lifecycle_event, portal_account, portal_import, practice_portal, scim_user, service_account,
    task,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;
use uuid::Uuid;

use super::tasks::TaskRecord;
use super::{StoreError, TenantStore, WriteTx};
use crate::domain::actor::Actor;
use crate::domain::directory::{display_name, emails_of};
use crate::domain::reconcile::{
    KnownPerson, ListColumns, ListedAccount, PortalTask, Reconciliation, RecordedAccount,
    ServiceAccount,
};
use crate::domain::task::{AccountStatus, EventKind, TaskKind, TaskState};

/// An import as stored.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    pub id: Uuid,
    pub portal: String,
    pub file_name: String,
    pub sha256: String,
    pub size: u64,
    pub columns: ListColumns,
    pub accounts: Vec<ListedAccount>,
    pub findings: Reconciliation,
    pub committed: bool,
    pub previewed_by: String,
    pub previewed_at: DateTime<Utc>,
    pub committed_by: Option<String>,
    pub committed_at: Option<DateTime<Utc>>,
    pub confirmed_missing: Option<u32>,
}

/// An account whose last sign-in a list showed.
#[derive(Debug, Clone)]
pub struct WatchedLogin {
    pub portal: String,
    pub person: Uuid,
    pub username: String,
    pub roles: std::collections::BTreeSet<String>,
    pub last_login: DateTime<Utc>,
}

/// A preview about to be kept.
#[derive(Debug)]
pub struct NewImport<'a> {
    pub portal: &'a str,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub size: u64,
    pub columns: &'a ListColumns,
    pub accounts: &'a [ListedAccount],
    pub findings: &'a Reconciliation,
}

/// What reconciliation reads, owned.
#[derive(Debug, Default)]
pub struct ReconcileInputs {
    pub people: Vec<KnownPerson>,
    pub accounts: Vec<RecordedAccount>,
    pub tasks: Vec<PortalTask>,
    pub service_accounts: Vec<ServiceAccount>,
}

/// A person's id, userName, attributes, active flag and deletion time.
type PersonRow = (Uuid, String, Value, bool, Option<DateTime<Utc>>);

const PREVIEWED: &str = "previewed";
const COMMITTED: &str = "committed";

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt(what)
}

fn record(row: portal_import::Model) -> Result<ImportRecord, StoreError> {
    Ok(ImportRecord {
        id: row.id,
        portal: row.portal_slug,
        file_name: row.file_name,
        sha256: row.sha256,
        size: u64::try_from(row.size).unwrap_or_default(),
        columns: serde_json::from_value(row.columns)
            .map_err(|_| corrupt("portal import columns"))?,
        accounts: serde_json::from_value(row.accounts)
            .map_err(|_| corrupt("portal import accounts"))?,
        findings: serde_json::from_value(row.findings)
            .map_err(|_| corrupt("portal import findings"))?,
        committed: row.state == COMMITTED,
        previewed_by: row.previewed_by,
        previewed_at: row.previewed_at,
        committed_by: row.committed_by,
        committed_at: row.committed_at,
        confirmed_missing: row.confirmed_missing.and_then(|n| u32::try_from(n).ok()),
    })
}

fn json_of<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl TenantStore<'_> {
    /// How the practice maps this portal's list columns, if it has mapped them.
    pub async fn list_columns_in(
        &self,
        db: &impl ConnectionTrait,
        portal: &str,
    ) -> Result<Option<ListColumns>, StoreError> {
        let mapped: Option<Option<Value>> = practice_portal::Entity::find()
            .select_only()
            .column(practice_portal::Column::ListColumns)
            .filter(practice_portal::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(practice_portal::Column::PortalSlug.eq(portal))
            .into_tuple()
            .one(db)
            .await?;
        mapped
            .flatten()
            .map(|v| serde_json::from_value(v).map_err(|_| corrupt("practice portal list columns")))
            .transpose()
    }

    pub async fn list_columns(&self, portal: &str) -> Result<Option<ListColumns>, StoreError> {
        self.list_columns_in(self.db, portal).await
    }

    /// Remembers how the practice's lists of this portal name their columns.
    pub(crate) async fn remember_list_columns(
        &self,
        tx: &WriteTx,
        portal: &str,
        columns: &ListColumns,
    ) -> Result<(), StoreError> {
        practice_portal::Entity::update_many()
            .col_expr(
                practice_portal::Column::ListColumns,
                Expr::value(json_of(columns)),
            )
            .filter(practice_portal::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(practice_portal::Column::PortalSlug.eq(portal))
            .exec(&tx.tx)
            .await?;
        Ok(())
    }

    /// Everything reconciling a list of `portal` reads, in one consistent view (`db` is the
    /// commit's transaction, or the pool for a preview).
    pub(crate) async fn reconcile_inputs(
        &self,
        db: &impl ConnectionTrait,
        portal: &str,
        now: DateTime<Utc>,
    ) -> Result<ReconcileInputs, StoreError> {
        let practice = self.practice.as_uuid();
        let mut npis: HashMap<Uuid, Vec<String>> = HashMap::new();
        let with_npi: Vec<(Uuid, String)> = portal_account::Entity::find()
            .select_only()
            .column(portal_account::Column::PersonId)
            .column(portal_account::Column::Npi)
            .filter(portal_account::Column::PracticeId.eq(practice))
            .filter(portal_account::Column::Npi.is_not_null())
            .into_tuple()
            .all(db)
            .await?;
        for (person, npi) in with_npi {
            npis.entry(person).or_default().push(npi);
        }
        let left: Vec<(Uuid, DateTime<Utc>)> = lifecycle_event::Entity::find()
            .select_only()
            .column(lifecycle_event::Column::PersonId)
            .column(lifecycle_event::Column::At)
            .filter(lifecycle_event::Column::PracticeId.eq(practice))
            .filter(lifecycle_event::Column::Kind.eq(EventKind::Leaver.as_str()))
            .into_tuple()
            .all(db)
            .await?;
        let mut left_at: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
        for (person, at) in left {
            let latest = left_at.entry(person).or_insert(at);
            *latest = Ord::max(*latest, at);
        }
        let people: Vec<PersonRow> = scim_user::Entity::find()
            .select_only()
            .column(scim_user::Column::Id)
            .column(scim_user::Column::UserName)
            .column(scim_user::Column::Attributes)
            .column(scim_user::Column::Active)
            .column(scim_user::Column::DeletedAt)
            .filter(scim_user::Column::PracticeId.eq(practice))
            .into_tuple()
            .all(db)
            .await?;
        let people = people
            .into_iter()
            .map(|(id, user_name, attributes, active, deleted_at)| {
                let entitled = active && deleted_at.is_none();
                KnownPerson {
                    id,
                    name: display_name(&attributes, &user_name),
                    emails: emails_of(&attributes, &user_name),
                    npis: npis.remove(&id).unwrap_or_default(),
                    entitled,
                    left_at: if entitled {
                        None
                    } else {
                        left_at.get(&id).copied().or(deleted_at)
                    },
                }
            })
            .collect();
        let accounts = portal_account::Entity::find()
            .filter(portal_account::Column::PracticeId.eq(practice))
            .filter(portal_account::Column::PortalSlug.eq(portal))
            .all(db)
            .await?
            .into_iter()
            .map(|a| RecordedAccount {
                person: a.person_id,
                username: a.username,
                roles: serde_json::from_value(a.roles).unwrap_or_default(),
                active: a.status == AccountStatus::Active.as_str(),
            })
            .collect();
        let kinds = [
            TaskKind::Provision,
            TaskKind::Modify,
            TaskKind::Deprovision,
            TaskKind::TransferAdmin,
            TaskKind::ReplaceSharedLogin,
        ];
        let tasks = task::Entity::find()
            .filter(task::Column::PracticeId.eq(practice))
            .filter(task::Column::PortalSlug.eq(portal))
            .filter(task::Column::Kind.is_in(kinds.map(|k| k.as_str())))
            .filter(task::Column::State.ne(TaskState::Cancelled.as_str()))
            // Oldest first, ids (time-ordered) breaking ties: the last is the latest change.
            .order_by_asc(task::Column::CreatedAt)
            .order_by_asc(task::Column::Id)
            .into_model::<TaskRecord>()
            .all(db)
            .await?
            .into_iter()
            .map(|t| PortalTask {
                id: t.id,
                person: t.person_id,
                username: t.portal_username,
                kind: t.kind,
                state: t.state,
                roles_add: t.roles_add.0.into_iter().collect(),
                roles_remove: t.roles_remove.0.into_iter().collect(),
                done_at: t.done_at,
            })
            .collect();
        let service_accounts = service_account::Entity::find()
            .filter(service_account::Column::PracticeId.eq(practice))
            .filter(service_account::Column::PortalSlug.eq(portal))
            .filter(service_account::Column::ReviewAt.gt(now))
            .all(db)
            .await?
            .into_iter()
            .map(|s| ServiceAccount {
                username: s.username,
                review_at: s.review_at,
            })
            .collect();
        Ok(ReconcileInputs {
            people,
            accounts,
            tasks,
            service_accounts,
        })
    }

    /// What reconciling a list of `portal` reads, for a preview (outside any transaction).
    pub(crate) async fn reconcile_inputs_now(
        &self,
        portal: &str,
        now: DateTime<Utc>,
    ) -> Result<ReconcileInputs, StoreError> {
        self.reconcile_inputs(self.db, portal, now).await
    }

    /// Keeps a preview.
    pub(crate) async fn add_import(
        &self,
        new: NewImport<'_>,
        actor: &Actor,
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        portal_import::Entity::insert(portal_import::ActiveModel {
            id: Set(id),
            practice_id: Set(self.practice.as_uuid()),
            portal_slug: Set(new.portal.to_owned()),
            file_name: Set(new.file_name.to_owned()),
            sha256: Set(new.sha256.to_owned()),
            size: Set(i64::try_from(new.size).unwrap_or(i64::MAX)),
            columns: Set(json_of(new.columns)),
            accounts: Set(json_of(&new.accounts)),
            findings: Set(json_of(new.findings)),
            state: Set(PREVIEWED.to_owned()),
            previewed_by: Set(actor.name.clone()),
            previewed_at: Set(actor.at),
            committed_by: Set(None),
            committed_at: Set(None),
            confirmed_missing: Set(None),
        })
        .exec_without_returning(self.db)
        .await?;
        Ok(id)
    }

    async fn import_on(
        &self,
        db: &impl ConnectionTrait,
        portal: &str,
        id: Uuid,
    ) -> Result<ImportRecord, StoreError> {
        let row = portal_import::Entity::find_by_id(id)
            .filter(portal_import::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_import::Column::PortalSlug.eq(portal))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("import"))?;
        record(row)
    }

    pub async fn import(&self, portal: &str, id: Uuid) -> Result<ImportRecord, StoreError> {
        self.import_on(self.db, portal, id).await
    }

    pub(crate) async fn import_in(
        &self,
        tx: &WriteTx,
        portal: &str,
        id: Uuid,
    ) -> Result<ImportRecord, StoreError> {
        self.import_on(&tx.tx, portal, id).await
    }

    /// The portal's imports, newest first, at most `limit` (without their accounts).
    pub async fn imports(&self, portal: &str, limit: u64) -> Result<Vec<ImportRecord>, StoreError> {
        portal_import::Entity::find()
            .filter(portal_import::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_import::Column::PortalSlug.eq(portal))
            .order_by_desc(portal_import::Column::PreviewedAt)
            .order_by_desc(portal_import::Column::Id)
            .limit(limit)
            .all(self.db)
            .await?
            .into_iter()
            .map(|mut row| {
                row.accounts = Value::Array(vec![]);
                record(row)
            })
            .collect()
    }

    /// The committed import of the same file for this portal, if there is one.
    pub(crate) async fn committed_import_of(
        &self,
        tx: &WriteTx,
        portal: &str,
        sha256: &str,
    ) -> Result<Option<Uuid>, StoreError> {
        Ok(portal_import::Entity::find()
            .select_only()
            .column(portal_import::Column::Id)
            .filter(portal_import::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_import::Column::PortalSlug.eq(portal))
            .filter(portal_import::Column::Sha256.eq(sha256))
            .filter(portal_import::Column::State.eq(COMMITTED))
            .into_tuple()
            .one(&tx.tx)
            .await?)
    }

    pub(crate) async fn mark_import_committed(
        &self,
        tx: &WriteTx,
        id: Uuid,
        confirmed_missing: Option<u32>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        portal_import::Entity::update_many()
            .col_expr(portal_import::Column::State, Expr::value(COMMITTED))
            .col_expr(
                portal_import::Column::CommittedBy,
                Expr::value(actor.name.clone()),
            )
            .col_expr(portal_import::Column::CommittedAt, Expr::value(actor.at))
            .col_expr(
                portal_import::Column::ConfirmedMissing,
                Expr::value(confirmed_missing.map(|n| i32::try_from(n).unwrap_or(i32::MAX))),
            )
            .filter(portal_import::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_import::Column::Id.eq(id))
            .exec(&tx.tx)
            .await?;
        Ok(())
    }

    /// A done task confirmed by an import: verified, naming the import. `false` when it is no
    /// longer done.
    pub(crate) async fn verify_by_import(
        &self,
        tx: &WriteTx,
        task_id: Uuid,
        import: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = task::Entity::update_many()
            .col_expr(task::Column::State, Expr::value(TaskState::Verified))
            .col_expr(
                task::Column::VerifiedBy,
                Expr::value(format!("portal list import {import}")),
            )
            .col_expr(task::Column::VerifiedAt, Expr::value(at))
            .col_expr(task::Column::UpdatedAt, Expr::value(at))
            .col_expr(
                task::Column::Version,
                Expr::col(task::Column::Version).add(1),
            )
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::Id.eq(task_id))
            .filter(task::Column::State.eq(TaskState::Done.as_str()))
            .exec(&tx.tx)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// A removal the list contradicts: open again, with the reason, a fresh deadline as long
    /// as its first, and its ladder from the start (the sweeper works out its first alert).
    /// Who did and verified it stays in the audit trail. `false` when it is not done or
    /// verified any more.
    pub(crate) async fn reopen_regressed(
        &self,
        tx: &WriteTx,
        task_id: Uuid,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let Some(current) = task::Entity::find_by_id(task_id)
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(&tx.tx)
            .await?
        else {
            return Ok(None);
        };
        let window = (current.due_at - current.created_at).max(Duration::hours(1));
        let due_at = at + window;
        let none_text = || Expr::value(Option::<String>::None);
        let none_at = || Expr::value(Option::<DateTime<Utc>>::None);
        let result = task::Entity::update_many()
            .col_expr(task::Column::State, Expr::value(TaskState::Open))
            .col_expr(task::Column::Reason, Expr::value(reason.to_owned()))
            .col_expr(task::Column::DueAt, Expr::value(due_at))
            .col_expr(task::Column::ClaimedBy, none_text())
            .col_expr(task::Column::ClaimedAt, none_at())
            .col_expr(task::Column::DoneBy, none_text())
            .col_expr(task::Column::DoneAt, none_at())
            .col_expr(task::Column::VerifiedBy, none_text())
            .col_expr(task::Column::VerifiedAt, none_at())
            .col_expr(task::Column::Outcome, none_text())
            .col_expr(task::Column::EscalationLevel, Expr::value(0))
            .col_expr(task::Column::RemindersSent, Expr::value(0))
            .col_expr(task::Column::NextAlertAt, none_at())
            .col_expr(task::Column::UpdatedAt, Expr::value(at))
            .col_expr(
                task::Column::Version,
                Expr::col(task::Column::Version).add(1),
            )
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::Id.eq(task_id))
            .filter(
                task::Column::State.is_in([TaskState::Done.as_str(), TaskState::Verified.as_str()]),
            )
            .exec(&tx.tx)
            .await?;
        Ok((result.rows_affected == 1).then_some(due_at))
    }

    /// An UPDATE of the person's one account row in `portal`.
    fn account_update(
        &self,
        person: Uuid,
        portal: &str,
    ) -> sea_orm::UpdateMany<portal_account::Entity> {
        portal_account::Entity::update_many()
            .filter(portal_account::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_account::Column::PersonId.eq(person))
            .filter(portal_account::Column::PortalSlug.eq(portal))
    }

    /// Marks the person's account in `portal` gone (the import is the evidence, audited).
    pub(crate) async fn mark_account_gone(
        &self,
        tx: &WriteTx,
        person: Uuid,
        portal: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.account_update(person, portal)
            .col_expr(
                portal_account::Column::Status,
                Expr::value(AccountStatus::Gone),
            )
            .col_expr(portal_account::Column::UpdatedAt, Expr::value(at))
            .col_expr(
                portal_account::Column::Version,
                Expr::col(portal_account::Column::Version).add(1),
            )
            .exec(&tx.tx)
            .await?;
        Ok(())
    }

    /// Keeps an administrator account's last sign-in as a list showed it.
    pub(crate) async fn set_last_login(
        &self,
        tx: &WriteTx,
        person: Uuid,
        portal: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.account_update(person, portal)
            .col_expr(portal_account::Column::LastLoginAt, Expr::value(at))
            .exec(&tx.tx)
            .await?;
        Ok(())
    }

    /// Active accounts whose last sign-in a list showed: the sweeper's lockout watch.
    pub(crate) async fn watched_logins(&self) -> Result<Vec<WatchedLogin>, StoreError> {
        Ok(portal_account::Entity::find()
            .filter(portal_account::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_account::Column::LastLoginAt.is_not_null())
            .filter(portal_account::Column::Status.eq(AccountStatus::Active))
            .all(self.db)
            .await?
            .into_iter()
            .filter_map(|a| {
                Some(WatchedLogin {
                    last_login: a.last_login_at?,
                    person: a.person_id,
                    portal: a.portal_slug,
                    username: a.username.unwrap_or_default(),
                    roles: serde_json::from_value(a.roles).unwrap_or_default(),
                })
            })
            .collect())
    }

    /// Keeps the NPI a list showed on the person's account.
    pub(crate) async fn set_account_npi(
        &self,
        tx: &WriteTx,
        person: Uuid,
        portal: &str,
        npi: &str,
    ) -> Result<(), StoreError> {
        self.account_update(person, portal)
            .col_expr(portal_account::Column::Npi, Expr::value(npi.to_owned()))
            .exec(&tx.tx)
            .await?;
        Ok(())
    }

    /// Accepts a listed account as a service account until `review_at` (or renews it).
    pub(crate) async fn put_service_account(
        &self,
        tx: &WriteTx,
        portal: &str,
        username: &str,
        reason: &str,
        review_at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        service_account::Entity::insert(service_account::ActiveModel {
            practice_id: Set(self.practice.as_uuid()),
            portal_slug: Set(portal.to_owned()),
            username: Set(username.trim().to_lowercase()),
            reason: Set(reason.to_owned()),
            review_at: Set(review_at),
            marked_by: Set(actor.name.clone()),
            marked_at: Set(actor.at),
        })
        .on_conflict(
            OnConflict::columns([
                service_account::Column::PracticeId,
                service_account::Column::PortalSlug,
                service_account::Column::Username,
            ])
            .update_columns([
                service_account::Column::Reason,
                service_account::Column::ReviewAt,
                service_account::Column::MarkedBy,
                service_account::Column::MarkedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(&tx.tx)
        .await?;
        Ok(())
    }

    /// Shared or generic logins still to replace: the open `replace_shared_login` tasks.
    pub async fn shared_logins_open(&self) -> Result<u64, StoreError> {
        Ok(task::Entity::find()
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::Kind.eq(TaskKind::ReplaceSharedLogin.as_str()))
            .filter(task::Column::State.is_in(TaskState::OPEN.map(|s| s.as_str())))
            .count(self.db)
            .await?)
    }

    /// The portal's service accounts, review date first.
    pub async fn service_accounts(
        &self,
        portal: &str,
    ) -> Result<Vec<service_account::Model>, StoreError> {
        Ok(service_account::Entity::find()
            .filter(service_account::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(service_account::Column::PortalSlug.eq(portal))
            .order_by_asc(service_account::Column::ReviewAt)
            .all(self.db)
            .await?)
    }

    /// Cancels the pending removal of an account of nobody we know (it was linked to a
    /// person, or accepted as a service account); returns the tasks cancelled.
    pub(crate) async fn cancel_account_removal(
        &self,
        tx: &WriteTx,
        portal: &str,
        username: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, StoreError> {
        let ids = self.pending_account_tasks(tx, portal, username).await?;
        if ids.is_empty() {
            return Ok(ids);
        }
        task::Entity::update_many()
            .col_expr(task::Column::State, Expr::value(TaskState::Cancelled))
            .col_expr(task::Column::Reason, Expr::value(reason.to_owned()))
            .col_expr(task::Column::UpdatedAt, Expr::value(at))
            .col_expr(
                task::Column::Version,
                Expr::col(task::Column::Version).add(1),
            )
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::Id.is_in(ids.clone()))
            .filter(task::Column::Kind.eq(TaskKind::Deprovision.as_str()))
            .exec(&tx.tx)
            .await?;
        Ok(ids)
    }

    /// The row for `username` in the portal's latest committed list, if it showed one.
    pub(crate) async fn latest_listed(
        &self,
        tx: &WriteTx,
        portal: &str,
        username: &str,
    ) -> Result<Option<ListedAccount>, StoreError> {
        let latest: Option<Value> = portal_import::Entity::find()
            .select_only()
            .column(portal_import::Column::Accounts)
            .filter(portal_import::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(portal_import::Column::PortalSlug.eq(portal))
            .filter(portal_import::Column::State.eq(COMMITTED))
            .order_by_desc(portal_import::Column::CommittedAt)
            .into_tuple()
            .one(&tx.tx)
            .await?;
        let Some(accounts) = latest else {
            return Ok(None);
        };
        let accounts: Vec<ListedAccount> =
            serde_json::from_value(accounts).map_err(|_| corrupt("portal import accounts"))?;
        Ok(accounts
            .into_iter()
            .find(|a| a.username.eq_ignore_ascii_case(username.trim())))
    }

    /// The pending tasks on an account of nobody we know (its removal, its replacement).
    async fn pending_account_tasks(
        &self,
        tx: &WriteTx,
        portal: &str,
        username: &str,
    ) -> Result<Vec<Uuid>, StoreError> {
        let rows: Vec<(Uuid, Option<String>, String)> = task::Entity::find()
            .select_only()
            .column(task::Column::Id)
            .column(task::Column::PortalUsername)
            .column(task::Column::State)
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(task::Column::PortalSlug.eq(portal))
            .filter(task::Column::PersonId.is_null())
            .filter(task::Column::PortalUsername.is_not_null())
            .into_tuple()
            .all(&tx.tx)
            .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, name, state)| {
                name.as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(username.trim()))
                    && TaskState::parse(state).is_some_and(|s| TaskState::PENDING.contains(&s))
            })
            .map(|(id, _, _)| id)
            .collect())
    }
}
