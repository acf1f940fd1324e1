//! The directory's resources as the rest of Portcullis sees them: a person (SCIM User), a
//! group, what a create or replace writes, and membership edits. SCIM reads and writes them on
//! the wire (`scim`), the store keeps them in rows (`store::directory`), the engine reacts to
//! their changes.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::policy::PersonFacts;

/// The enterprise User extension's schema (RFC 7643 §4.3): where department, division, cost
/// center and manager live.
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// How a person is named to people: their `displayName`, else their userName.
pub fn display_name(attributes: &Value, user_name: &str) -> String {
    attributes
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or(user_name)
        .to_owned()
}

/// A person's e-mail addresses, lower case: their `emails`, and their userName when it is one.
pub fn emails_of(attributes: &Value, user_name: &str) -> Vec<String> {
    let mut emails: Vec<String> = attributes
        .get("emails")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("value").and_then(Value::as_str))
        .map(|e| e.trim().to_lowercase())
        .collect();
    if user_name.contains('@') {
        emails.push(user_name.trim().to_lowercase());
    }
    emails.sort();
    emails.dedup();
    emails
}

/// What access policy sees of a person: job attributes from their SCIM attributes (core and
/// enterprise extension), and the names of their groups.
pub fn person_facts(attributes: &Value, groups: Vec<String>) -> PersonFacts {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let ext = attributes.get(ENTERPRISE_URN);
    PersonFacts {
        title: text(attributes.get("title")),
        employee_type: text(attributes.get("userType")),
        department: text(ext.and_then(|e| e.get("department"))),
        division: text(ext.and_then(|e| e.get("division"))),
        cost_center: text(ext.and_then(|e| e.get("costCenter"))),
        groups,
    }
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

impl UserRecord {
    /// Whether writing `write` would change nothing (RFC 7644 §3.5.2: a no-op must not bump
    /// lastModified).
    pub fn same_content(&self, write: &UserWrite) -> bool {
        self.user_name == write.user_name
            && self.external_id == write.external_id
            && self.active == write.active
            && self.attributes == write.attributes
    }
}

/// What a create or a full replace writes.
#[derive(Debug, Clone, PartialEq)]
pub struct UserWrite {
    pub user_name: String,
    pub external_id: Option<String>,
    pub active: bool,
    pub attributes: Map<String, Value>,
}

/// A stored group.
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
