//! A practice's e-mail channel: one `webhook` row of format `email` whose `smtp` column holds
//! the mail server settings, so e-mails ride the outbox, the delivery queue, retries,
//! dead-lettering and retention with webhooks. The webhook routes refuse to change it; these
//! methods are its only writers.

use chrono::{DateTime, Utc};
use entities::webhook;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::{StoreError, TenantStore, audit};
use crate::domain::actor::Actor;
use crate::domain::mail::{EMAIL_FORMAT, SmtpSettings};

/// The e-mail channel as the API shows it (there is no password to hide: only the name of
/// the variable that holds it).
#[derive(Debug, Clone, PartialEq)]
pub struct EmailChannel {
    /// The channel's row among the webhooks (its deliveries are listed there).
    pub id: Uuid,
    pub settings: SmtpSettings,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

fn channel_of(row: webhook::Model) -> Option<EmailChannel> {
    Some(EmailChannel {
        id: row.id,
        settings: serde_json::from_value(row.smtp?).ok()?,
        event_types: serde_json::from_value(row.event_types).unwrap_or_default(),
        enabled: row.enabled,
        updated_at: row.updated_at,
        version: row.version,
    })
}

impl TenantStore<'_> {
    pub async fn email_channel(&self) -> Result<Option<EmailChannel>, StoreError> {
        Ok(self.email_row(self.db).await?.and_then(channel_of))
    }

    async fn email_row(
        &self,
        db: &impl sea_orm::ConnectionTrait,
    ) -> Result<Option<webhook::Model>, StoreError> {
        Ok(webhook::Entity::find()
            .filter(webhook::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(webhook::Column::Format.eq(EMAIL_FORMAT))
            .filter(webhook::Column::DeletedAt.is_null())
            .one(db)
            .await?)
    }

    /// Sets the channel (created on first use), audited without the password's variable
    /// name's value, which is never known here.
    pub async fn put_email_channel(
        &self,
        settings: &SmtpSettings,
        event_types: &[String],
        enabled: bool,
        actor: &Actor,
    ) -> Result<EmailChannel, StoreError> {
        let tx = self.begin_write().await?;
        let smtp =
            serde_json::to_value(settings).map_err(|e| StoreError::Refused(e.to_string()))?;
        let url = format!("smtp://{}:{}", settings.host, settings.port);
        let id = match self.email_row(&tx.tx).await? {
            Some(row) => {
                webhook::Entity::update_many()
                    .col_expr(webhook::Column::Smtp, Expr::value(smtp))
                    .col_expr(webhook::Column::Url, Expr::value(url))
                    .col_expr(webhook::Column::EventTypes, Expr::value(json!(event_types)))
                    .col_expr(webhook::Column::Enabled, Expr::value(enabled))
                    .col_expr(webhook::Column::UpdatedAt, Expr::value(actor.at))
                    .col_expr(
                        webhook::Column::Version,
                        Expr::col(webhook::Column::Version).add(1),
                    )
                    .filter(webhook::Column::Id.eq(row.id))
                    .exec(&tx.tx)
                    .await?;
                row.id
            }
            None => {
                let id = Uuid::now_v7();
                webhook::Entity::insert(webhook::ActiveModel {
                    id: Set(id),
                    practice_id: Set(self.practice.as_uuid()),
                    name: Set("E-mail".to_owned()),
                    url: Set(url),
                    event_types: Set(json!(event_types)),
                    // E-mails are not signed; the column is the webhooks' HMAC secret.
                    secret: Set(String::new()),
                    format: Set(EMAIL_FORMAT.to_owned()),
                    smtp: Set(Some(smtp)),
                    enabled: Set(enabled),
                    created_at: Set(actor.at),
                    updated_at: Set(actor.at),
                    deleted_at: Set(None),
                    version: Set(1),
                })
                .exec_without_returning(&tx.tx)
                .await?;
                id
            }
        };
        let row = webhook::Entity::find_by_id(id)
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("e-mail settings"))?;
        let channel = channel_of(row).ok_or(StoreError::NotFound("e-mail settings"))?;
        audit::append(
            &tx.tx,
            self.practice,
            actor,
            "email.settings_changed",
            &format!("webhook {id}"),
            Some(json!({
                "host": settings.host,
                "port": settings.port,
                "security": settings.security,
                "username": settings.username,
                "password_env": settings.password_env,
                "from": settings.from,
                "event_types": event_types,
                "enabled": enabled,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(channel)
    }

    /// Turns e-mail alerts off: the channel is deleted as a webhook is (pending e-mails are
    /// dead-lettered, its history stays).
    pub async fn delete_email_channel(&self, actor: &Actor) -> Result<(), StoreError> {
        let row = self
            .email_row(self.db)
            .await?
            .ok_or(StoreError::NotFound("e-mail settings"))?;
        self.delete_channel(row.id, actor).await
    }

    /// Queues a `webhook.test` e-mail to `to` through the channel (enabled or not).
    pub async fn queue_email_test(
        &self,
        to: &str,
        practice_name: &str,
        actor: &Actor,
    ) -> Result<Uuid, StoreError> {
        let tx = self.begin_write().await?;
        let row = self
            .email_row(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("e-mail settings"))?;
        let payload = json!({
            "practice": {"name": practice_name},
            "webhook": {"id": row.id, "name": row.name},
            "requested_by": actor.name,
            "notify": {"people": [{"email": to}]},
        });
        let event_id = self
            .record_test_event(&tx, row.id, payload, "email.test", json!({"to": to}), actor)
            .await?;
        tx.commit().await?;
        Ok(event_id)
    }

    /// Refuses a webhook route's change to the e-mail channel: it has its own settings.
    pub(crate) async fn refuse_email_channel(&self, id: Uuid) -> Result<(), StoreError> {
        let format: Option<String> = webhook::Entity::find_by_id(id)
            .filter(webhook::Column::PracticeId.eq(self.practice.as_uuid()))
            .select_only()
            .column(webhook::Column::Format)
            .into_tuple()
            .one(self.db)
            .await?;
        if format.as_deref() == Some(EMAIL_FORMAT) {
            return Err(StoreError::Refused(
                "this is the practice's e-mail channel: change it through \
                 /api/v1/email-settings"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}
