//! SCIM groups. Membership changes are row-level inserts and deletes in the group's
//! transaction, never a rewrite of the member list, so concurrent PATCHes adding different
//! members all survive.

use chrono::{DateTime, Utc};
use entities::{scim_group, scim_group_member};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::changes::{self, Action, Change};
use super::sql::{self, Resource};
use super::users::check_version;
use super::{Page, Tally, as_object, implied_total, name_key, new_id, search_document};
use crate::domain::actor::Actor;
use crate::domain::query::ListQuery;
use crate::store::{StoreError, TenantStore, WriteTx, map_unique};

#[derive(Debug, Clone, PartialEq)]
pub struct GroupRecord {
    pub id: Uuid,
    pub display_name: String,
    pub external_id: Option<String>,
    pub attributes: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// Member user ids, loaded only when asked for (`excludedAttributes=members` skips the
    /// work).
    pub members: Option<Vec<Uuid>>,
}

/// A group a user belongs to, for the user's read-only `groups` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: Uuid,
    /// The group's displayName.
    pub display: String,
}

/// The group's own attributes, as a create or replace writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupWrite {
    pub display_name: String,
    pub external_id: Option<String>,
    pub attributes: Map<String, Value>,
}

/// One membership edit, applied in order. Ids that are not live users of the practice are
/// ignored (nested groups are not supported; Entra skips out-of-scope members the same way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberOp {
    Add(Vec<Uuid>),
    Remove(Vec<Uuid>),
    RemoveAll,
}

/// How a write changes membership.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MembersChange {
    #[default]
    Keep,
    /// Exactly these members (PUT, `replace members`), applied as row deletes and inserts.
    Replace(Vec<Uuid>),
    Edit(Vec<MemberOp>),
}

/// What a group write changed, for the engine: the members whose groups changed (the
/// lifecycle engine reacts for them) and the change record's sequence number.
#[derive(Debug)]
pub(crate) struct GroupChange {
    pub group: GroupRecord,
    pub affected: Vec<Uuid>,
    pub seq: i64,
}

impl From<scim_group::Model> for GroupRecord {
    fn from(m: scim_group::Model) -> Self {
        Self {
            id: m.id,
            display_name: m.display_name,
            external_id: m.external_id,
            attributes: as_object(m.attributes),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
            members: None,
        }
    }
}

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

    pub async fn group(&self, id: Uuid, with_members: bool) -> Result<GroupRecord, StoreError> {
        let mut group: GroupRecord = scim_group::Entity::find_by_id(id)
            .filter(scim_group::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(scim_group::Column::DeletedAt.is_null())
            .one(self.db)
            .await?
            .ok_or(StoreError::NotFound("group"))?
            .into();
        if with_members {
            group.members = Some(self.members_of(self.db, id).await?);
        }
        Ok(group)
    }

    pub async fn list_groups(
        &self,
        query: &ListQuery,
        with_members: bool,
    ) -> Result<Page<GroupRecord>, StoreError> {
        let backend = self.store.backend();
        let mut select = scim_group::Entity::find()
            .filter(scim_group::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(scim_group::Column::DeletedAt.is_null());
        if let Some(filter) = &query.filter {
            select = select.filter(sql::compile(filter, Resource::Group, backend)?);
        }
        if query.count == 0 {
            return Ok(Page {
                total: self.total(select, query, Tally::Groups).await?,
                items: Vec::new(),
            });
        }
        // The page first: a short page implies the total (see `implied_total`).
        let counting = select.clone();
        let offset = query.start_index.saturating_sub(1);
        if let Some(sort) = query.sort {
            let order = if sort.descending {
                Order::Desc
            } else {
                Order::Asc
            };
            select = select.order_by_with_nulls(
                sql::sort_expr(sort, Resource::Group, backend),
                order,
                sql::missing_last(sort),
            );
        }
        let mut items: Vec<GroupRecord> = select
            .order_by(
                Expr::col((scim_group::Entity, scim_group::Column::Id)),
                Order::Asc,
            )
            .offset(offset)
            .limit(query.count)
            .all(self.db)
            .await?
            .into_iter()
            .map(GroupRecord::from)
            .collect();
        let total = match implied_total(offset, query.count, items.len()) {
            Some(total) => total,
            None => self.total(counting, query, Tally::Groups).await?,
        };
        if with_members {
            for group in &mut items {
                group.members = Some(self.members_of(self.db, group.id).await?);
            }
        }
        Ok(Page { total, items })
    }

    /// Replaces or patches a group in the caller's transaction. `change` gets the current
    /// group (without members) and returns its new attributes and the membership edits.
    /// `None` when nothing changed: no version bump, no change record (RFC 7644 §3.5.2).
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

    async fn members_of(
        &self,
        db: &impl ConnectionTrait,
        group: Uuid,
    ) -> Result<Vec<Uuid>, StoreError> {
        Ok(scim_group_member::Entity::find()
            .select_only()
            .column(scim_group_member::Column::UserId)
            .filter(scim_group_member::Column::GroupId.eq(group))
            .filter(scim_group_member::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_asc(scim_group_member::Column::UserId)
            .into_tuple()
            .all(db)
            .await?)
    }

    /// Inserts memberships for the live users among `ids`; returns the ids actually added.
    async fn add_members(
        &self,
        db: &impl ConnectionTrait,
        group: Uuid,
        ids: &[Uuid],
        actor: &Actor,
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut unique = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let live = self.existing_user_ids(db, &unique).await?;
        let mut added = Vec::new();
        for chunk in live.chunks(200) {
            let mut insert = Query::insert();
            insert
                .into_table(scim_group_member::Entity)
                .columns([
                    scim_group_member::Column::PracticeId,
                    scim_group_member::Column::GroupId,
                    scim_group_member::Column::UserId,
                    scim_group_member::Column::CreatedAt,
                ])
                .on_conflict(
                    OnConflict::columns([
                        scim_group_member::Column::GroupId,
                        scim_group_member::Column::UserId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .returning_col(scim_group_member::Column::UserId);
            for user in chunk {
                insert
                    .values([
                        self.practice.as_uuid().into(),
                        group.into(),
                        (*user).into(),
                        actor.at.into(),
                    ])
                    .map_err(|e| StoreError::Database(sea_orm::DbErr::Custom(e.to_string())))?;
            }
            let statement = db.get_database_backend().build(&insert);
            for row in db.query_all_raw(statement).await? {
                added.push(row.try_get_by_index::<Uuid>(0)?);
            }
        }
        Ok(added)
    }

    /// Deletes memberships (all of them when `ids` is `None`); returns the ids removed.
    async fn remove_members(
        &self,
        db: &impl ConnectionTrait,
        group: Uuid,
        ids: Option<&[Uuid]>,
    ) -> Result<Vec<Uuid>, StoreError> {
        let chunks: Vec<Option<&[Uuid]>> = match ids {
            None => vec![None],
            Some([]) => Vec::new(),
            Some(ids) => ids.chunks(500).map(Some).collect(),
        };
        let mut removed = Vec::new();
        for chunk in chunks {
            let mut delete = Query::delete();
            delete
                .from_table(scim_group_member::Entity)
                .and_where(Expr::col(scim_group_member::Column::GroupId).eq(group))
                .and_where(
                    Expr::col(scim_group_member::Column::PracticeId).eq(self.practice.as_uuid()),
                )
                .returning_col(scim_group_member::Column::UserId);
            if let Some(chunk) = chunk {
                delete.and_where(
                    Expr::col(scim_group_member::Column::UserId).is_in(chunk.iter().copied()),
                );
            }
            let statement = db.get_database_backend().build(&delete);
            for row in db.query_all_raw(statement).await? {
                removed.push(row.try_get_by_index::<Uuid>(0)?);
            }
        }
        Ok(removed)
    }
}
