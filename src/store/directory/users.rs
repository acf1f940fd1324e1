//! SCIM users. Every write is one transaction with its change record.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{scim_group_member, scim_user};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::changes::{self, Action, Change};
use super::sql::{self, Resource};
use super::{Member, Page, Tally, as_object, implied_total, name_key, new_id, search_document};
use crate::domain::actor::Actor;
use crate::domain::query::ListQuery;
use crate::store::audit::Entry;
use crate::store::{StoreError, TenantStore, WriteTx, map_unique};

/// What a user write changed, for the engine to react to in the same transaction.
#[derive(Debug)]
pub(crate) struct UserChange {
    /// `active` before the write; `None` for a new user.
    pub was_active: Option<bool>,
    /// The row as written.
    pub row: scim_user::Model,
    /// The change record's sequence number.
    pub seq: i64,
    /// The change's audit record, appended with the engine's.
    pub recorded: Entry,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: Uuid,
    pub user_name: String,
    pub external_id: Option<String>,
    pub active: bool,
    /// SCIM attributes as stored: canonical names, no nulls; excludes id, meta, groups.
    pub attributes: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// The groups the user belongs to (their read-only `groups` attribute), loaded only when
    /// asked for; `None` when not loaded.
    pub groups: Option<Vec<Member>>,
}

/// What a create or a full replace writes.
#[derive(Debug, Clone, PartialEq)]
pub struct UserWrite {
    pub user_name: String,
    pub external_id: Option<String>,
    pub active: bool,
    pub attributes: Map<String, Value>,
}

impl From<scim_user::Model> for UserRecord {
    fn from(m: scim_user::Model) -> Self {
        Self {
            id: m.id,
            user_name: m.user_name,
            external_id: m.external_id,
            active: m.active,
            attributes: as_object(m.attributes),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
            groups: None,
        }
    }
}

/// A user as read for a response: the stored columns but the filter-only `search` document,
/// and the user's groups in the same statement (see [`groups_column`]).
#[derive(FromQueryResult)]
struct UserRow {
    id: Uuid,
    user_name: String,
    external_id: Option<String>,
    active: bool,
    attributes: Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
    /// `[[group id, displayName], …]` as JSON text; NULL when not asked for (and on PostgreSQL
    /// when there are none).
    groups: Option<String>,
}

impl UserRow {
    fn into_record(self, with_groups: bool) -> Result<UserRecord, StoreError> {
        let groups = match (with_groups, self.groups) {
            (false, _) => None,
            (true, None) => Some(Vec::new()),
            (true, Some(text)) => Some(
                serde_json::from_str::<Vec<(Uuid, String)>>(&text)
                    .map_err(|_| StoreError::Corrupt("group membership"))?
                    .into_iter()
                    .map(|(id, display)| Member { id, display })
                    .collect(),
            ),
        };
        Ok(UserRecord {
            id: self.id,
            user_name: self.user_name,
            external_id: self.external_id,
            active: self.active,
            attributes: as_object(self.attributes),
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
            groups,
        })
    }
}

/// A scalar subquery giving a user's groups as JSON text, ordered by group id, so a page of
/// users and their groups is one statement (on SQLite each statement is a round trip to the
/// driver's thread). SQLite keeps UUIDs as 16-byte blobs, which JSON cannot hold: they travel
/// as hex, which `Uuid` parses.
fn groups_column(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            r#"(SELECT json_agg(json_build_array(m.group_id, g.display_name) ORDER BY m.group_id)::text
                FROM scim_group_member m JOIN scim_group g ON g.id = m.group_id
                WHERE m.user_id = "scim_user"."id" AND m.practice_id = "scim_user"."practice_id")"#
        }
        _ => {
            r#"(SELECT json_group_array(json_array(hex(m.group_id), g.display_name) ORDER BY m.group_id)
                FROM scim_group_member m JOIN scim_group g ON g.id = m.group_id
                WHERE m.user_id = "scim_user"."id" AND m.practice_id = "scim_user"."practice_id")"#
        }
    }
}

/// Live users of the practice, selecting what a [`UserRow`] reads.
fn select_users(
    practice: Uuid,
    backend: DbBackend,
    with_groups: bool,
) -> Select<scim_user::Entity> {
    use scim_user::Column as C;
    let groups = if with_groups {
        Expr::cust(groups_column(backend))
    } else {
        Expr::cust("NULL")
    };
    scim_user::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::UserName,
            C::ExternalId,
            C::Active,
            C::Attributes,
            C::CreatedAt,
            C::UpdatedAt,
            C::Version,
        ])
        .column_as(groups, "groups")
        .filter(C::PracticeId.eq(practice))
        .filter(C::DeletedAt.is_null())
}

impl UserRecord {
    fn same_content(&self, write: &UserWrite) -> bool {
        self.user_name == write.user_name
            && self.external_id == write.external_id
            && self.active == write.active
            && self.attributes == write.attributes
    }
}

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The attributes access policy can depend on, as recorded in change records.
fn role_relevant(user_name: &str, active: bool, attributes: &Map<String, Value>) -> Value {
    let top = |key: &str| attributes.get(key).cloned().unwrap_or(Value::Null);
    let enterprise = attributes.get(ENTERPRISE);
    let ext = |key: &str| {
        enterprise
            .and_then(|e| e.get(key))
            .cloned()
            .unwrap_or(Value::Null)
    };
    json!({
        "userName": user_name,
        "active": active,
        "title": top("title"),
        "userType": top("userType"),
        "department": ext("department"),
        "division": ext("division"),
        "costCenter": ext("costCenter"),
        "organization": ext("organization"),
        "employeeNumber": ext("employeeNumber"),
        "manager": ext("manager").get("value").cloned().unwrap_or(Value::Null),
    })
}

impl TenantStore<'_> {
    /// Inserts a user and records the change, in the caller's transaction
    /// (`engine::directory` reacts to it before committing).
    pub(crate) async fn insert_user(
        &self,
        tx: &WriteTx,
        write: UserWrite,
        actor: &Actor,
    ) -> Result<UserChange, StoreError> {
        let model = scim_user::ActiveModel {
            id: Set(new_id()),
            practice_id: Set(self.practice.as_uuid()),
            user_name_key: Set(name_key(&write.user_name)),
            search: Set(search_document(&write.attributes)),
            attributes: Set(Value::Object(write.attributes)),
            user_name: Set(write.user_name),
            external_id: Set(write.external_id),
            active: Set(write.active),
            created_at: Set(actor.at),
            updated_at: Set(actor.at),
            version: Set(1),
            deleted_at: Set(None),
        };
        let row = scim_user::Entity::insert(model)
            .exec_with_returning(&tx.tx)
            .await
            .map_err(|e| map_unique(e, "a user with this userName"))?;
        let created = UserRecord::from(row.clone());
        let (seq, recorded) = changes::record_leaving_audit(
            &tx.tx,
            self.practice,
            Change {
                resource_type: "User",
                resource_id: created.id,
                action: Action::Created,
                before: None,
                after: Some(role_relevant(
                    &created.user_name,
                    created.active,
                    &created.attributes,
                )),
                actor,
            },
        )
        .await?;
        Ok(UserChange {
            was_active: None,
            row,
            seq,
            recorded,
        })
    }

    /// A live user, with their groups when `with_groups`.
    pub async fn user(&self, id: Uuid, with_groups: bool) -> Result<UserRecord, StoreError> {
        select_users(self.practice.as_uuid(), self.store.backend(), with_groups)
            .filter(scim_user::Column::Id.eq(id))
            .into_model::<UserRow>()
            .one(self.db)
            .await?
            .ok_or(StoreError::NotFound("user"))?
            .into_record(with_groups)
    }

    /// The groups of each of `users` (live ones), through the same subquery as every read: for
    /// users a write returned, whose row comes back without them.
    pub async fn groups_of(
        &self,
        users: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<Member>>, StoreError> {
        let mut found = HashMap::new();
        for chunk in users.chunks(500) {
            let rows = select_users(self.practice.as_uuid(), self.store.backend(), true)
                .filter(scim_user::Column::Id.is_in(chunk.iter().copied()))
                .into_model::<UserRow>()
                .all(self.db)
                .await?;
            for row in rows {
                let user = row.into_record(true)?;
                found.insert(user.id, user.groups.unwrap_or_default());
            }
        }
        Ok(found)
    }

    /// A page of live users matching the query, with their groups when `with_groups`.
    pub async fn list_users(
        &self,
        query: &ListQuery,
        with_groups: bool,
    ) -> Result<Page<UserRecord>, StoreError> {
        let backend = self.store.backend();
        let mut select = select_users(self.practice.as_uuid(), backend, with_groups);
        if let Some(filter) = &query.filter {
            select = select.filter(sql::compile(filter, Resource::User, backend)?);
        }
        if query.count == 0 {
            return Ok(Page {
                total: self.total(select, query, Tally::Users).await?,
                items: Vec::new(),
            });
        }
        // The page first: a short page implies the total, so a lookup by a unique attribute
        // (an IdP's `userName eq`) costs one query, not two.
        let counting = select.clone();
        let offset = query.start_index.saturating_sub(1);
        if let Some(sort) = query.sort {
            let order = if sort.descending {
                Order::Desc
            } else {
                Order::Asc
            };
            select = select.order_by_with_nulls(
                sql::sort_expr(sort, Resource::User, backend),
                order,
                sql::missing_last(sort),
            );
        }
        let items = select
            .order_by(
                Expr::col((scim_user::Entity, scim_user::Column::Id)),
                Order::Asc,
            )
            .offset(offset)
            .limit(query.count)
            .into_model::<UserRow>()
            .all(self.db)
            .await?
            .into_iter()
            .map(|row| row.into_record(with_groups))
            .collect::<Result<Vec<_>, _>>()?;
        let total = match implied_total(offset, query.count, items.len()) {
            Some(total) => total,
            None => self.total(counting, query, Tally::Users).await?,
        };
        Ok(Page { total, items })
    }

    /// Replaces or patches a user in the caller's transaction: `change` gets the current
    /// record and returns what to write. Nothing is written, and the version stays, when
    /// nothing changes (RFC 7644 §3.5.2: a no-op must not bump lastModified): then the
    /// current record comes back as `Err`. `expected_version` is `If-Match`.
    pub(crate) async fn update_user<E: From<StoreError>>(
        &self,
        tx: &WriteTx,
        id: Uuid,
        expected_version: Option<i64>,
        actor: &Actor,
        change: impl FnOnce(&UserRecord) -> Result<UserWrite, E>,
    ) -> Result<Result<UserChange, UserRecord>, E> {
        let current = self.lock_user(&tx.tx, id).await?;
        check_version(expected_version, current.version)?;
        let write = change(&current)?;
        if current.same_content(&write) {
            return Ok(Err(current));
        }
        let result = scim_user::Entity::update_many()
            .col_expr(
                scim_user::Column::UserName,
                Expr::value(write.user_name.clone()),
            )
            .col_expr(
                scim_user::Column::UserNameKey,
                Expr::value(name_key(&write.user_name)),
            )
            .col_expr(
                scim_user::Column::ExternalId,
                Expr::value(write.external_id.clone()),
            )
            .col_expr(scim_user::Column::Active, Expr::value(write.active))
            .col_expr(
                scim_user::Column::Attributes,
                Expr::value(Value::Object(write.attributes.clone())),
            )
            .col_expr(
                scim_user::Column::Search,
                Expr::value(search_document(&write.attributes)),
            )
            .col_expr(scim_user::Column::UpdatedAt, Expr::value(actor.at))
            .col_expr(scim_user::Column::Version, Expr::value(current.version + 1))
            .filter(scim_user::Column::Id.eq(id))
            .filter(scim_user::Column::Version.eq(current.version))
            .exec_with_returning(&tx.tx)
            .await
            .map_err(|e| map_unique(e, "a user with this userName"))?;
        let [updated] = <[scim_user::Model; 1]>::try_from(result).map_err(|_| {
            // Another instance won a race the row lock should have prevented.
            StoreError::VersionMismatch {
                current: current.version,
            }
        })?;
        let (seq, recorded) = changes::record_leaving_audit(
            &tx.tx,
            self.practice,
            Change {
                resource_type: "User",
                resource_id: id,
                action: Action::Updated,
                before: Some(role_relevant(
                    &current.user_name,
                    current.active,
                    &current.attributes,
                )),
                after: Some(role_relevant(
                    &write.user_name,
                    write.active,
                    &write.attributes,
                )),
                actor,
            },
        )
        .await?;
        Ok(Ok(UserChange {
            was_active: Some(current.active),
            row: updated,
            seq,
            recorded,
        }))
    }

    /// Deletes a user in the caller's transaction: a tombstone stays for the record and the
    /// userName is free for a new user at once. Memberships stay until [`Self::end_memberships`]
    /// (the engine must still see them). Returns `active` before and the change's sequence.
    pub(crate) async fn tombstone_user(
        &self,
        tx: &WriteTx,
        id: Uuid,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<(bool, i64), StoreError> {
        let current = self.lock_user(&tx.tx, id).await?;
        check_version(expected_version, current.version)?;
        let groups: Vec<Uuid> = scim_group_member::Entity::find()
            .filter(scim_group_member::Column::UserId.eq(id))
            .all(&tx.tx)
            .await?
            .into_iter()
            .map(|m| m.group_id)
            .collect();
        scim_user::Entity::update_many()
            .col_expr(scim_user::Column::DeletedAt, Expr::value(actor.at))
            .col_expr(scim_user::Column::UpdatedAt, Expr::value(actor.at))
            .col_expr(scim_user::Column::Version, Expr::value(current.version + 1))
            .filter(scim_user::Column::Id.eq(id))
            .exec(&tx.tx)
            .await?;
        let mut after = role_relevant(&current.user_name, false, &current.attributes);
        after["deleted"] = json!(true);
        after["groupsLeft"] = json!(groups);
        let seq = changes::record(
            &tx.tx,
            self.practice,
            Change {
                resource_type: "User",
                resource_id: id,
                action: Action::Deleted,
                before: Some(role_relevant(
                    &current.user_name,
                    current.active,
                    &current.attributes,
                )),
                after: Some(after),
                actor,
            },
        )
        .await?;
        Ok((current.active, seq))
    }

    /// Ends a deleted user's group memberships.
    pub(crate) async fn end_memberships(&self, tx: &WriteTx, id: Uuid) -> Result<(), StoreError> {
        scim_group_member::Entity::delete_many()
            .filter(scim_group_member::Column::UserId.eq(id))
            .exec(&tx.tx)
            .await?;
        Ok(())
    }

    /// The live user, locked for the rest of the transaction on PostgreSQL (SQLite's writer
    /// slot already excludes other writers).
    async fn lock_user(
        &self,
        db: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<UserRecord, StoreError> {
        let backend = self.store.backend();
        let mut select = select_users(self.practice.as_uuid(), backend, false)
            .filter(scim_user::Column::Id.eq(id));
        if backend == DbBackend::Postgres {
            select = select.lock_exclusive();
        }
        select
            .into_model::<UserRow>()
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("user"))?
            .into_record(false)
    }

    /// The live users among `ids`, for membership writes (dangling ids are dropped).
    pub(super) async fn existing_user_ids(
        &self,
        db: &impl ConnectionTrait,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut found = Vec::with_capacity(ids.len());
        // Bounded IN lists: SQLite limits bound parameters per statement.
        for chunk in ids.chunks(500) {
            let mut select = scim_user::Entity::find()
                .select_only()
                .column(scim_user::Column::Id)
                .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
                .filter(scim_user::Column::DeletedAt.is_null())
                .filter(scim_user::Column::Id.is_in(chunk.iter().copied()));
            // Shared row locks: a concurrent DELETE of one of these users waits for us, then
            // removes the membership we add (otherwise it could miss it and leave a deleted
            // user in the group).
            if self.store.backend() == sea_orm::DbBackend::Postgres {
                select = select.lock_shared();
            }
            let rows = select.into_tuple::<Uuid>().all(db).await?;
            found.extend(rows);
        }
        Ok(found)
    }
}

pub(super) fn check_version(expected: Option<i64>, current: i64) -> Result<(), StoreError> {
    match expected {
        Some(expected) if expected != current => Err(StoreError::VersionMismatch { current }),
        _ => Ok(()),
    }
}
