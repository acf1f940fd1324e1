//! SCIM users. Every write is one transaction with its change record.
//!
//! Here: the records a caller sees and writes, and the row a read selects (with the user's
//! groups in the same statement). `read.rs` reads one user, a page, or the groups of some;
//! `write.rs` inserts, replaces and tombstones users in the caller's transaction.

mod read;
mod write;

use chrono::{DateTime, Utc};
use entities::scim_user;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Select,
};
use serde_json::Value;
use uuid::Uuid;

use super::as_object;
use crate::domain::directory::{Member, UserRecord};
use crate::store::StoreError;
use crate::store::audit::Entry;

pub(super) use write::check_version;

/// What a user write changed, for the engine to react to in the same transaction.
#[derive(Debug)]
pub(crate) struct UserChange {
    /// `active` before the write; `None` for a new user.
    pub was_active: Option<bool>,
    /// The row as written.
    pub row: scim_user::Model,
    /// The change record's sequence number.
    pub seq: i64,
    /// The change's audit record, appended with the engine's.
    pub recorded: Entry,
}

impl From<scim_user::Model> for UserRecord {
    fn from(m: scim_user::Model) -> Self {
        Self {
            id: m.id,
            user_name: m.user_name,
            external_id: m.external_id,
            active: m.active,
            attributes: as_object(m.attributes),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
            groups: None,
        }
    }
}

/// A user as read for a response: the stored columns but the filter-only `search` document,
/// and the user's groups in the same statement (see [`groups_column`]).
#[derive(FromQueryResult)]
struct UserRow {
    id: Uuid,
    user_name: String,
    external_id: Option<String>,
    active: bool,
    attributes: Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
    /// `[[group id, displayName], …]` as JSON text; NULL when not asked for (and on PostgreSQL
    /// when there are none).
    groups: Option<String>,
}

impl UserRow {
    fn into_record(self, with_groups: bool) -> Result<UserRecord, StoreError> {
        let groups = match (with_groups, self.groups) {
            (false, _) => None,
            (true, None) => Some(Vec::new()),
            (true, Some(text)) => Some(
                serde_json::from_str::<Vec<(Uuid, String)>>(&text)
                    .map_err(|_| StoreError::Corrupt("group membership"))?
                    .into_iter()
                    .map(|(id, display)| Member { id, display })
                    .collect(),
            ),
        };
        Ok(UserRecord {
            id: self.id,
            user_name: self.user_name,
            external_id: self.external_id,
            active: self.active,
            attributes: as_object(self.attributes),
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
            groups,
        })
    }
}

/// A scalar subquery giving a user's groups as JSON text, ordered by group id, so a page of
/// users and their groups is one statement (on SQLite each statement is a round trip to the
/// driver's thread). SQLite keeps UUIDs as 16-byte blobs, which JSON cannot hold: they travel
/// as hex, which `Uuid` parses.
fn groups_column(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            r#"(SELECT json_agg(json_build_array(m.group_id, g.display_name) ORDER BY m.group_id)::text
                FROM scim_group_member m JOIN scim_group g ON g.id = m.group_id
                WHERE m.user_id = "scim_user"."id" AND m.practice_id = "scim_user"."practice_id")"#
        }
        _ => {
            r#"(SELECT json_group_array(json_array(hex(m.group_id), g.display_name) ORDER BY m.group_id)
                FROM scim_group_member m JOIN scim_group g ON g.id = m.group_id
                WHERE m.user_id = "scim_user"."id" AND m.practice_id = "scim_user"."practice_id")"#
        }
    }
}

/// Live users of the practice, selecting what a [`UserRow`] reads.
fn select_users(
    practice: Uuid,
    backend: DbBackend,
    with_groups: bool,
) -> Select<scim_user::Entity> {
    use scim_user::Column as C;
    let groups = if with_groups {
        Expr::cust(groups_column(backend))
    } else {
        Expr::cust("NULL")
    };
    scim_user::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::UserName,
            C::ExternalId,
            C::Active,
            C::Attributes,
            C::CreatedAt,
            C::UpdatedAt,
            C::Version,
        ])
        .column_as(groups, "groups")
        .filter(C::PracticeId.eq(practice))
        .filter(C::DeletedAt.is_null())
}
