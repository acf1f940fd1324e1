//! Membership rows: a group's members, and row-level inserts and deletes of memberships (never
//! a rewrite of the member list).

use entities::scim_group_member;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::domain::actor::Actor;
use crate::store::{StoreError, TenantStore};

impl TenantStore<'_> {
    pub(super) async fn members_of(
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
    pub(super) async fn add_members(
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
    pub(super) async fn remove_members(
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
