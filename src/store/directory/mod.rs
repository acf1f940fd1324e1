//! The SCIM directory: users, groups and their memberships, and the change record every write
//! leaves in the same transaction.

mod changes;
mod groups;
pub mod sql;
mod users;

use entities::directory_tally;
use sea_orm::{EntityTrait, PaginatorTrait, Select};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::query::ListQuery;
use crate::store::{StoreError, TenantStore};

pub use changes::DirectoryChange;
pub(crate) use groups::GroupChange;
pub(crate) use users::UserChange;

/// A page of a listing and the total number of matches.
#[derive(Debug)]
pub struct Page<T> {
    pub total: u64,
    pub items: Vec<T>,
}

/// The document filters compare against: every string lowercased, so case-insensitive matching
/// is identical on SQLite and PostgreSQL. (Every string attribute we store is caseExact=false.)
fn search_document(attributes: &Map<String, Value>) -> Value {
    fn lower(value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(s.to_lowercase()),
            Value::Array(items) => Value::Array(items.iter().map(lower).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), lower(v))).collect())
            }
            other => other.clone(),
        }
    }
    lower(&Value::Object(attributes.clone()))
}

fn as_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The key column form of a userName or group displayName.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// The live count a listing without a filter reads from `directory_tally` instead of counting.
#[derive(Clone, Copy)]
enum Tally {
    Users,
    Groups,
}

impl TenantStore<'_> {
    /// How many resources match `query`'s filter: without one, the practice's tally (kept by
    /// triggers, one row); with one, a count.
    async fn total<E: EntityTrait>(
        &self,
        matching: Select<E>,
        query: &ListQuery,
        tally: Tally,
    ) -> Result<u64, StoreError>
    where
        E::Model: Sync,
    {
        if query.filter.is_some() {
            return Ok(matching.count(self.db).await?);
        }
        let row = directory_tally::Entity::find_by_id(self.practice.as_uuid())
            .one(self.db)
            .await?;
        let live = row.map_or(0, |row| match tally {
            Tally::Users => row.live_users,
            Tally::Groups => row.live_groups,
        });
        Ok(u64::try_from(live).unwrap_or(0))
    }
}

/// The total number of matches a page implies on its own: a short page that is not empty (or
/// is empty at the very start) ends the results, so no count query is needed.
fn implied_total(offset: u64, limit: u64, returned: usize) -> Option<u64> {
    let returned = returned as u64;
    (returned < limit && (returned > 0 || offset == 0)).then_some(offset + returned)
}

fn new_id() -> Uuid {
    // Time-ordered, so ordering by id is creation order: stable paging for free.
    Uuid::now_v7()
}

#[cfg(test)]
mod tests {
    use super::implied_total;

    #[test]
    fn short_pages_say_the_total() {
        assert_eq!(implied_total(0, 100, 1), Some(1)); // a lookup that found one
        assert_eq!(implied_total(0, 100, 0), Some(0)); // or none
        assert_eq!(implied_total(200, 100, 40), Some(240)); // the last page
        assert_eq!(implied_total(0, 100, 100), None); // a full page: there may be more
        assert_eq!(implied_total(500, 100, 0), None); // past the end: count
    }
}
