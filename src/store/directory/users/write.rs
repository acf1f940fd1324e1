//! Writing users in the caller's transaction, each write with its change record: insert,
//! replace or patch, tombstone, and the end of a deleted user's memberships. Also the locked
//! reads those writes start from.

use entities::{scim_group_member, scim_user};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{UserChange, UserRow, select_users};
use crate::domain::actor::Actor;
use crate::domain::directory::{UserRecord, UserWrite};
use crate::store::directory::changes::{self, Action, Change};
use crate::store::directory::{name_key, new_id, search_document};
use crate::store::{StoreError, TenantStore, WriteTx, map_unique};

use crate::domain::directory::ENTERPRISE_URN;

/// The attributes access policy can depend on, as recorded in change records.
fn role_relevant(user_name: &str, active: bool, attributes: &Map<String, Value>) -> Value {
    let top = |key: &str| attributes.get(key).cloned().unwrap_or(Value::Null);
    let enterprise = attributes.get(ENTERPRISE_URN);
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
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
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
            .filter(scim_group_member::Column::PracticeId.eq(self.practice.as_uuid()))
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
            .filter(scim_user::Column::PracticeId.eq(self.practice.as_uuid()))
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
            .filter(scim_group_member::Column::PracticeId.eq(self.practice.as_uuid()))
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
    pub(in crate::store::directory) async fn existing_user_ids(
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

pub(in crate::store::directory) fn check_version(
    expected: Option<i64>,
    current: i64,
) -> Result<(), StoreError> {
    match expected {
        Some(expected) if expected != current => Err(StoreError::VersionMismatch { current }),
        _ => Ok(()),
    }
}
