//! Reading users: one by id, the groups of several, and a page of a filtered, sorted listing.

use std::collections::HashMap;

use entities::scim_user;
use sea_orm::sea_query::{Expr, Order};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{UserRecord, UserRow, select_users};
use crate::domain::directory::Member;
use crate::domain::query::ListQuery;
use crate::store::directory::sql::{self, Resource};
use crate::store::directory::{Page, Tally, implied_total};
use crate::store::{StoreError, TenantStore};

impl TenantStore<'_> {
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
}
