//! Webhook subscriptions: what an administrator registers, changes and pauses, and the test
//! event that checks one. Their deliveries are `store::deliveries`.

use chrono::{DateTime, Utc};
use entities::{webhook, webhook_delivery};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use super::audit;
use super::outbox::{self, Fanout, NewEvent};
use super::{StoreError, TenantStore};
use crate::domain::actor::Actor;
use crate::domain::delivery::DeliveryState;

/// A subscription as the API shows it: never with its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub format: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<webhook::Model> for Webhook {
    fn from(m: webhook::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            url: m.url,
            event_types: serde_json::from_value(m.event_types).unwrap_or_default(),
            format: m.format,
            enabled: m.enabled,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// A subscription to create (checked by the caller).
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub name: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub format: String,
    pub secret: String,
    pub enabled: bool,
}

/// Fields to change; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct WebhookChange {
    pub name: Option<String>,
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub format: Option<String>,
    pub secret: Option<String>,
    pub enabled: Option<bool>,
}

impl TenantStore<'_> {
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        Ok(webhook::Entity::find()
            .filter(webhook::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(webhook::Column::DeletedAt.is_null())
            .order_by_asc(webhook::Column::CreatedAt)
            .all(self.db)
            .await?
            .into_iter()
            .map(Webhook::from)
            .collect())
    }

    pub async fn webhook(&self, id: Uuid) -> Result<Webhook, StoreError> {
        webhook::Entity::find_by_id(id)
            .filter(webhook::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(webhook::Column::DeletedAt.is_null())
            .one(self.db)
            .await?
            .map(Webhook::from)
            .ok_or(StoreError::NotFound("webhook"))
    }

    pub async fn create_webhook(
        &self,
        new: NewWebhook,
        actor: &Actor,
    ) -> Result<Webhook, StoreError> {
        let tx = self.begin_write().await?;
        let row = webhook::ActiveModel {
            id: Set(Uuid::now_v7()),
            practice_id: Set(self.practice.as_uuid()),
            name: Set(new.name),
            url: Set(new.url),
            event_types: Set(json!(new.event_types)),
            secret: Set(new.secret),
            format: Set(new.format),
            smtp: Set(None),
            enabled: Set(new.enabled),
            created_at: Set(actor.at),
            updated_at: Set(actor.at),
            deleted_at: Set(None),
            version: Set(1),
        };
        let created = Webhook::from(
            webhook::Entity::insert(row)
                .exec_with_returning(&tx.tx)
                .await?,
        );
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "webhook.created",
            &format!("webhook {}", created.id),
            Some(describe(&created)),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn update_webhook(
        &self,
        id: Uuid,
        change: WebhookChange,
        actor: &Actor,
    ) -> Result<Webhook, StoreError> {
        self.refuse_email_channel(id).await?;
        let tx = self.begin_write().await?;
        let secret_rotated = change.secret.is_some();
        let mut update = webhook::Entity::update_many()
            .col_expr(webhook::Column::UpdatedAt, Expr::value(actor.at))
            .col_expr(
                webhook::Column::Version,
                Expr::col(webhook::Column::Version).add(1),
            );
        if let Some(name) = change.name {
            update = update.col_expr(webhook::Column::Name, Expr::value(name));
        }
        if let Some(url) = change.url {
            update = update.col_expr(webhook::Column::Url, Expr::value(url));
        }
        if let Some(types) = change.event_types {
            update = update.col_expr(webhook::Column::EventTypes, Expr::value(json!(types)));
        }
        if let Some(format) = change.format {
            update = update.col_expr(webhook::Column::Format, Expr::value(format));
        }
        if let Some(secret) = change.secret {
            update = update.col_expr(webhook::Column::Secret, Expr::value(secret));
        }
        if let Some(enabled) = change.enabled {
            update = update.col_expr(webhook::Column::Enabled, Expr::value(enabled));
        }
        let changed = update
            .filter(webhook::Column::Id.eq(id))
            .filter(webhook::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(webhook::Column::DeletedAt.is_null())
            .exec(&tx.tx)
            .await?;
        if changed.rows_affected == 0 {
            return Err(StoreError::NotFound("webhook"));
        }
        let updated = Webhook::from(
            webhook::Entity::find_by_id(id)
                .filter(webhook::Column::PracticeId.eq(self.practice.as_uuid()))
                .one(&tx.tx)
                .await?
                .ok_or(StoreError::NotFound("webhook"))?,
        );
        let mut detail = describe(&updated);
        detail["secret_rotated"] = json!(secret_rotated);
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "webhook.updated",
            &format!("webhook {id}"),
            Some(detail),
        )
        .await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Removes a subscription from use (its delivery history stays); deliveries still pending
    /// are dead-lettered, without alerting: nobody is listening any more.
    pub async fn delete_webhook(&self, id: Uuid, actor: &Actor) -> Result<(), StoreError> {
        self.refuse_email_channel(id).await?;
        self.delete_channel(id, actor).await
    }

    /// Deletes a webhook or the e-mail channel (see [`TenantStore::delete_webhook`]).
    pub(crate) async fn delete_channel(&self, id: Uuid, actor: &Actor) -> Result<(), StoreError> {
        let tx = self.begin_write().await?;
        let deleted = webhook::Entity::update_many()
            .col_expr(webhook::Column::DeletedAt, Expr::value(actor.at))
            .col_expr(webhook::Column::Enabled, Expr::value(false))
            .col_expr(
                webhook::Column::Version,
                Expr::col(webhook::Column::Version).add(1),
            )
            .filter(webhook::Column::Id.eq(id))
            .filter(webhook::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(webhook::Column::DeletedAt.is_null())
            .exec(&tx.tx)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound("webhook"));
        }
        webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::State,
                Expr::value(DeliveryState::Dead),
            )
            .col_expr(webhook_delivery::Column::DeadAt, Expr::value(actor.at))
            .col_expr(
                webhook_delivery::Column::LastError,
                Expr::value("the webhook was deleted"),
            )
            .filter(webhook_delivery::Column::WebhookId.eq(id))
            .filter(webhook_delivery::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending))
            .exec(&tx.tx)
            .await?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "webhook.deleted",
            &format!("webhook {id}"),
            None,
        )
        .await?;
        tx.commit().await
    }

    /// Queues a `webhook.test` event for this webhook alone (enabled or not). Returns the
    /// event's id.
    pub async fn queue_test_event(
        &self,
        id: Uuid,
        practice_name: &str,
        base_url: &str,
        actor: &Actor,
    ) -> Result<Uuid, StoreError> {
        self.refuse_email_channel(id).await?;
        let tx = self.begin_write().await?;
        let hook = webhook::Entity::find_by_id(id)
            .filter(webhook::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(webhook::Column::DeletedAt.is_null())
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("webhook"))?;
        let payload = json!({
            "practice": {"name": practice_name},
            "webhook": {"id": hook.id, "name": hook.name},
            "requested_by": actor.name,
            "url": format!("{base_url}/api/v1/webhooks/{}", hook.id),
        });
        let event_id = self
            .record_test_event(&tx, hook.id, payload, "webhook.test", json!({}), actor)
            .await?;
        tx.commit().await?;
        Ok(event_id)
    }

    /// Records a `webhook.test` event for one channel alone (enabled or not), audited as
    /// `action` with the event's id added to `detail`.
    pub(crate) async fn record_test_event(
        &self,
        tx: &super::WriteTx,
        channel: Uuid,
        payload: serde_json::Value,
        action: &str,
        mut detail: serde_json::Value,
        actor: &Actor,
    ) -> Result<Uuid, StoreError> {
        let event = NewEvent {
            key: format!("test:{}", Uuid::now_v7()),
            event_type: "webhook.test",
            task: None,
            payload,
        };
        let event_id = outbox::record(
            &tx.tx,
            self.practice,
            event,
            Fanout::Only(channel),
            actor.at,
        )
        .await?
        .ok_or(StoreError::Conflict("this test event"))?;
        detail["event"] = json!(event_id);
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            action,
            &format!("webhook {channel}"),
            Some(detail),
        )
        .await?;
        Ok(event_id)
    }
}

/// What the audit trail says about a subscription: everything but the secret.
fn describe(hook: &Webhook) -> serde_json::Value {
    json!({
        "name": hook.name,
        "url": redact_url(&hook.url),
        "event_types": hook.event_types,
        "format": hook.format,
        "enabled": hook.enabled,
    })
}

/// Scheme, host and port only: incoming-webhook URLs (Slack, Teams) carry their token in the
/// path, which is as good as a password.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => {
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{}{port}/…",
                parsed.scheme(),
                parsed.host_str().unwrap_or_default()
            )
        }
        Err(_) => "(invalid)".to_owned(),
    }
}
