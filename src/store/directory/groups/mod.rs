//! SCIM groups. Membership changes are row-level inserts and deletes in the group's
//! transaction, never a rewrite of the member list, so concurrent PATCHes adding different
//! members all survive.
//!
//! Here: the records a caller sees and writes, and the membership edits a write carries.
//! `read.rs` reads one group or a page; `write.rs` inserts, replaces and tombstones groups in
//! the caller's transaction; `memberships.rs` holds the membership rows' reads, inserts and
//! deletes.

mod memberships;
mod read;
mod write;

use chrono::{DateTime, Utc};
use entities::scim_group;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::as_object;

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
