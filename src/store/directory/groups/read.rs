//! Reading groups: one by id and a page of a filtered, sorted listing, each with its members
//! when asked for.

use entities::scim_group;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::GroupRecord;
use crate::domain::query::ListQuery;
use crate::store::directory::sql::{self, Resource};
use crate::store::directory::{Page, Tally, implied_total};
use crate::store::{StoreError, TenantStore};

impl TenantStore<'_> {
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
        let mut items: Vec<GroupRecord> =
            sql::in_listing_order(select, query.sort, Resource::Group, backend)
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
}
