//! Writing groups in the caller's transaction, each write with its change record: insert with
//! members, replace or patch (attributes and membership edits), and tombstone.

use entities::scim_group;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use super::GroupChange;
use crate::domain::actor::Actor;
use crate::domain::directory::{GroupRecord, GroupWrite, MemberOp, MembersChange};
use crate::store::directory::changes::{self, Action, Change};
use crate::store::directory::users::check_version;
use crate::store::directory::{name_key, new_id, search_document};
use crate::store::{StoreError, TenantStore, WriteTx, map_unique};

impl TenantStore<'_> {
    /// Inserts a group with its members and records the change, in the caller's
    /// transaction (`engine::directory` reacts to it before committing).
    pub(crate) async fn insert_group(
        &self,
        tx: &WriteTx,
        write: GroupWrite,
        members: Vec<Uuid>,
        actor: &Actor,
    ) -> Result<GroupChange, StoreError> {
        let model = scim_group::ActiveModel {
            id: Set(new_id()),
            practice_id: Set(self.practice.as_uuid()),
            display_name_key: Set(name_key(&write.display_name)),
            search: Set(search_document(&write.attributes)),
            attributes: Set(Value::Object(write.attributes)),
            display_name: Set(write.display_name),
            external_id: Set(write.external_id),
            created_at: Set(actor.at),
            updated_at: Set(actor.at),
            version: Set(1),
            deleted_at: Set(None),
        };
        let created: GroupRecord = scim_group::Entity::insert(model)
            .exec_with_returning(&tx.tx)
            .await
            .map_err(|e| map_unique(e, "a group with this displayName"))?
            .into();
        let added = self
            .add_members(&tx.tx, created.id, &members, actor)
            .await?;
        let seq = changes::record(
            &tx.tx,
            self.practice,
            Change {
                resource_type: "Group",
                resource_id: created.id,
                action: Action::Created,
                before: None,
                after: Some(
                    json!({"displayName": created.display_name, "added": added, "removed": []}),
                ),
                actor,
            },
        )
        .await?;
        Ok(GroupChange {
            group: created,
            affected: added,
            seq,
        })
    }

    /// Replaces or patches a group in the caller's transaction. `change` gets the current
    /// group (without members) and returns its new attributes and the membership edits.
    /// `Err(current)` when nothing changed: no version bump, no change record (RFC 7644
    /// §3.5.2).
    pub(crate) async fn update_group<E: From<StoreError>>(
        &self,
        tx: &WriteTx,
        id: Uuid,
        expected_version: Option<i64>,
        actor: &Actor,
        change: impl FnOnce(&GroupRecord) -> Result<(GroupWrite, MembersChange), E>,
    ) -> Result<Result<GroupChange, GroupRecord>, E> {
        let mut select = scim_group::Entity::find_by_id(id)
            .filter(scim_group::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(scim_group::Column::DeletedAt.is_null());
        if self.store.backend() == sea_orm::DbBackend::Postgres {
            select = select.lock_exclusive();
        }
        let current: GroupRecord = select
            .one(&tx.tx)
            .await
            .map_err(StoreError::from)?
            .ok_or(StoreError::NotFound("group"))?
            .into();
        check_version(expected_version, current.version)?;
        let (write, members) = change(&current)?;

        let (mut added, mut removed) = (Vec::new(), Vec::new());
        let ops = match members {
            MembersChange::Keep => Vec::new(),
            MembersChange::Edit(ops) => ops,
            MembersChange::Replace(ids) => vec![MemberOp::RemoveAll, MemberOp::Add(ids)],
        };
        for op in ops {
            match op {
                MemberOp::Add(ids) => {
                    added.extend(self.add_members(&tx.tx, id, &ids, actor).await?);
                }
                MemberOp::Remove(ids) => {
                    removed.extend(self.remove_members(&tx.tx, id, Some(&ids)).await?);
                }
                MemberOp::RemoveAll => {
                    removed.extend(self.remove_members(&tx.tx, id, None).await?);
                }
            }
        }
        // A member removed and re-added in one request did not change.
        let re_added: Vec<Uuid> = added
            .iter()
            .filter(|a| removed.contains(a))
            .copied()
            .collect();
        added.retain(|a| !re_added.contains(a));
        removed.retain(|r| !re_added.contains(r));

        let attributes_changed = current.display_name != write.display_name
            || current.external_id != write.external_id
            || current.attributes != write.attributes;
        if !attributes_changed && added.is_empty() && removed.is_empty() {
            return Ok(Err(current));
        }
        let version = current.version + 1;
        scim_group::Entity::update_many()
            .col_expr(
                scim_group::Column::DisplayName,
                Expr::value(write.display_name.clone()),
            )
            .col_expr(
                scim_group::Column::DisplayNameKey,
                Expr::value(name_key(&write.display_name)),
            )
            .col_expr(
                scim_group::Column::ExternalId,
                Expr::value(write.external_id.clone()),
            )
            .col_expr(
                scim_group::Column::Attributes,
                Expr::value(Value::Object(write.attributes.clone())),
            )
            .col_expr(
                scim_group::Column::Search,
                Expr::value(search_document(&write.attributes)),
            )
            .col_expr(scim_group::Column::UpdatedAt, Expr::value(actor.at))
            .col_expr(scim_group::Column::Version, Expr::value(version))
            .filter(scim_group::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(scim_group::Column::Id.eq(id))
            .exec(&tx.tx)
            .await
            .map_err(|e| map_unique(e, "a group with this displayName"))?;
        let seq = changes::record(
            &tx.tx,
            self.practice,
            Change {
                resource_type: "Group",
                resource_id: id,
                action: Action::Updated,
                before: Some(json!({"displayName": current.display_name})),
                after: Some(json!({
                    "displayName": write.display_name,
                    "added": added,
                    "removed": removed,
                })),
                actor,
            },
        )
        .await?;
        let affected: Vec<Uuid> = if current.display_name != write.display_name {
            // Policy may match on the group's name: every member is affected.
            let mut all = self.members_of(&tx.tx, id).await?;
            all.extend(removed.iter().copied());
            all
        } else {
            added.iter().chain(removed.iter()).copied().collect()
        };
        let group = GroupRecord {
            display_name: write.display_name,
            external_id: write.external_id,
            attributes: write.attributes,
            updated_at: actor.at,
            version,
            ..current
        };
        Ok(Ok(GroupChange {
            group,
            affected,
            seq,
        }))
    }

    /// Deletes a group in the caller's transaction: a tombstone stays, its memberships end.
    pub(crate) async fn tombstone_group(
        &self,
        tx: &WriteTx,
        id: Uuid,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<GroupChange, StoreError> {
        let current: GroupRecord = scim_group::Entity::find_by_id(id)
            .filter(scim_group::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(scim_group::Column::DeletedAt.is_null())
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("group"))?
            .into();
        check_version(expected_version, current.version)?;
        let removed = self.remove_members(&tx.tx, id, None).await?;
        scim_group::Entity::update_many()
            .col_expr(scim_group::Column::DeletedAt, Expr::value(actor.at))
            .col_expr(scim_group::Column::UpdatedAt, Expr::value(actor.at))
            .col_expr(
                scim_group::Column::Version,
                Expr::value(current.version + 1),
            )
            .filter(scim_group::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(scim_group::Column::Id.eq(id))
            .exec(&tx.tx)
            .await?;
        let seq = changes::record(
            &tx.tx,
            self.practice,
            Change {
                resource_type: "Group",
                resource_id: id,
                action: Action::Deleted,
                before: Some(json!({"displayName": current.display_name})),
                after: Some(
                    json!({"displayName": current.display_name, "added": [], "removed": removed}),
                ),
                actor,
            },
        )
        .await?;
        Ok(GroupChange {
            group: current,
            affected: removed,
            seq,
        })
    }
}
