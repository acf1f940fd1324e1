//! The SCIM directory: users, groups and their memberships, and the change record every write
//! leaves in the same transaction.

mod changes;
mod groups;
pub mod sql;
mod users;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

pub use changes::DirectoryChange;
pub use groups::{GroupRecord, GroupWrite, Member, MemberOp, MembersChange};
pub use users::{UserRecord, UserWrite};

/// Who made a change, and under which request; stamped on the change record.
#[derive(Debug, Clone)]
pub struct ChangeContext {
    pub actor: String,
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

impl ChangeContext {
    pub fn as_actor(&self) -> crate::store::audit::Actor<'_> {
        crate::store::audit::Actor {
            name: &self.actor,
            request_id: self.request_id.as_deref(),
            at: self.at,
        }
    }
}

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

fn new_id() -> Uuid {
    // Time-ordered, so ordering by id is creation order: stable paging for free.
    Uuid::now_v7()
}
