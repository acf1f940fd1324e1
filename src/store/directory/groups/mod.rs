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

use entities::scim_group;
use uuid::Uuid;

use super::as_object;
use crate::domain::directory::GroupRecord;

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
