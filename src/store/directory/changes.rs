//! Change records: what a SCIM write changed, for the lifecycle engine (issue 4) to consume.

use entities::directory_change;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::actor::Actor;
use crate::store::audit::Entry;
use crate::store::{PracticeId, StoreError};

#[derive(Debug, Clone, Copy)]
pub(super) enum Action {
    Created,
    Updated,
    Deleted,
}

pub(super) struct Change<'a> {
    pub resource_type: &'static str,
    pub resource_id: Uuid,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub actor: &'a Actor,
}

/// Records a change with its audit record; returns its sequence number.
pub(super) async fn record(
    db: &impl ConnectionTrait,
    practice: PracticeId,
    change: Change<'_>,
) -> Result<i64, StoreError> {
    let actor = change.actor.clone();
    let (seq, entry) = record_leaving_audit(db, practice, change).await?;
    crate::store::audit::append_all(db, practice, &actor, vec![entry]).await?;
    Ok(seq)
}

/// Records a change and returns, with its sequence number, the audit record the caller must
/// append in the same transaction (with the lifecycle engine's, in one go).
pub(super) async fn record_leaving_audit(
    db: &impl ConnectionTrait,
    practice: PracticeId,
    change: Change<'_>,
) -> Result<(i64, Entry), StoreError> {
    let action = match change.action {
        Action::Created => "created",
        Action::Updated => "updated",
        Action::Deleted => "deleted",
    };
    let resource = change.resource_type.to_lowercase();
    let entry = Entry {
        action: format!("scim.{resource}.{action}"),
        target: format!("{resource} {}", change.resource_id),
        detail: Some(serde_json::json!({"before": change.before, "after": change.after})),
    };
    let inserted = directory_change::Entity::insert(directory_change::ActiveModel {
        seq: NotSet,
        practice_id: Set(practice.as_uuid()),
        resource_type: Set(change.resource_type.to_owned()),
        resource_id: Set(change.resource_id),
        action: Set(action.to_owned()),
        before: Set(change.before),
        after: Set(change.after),
        actor: Set(change.actor.name.clone()),
        request_id: Set(change.actor.request_id.clone()),
        at: Set(change.actor.at),
        // The lifecycle engine consumes the change in the same transaction (see
        // `engine::react`), so it is processed as it is recorded.
        processed_at: Set(Some(change.actor.at)),
    })
    .exec(db)
    .await?;
    Ok((inserted.last_insert_id, entry))
}

/// A recorded directory change, as the lifecycle engine reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryChange {
    pub seq: i64,
    pub resource_type: String,
    pub resource_id: Uuid,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub actor: String,
    pub request_id: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl crate::store::TenantStore<'_> {
    /// The practice's changes after `seq`, oldest first, at most `limit`.
    pub async fn changes_after(
        &self,
        seq: i64,
        limit: u64,
    ) -> Result<Vec<DirectoryChange>, StoreError> {
        use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
        Ok(directory_change::Entity::find()
            .filter(directory_change::Column::PracticeId.eq(self.practice_id().as_uuid()))
            .filter(directory_change::Column::Seq.gt(seq))
            .order_by_asc(directory_change::Column::Seq)
            .limit(limit)
            .all(self.db)
            .await?
            .into_iter()
            .map(|m| DirectoryChange {
                seq: m.seq,
                resource_type: m.resource_type,
                resource_id: m.resource_id,
                action: m.action,
                before: m.before,
                after: m.after,
                actor: m.actor,
                request_id: m.request_id,
                at: m.at,
            })
            .collect())
    }
}
