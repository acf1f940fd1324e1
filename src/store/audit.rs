//! The audit trail: one append-only row per state change, written in the transaction of the
//! change. (Issue 5 chains the rows with hashes; nothing here updates or deletes a row.)

use chrono::{DateTime, Utc};
use entities::audit_event;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::Value;

use super::{PracticeId, StoreError};

/// Who did it, when, under which request.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub name: &'a str,
    pub request_id: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub(crate) async fn append(
    db: &impl ConnectionTrait,
    practice: PracticeId,
    actor: &Actor<'_>,
    action: &str,
    target: &str,
    detail: Option<Value>,
) -> Result<(), StoreError> {
    audit_event::Entity::insert(audit_event::ActiveModel {
        seq: NotSet,
        practice_id: Set(practice.as_uuid()),
        at: Set(actor.at),
        actor: Set(actor.name.to_owned()),
        action: Set(action.to_owned()),
        target: Set(target.to_owned()),
        detail: Set(detail),
        request_id: Set(actor.request_id.map(str::to_owned)),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
