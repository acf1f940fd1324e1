//! The outbox: a notification is recorded in the transaction that decides it, with one
//! delivery row per webhook that wants it, before anything is sent. The delivery worker sends
//! from here; nothing decided is lost if the process stops, and the unique event key means
//! nothing is recorded twice.

use chrono::{DateTime, Utc};
use entities::{outbox_event, webhook, webhook_delivery};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use super::vocabulary::text;
use super::{PracticeId, StoreError};
use crate::domain::delivery::DeliveryState;
use crate::domain::mail;

/// Which webhooks receive an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fanout {
    /// Every enabled subscription to the event's type, except one (the webhook whose own
    /// delivery died is not told through itself).
    Subscribers { except: Option<Uuid> },
    /// Only this webhook (a test event).
    Only(Uuid),
}

/// A notification to record.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// Unique per practice: the same key is never recorded twice.
    pub key: String,
    pub event_type: &'a str,
    pub task: Option<Uuid>,
    /// The documented event, without `id` (added here).
    pub payload: Value,
}

/// Records `event` and its deliveries in `db` (the caller's transaction). Returns the event's
/// id, or `None` when its key was recorded before.
pub(crate) async fn record(
    db: &impl ConnectionTrait,
    practice: PracticeId,
    event: NewEvent<'_>,
    fanout: Fanout,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, StoreError> {
    let id = Uuid::now_v7();
    let mut payload = event.payload;
    if let Value::Object(map) = &mut payload {
        map.insert("id".to_owned(), Value::String(id.to_string()));
        map.insert(
            "type".to_owned(),
            Value::String(event.event_type.to_owned()),
        );
        map.insert("occurred_at".to_owned(), serde_json::json!(now));
    }
    let names_no_one = mail::recipients(&payload).is_empty();
    let inserted = outbox_event::Entity::insert(outbox_event::ActiveModel {
        id: Set(id),
        practice_id: Set(practice.as_uuid()),
        event_key: Set(event.key),
        event_type: Set(event.event_type.to_owned()),
        task_id: Set(event.task),
        payload: Set(payload),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            outbox_event::Column::PracticeId,
            outbox_event::Column::EventKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 0 {
        return Ok(None);
    }
    let mut hooks = webhook::Entity::find()
        .filter(webhook::Column::PracticeId.eq(practice.as_uuid()))
        .filter(webhook::Column::DeletedAt.is_null());
    hooks = match fanout {
        Fanout::Only(webhook) => hooks.filter(webhook::Column::Id.eq(webhook)),
        Fanout::Subscribers { except } => {
            let hooks = hooks.filter(webhook::Column::Enabled.eq(true));
            match except {
                Some(except) => hooks.filter(webhook::Column::Id.ne(except)),
                None => hooks,
            }
        }
    };
    for hook in hooks.all(db).await? {
        if matches!(fanout, Fanout::Subscribers { .. })
            && !subscribes(&hook.event_types, event.event_type)
        {
            continue;
        }
        // The e-mail channel writes to the people an alert names; one naming nobody with an
        // address has no one to e-mail.
        if hook.format == mail::EMAIL_FORMAT && names_no_one {
            continue;
        }
        webhook_delivery::Entity::insert(webhook_delivery::ActiveModel {
            id: Set(Uuid::now_v7()),
            practice_id: Set(practice.as_uuid()),
            webhook_id: Set(hook.id),
            event_id: Set(id),
            state: Set(text(DeliveryState::Pending)),
            attempts: Set(0),
            next_attempt_at: Set(now),
            lease_until: Set(None),
            last_status: Set(None),
            last_error: Set(None),
            delivered_at: Set(None),
            dead_at: Set(None),
            created_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(Some(id))
}

/// `["*"]` takes everything; `task.*` a family; otherwise exact types.
pub fn subscribes(event_types: &Value, event_type: &str) -> bool {
    event_types.as_array().is_some_and(|types| {
        types.iter().filter_map(Value::as_str).any(|t| {
            t == "*"
                || t == event_type
                || t.strip_suffix(".*").is_some_and(|family| {
                    event_type
                        .strip_prefix(family)
                        .is_some_and(|rest| rest.starts_with('.'))
                })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::subscribes;

    #[test]
    fn subscriptions_match_exact_family_and_all() {
        let types = serde_json::json!(["task.*", "digest.daily"]);
        assert!(subscribes(&types, "task.overdue"));
        assert!(subscribes(&types, "digest.daily"));
        assert!(!subscribes(&types, "taskforce.x"));
        assert!(!subscribes(&types, "webhook.dead_lettered"));
        assert!(subscribes(
            &serde_json::json!(["*"]),
            "webhook.dead_lettered"
        ));
    }
}
