//! Reading users: one by id, the groups of several, and a page of a filtered, sorted listing.

use std::collections::HashMap;

use entities::scim_user;
use sea_orm::{ColumnTrait, DbBackend, QueryFilter, QuerySelect, QueryTrait};
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
        let mut page = sql::in_listing_order(select, query.sort, Resource::User, backend)
            .offset(offset)
            .limit(query.count);
        if with_groups && offset > 0 && backend == DbBackend::Postgres {
            // PostgreSQL computes the select list, and so the groups subquery, for every row an
            // OFFSET skips too: a page at offset 5,000 ran it 5,100 times (8.4 ms, against 0.3 ms for
            // this shape). So the page's ids come first and the rows are read for those alone.
            // SQLite skips offset rows before computing the select list when an index gives
            // the order, and keeps one shape (with a sortBy its sorter computes the columns of
            // every match on either shape).
            let ids = page
                .select_only()
                .column(scim_user::Column::Id)
                .into_query();
            page = sql::in_listing_order(
                select_users(self.practice.as_uuid(), backend, true)
                    .filter(scim_user::Column::Id.in_subquery(ids)),
                query.sort,
                Resource::User,
                backend,
            );
        }
        let items = page
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
