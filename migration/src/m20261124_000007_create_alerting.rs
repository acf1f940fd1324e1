//! Reminders, overdue alerts and escalation: the escalation policy (versioned), each task's
//! place on its ladder, the outbox of notifications, webhook subscriptions, and every delivery
//! attempt.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_practice::Practice;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EscalationPolicy::Table)
                    .col(uuid(EscalationPolicy::PracticeId))
                    .col(integer(EscalationPolicy::Version))
                    .col(json_binary(EscalationPolicy::Document))
                    .col(text(EscalationPolicy::Actor))
                    .col(timestamp_with_time_zone(EscalationPolicy::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(EscalationPolicy::PracticeId)
                            .col(EscalationPolicy::Version),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_escalation_policy_practice")
                            .from(EscalationPolicy::Table, EscalationPolicy::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;

        // Where each task stands on its ladder. `next_alert_at` NULL means "not worked out
        // yet" (a new task, or the policy changed): the sweeper computes it.
        manager
            .alter_table(
                Table::alter()
                    .table(Task::Table)
                    .add_column(integer(Task::RemindersSent).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Task::Table)
                    .add_column(timestamp_with_time_zone_null(Task::NextAlertAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_task_next_alert")
                    .table(Task::Table)
                    .col(Task::State)
                    .col(Task::NextAlertAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PracticePortal::Table)
                    .add_column(timestamp_with_time_zone_null(
                        PracticePortal::AdminsBelowMinSince,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboxEvent::Table)
                    .col(uuid(OutboxEvent::Id).primary_key())
                    .col(uuid(OutboxEvent::PracticeId))
                    // What makes the event unique, e.g. `task:<id>:overdue`: the same
                    // threshold can never be recorded twice, whatever races.
                    .col(string_len(OutboxEvent::EventKey, 200))
                    .col(string_len(OutboxEvent::EventType, 64))
                    .col(uuid_null(OutboxEvent::TaskId))
                    .col(json_binary(OutboxEvent::Payload))
                    .col(timestamp_with_time_zone(OutboxEvent::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_outbox_event_practice")
                            .from(OutboxEvent::Table, OutboxEvent::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_outbox_event_key")
                    .table(OutboxEvent::Table)
                    .col(OutboxEvent::PracticeId)
                    .col(OutboxEvent::EventKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_event_task")
                    .table(OutboxEvent::Table)
                    .col(OutboxEvent::PracticeId)
                    .col(OutboxEvent::TaskId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Webhook::Table)
                    .col(uuid(Webhook::Id).primary_key())
                    .col(uuid(Webhook::PracticeId))
                    .col(string_len(Webhook::Name, 200))
                    .col(text(Webhook::Url))
                    .col(json_binary(Webhook::EventTypes))
                    // Kept as given: signing needs it. Never returned, never logged.
                    .col(text(Webhook::Secret))
                    .col(string_len(Webhook::Format, 16))
                    .col(boolean(Webhook::Enabled))
                    .col(timestamp_with_time_zone(Webhook::CreatedAt))
                    .col(timestamp_with_time_zone(Webhook::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Webhook::DeletedAt))
                    .col(big_integer(Webhook::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_practice")
                            .from(Webhook::Table, Webhook::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDelivery::Table)
                    .col(uuid(WebhookDelivery::Id).primary_key())
                    .col(uuid(WebhookDelivery::PracticeId))
                    .col(uuid(WebhookDelivery::WebhookId))
                    .col(uuid(WebhookDelivery::EventId))
                    // pending, delivered, dead.
                    .col(string_len(WebhookDelivery::State, 16))
                    .col(integer(WebhookDelivery::Attempts))
                    .col(timestamp_with_time_zone(WebhookDelivery::NextAttemptAt))
                    // Held by the instance sending it, until then; an instance that dies
                    // mid-send lets it go when the lease runs out.
                    .col(timestamp_with_time_zone_null(WebhookDelivery::LeaseUntil))
                    .col(integer_null(WebhookDelivery::LastStatus))
                    .col(text_null(WebhookDelivery::LastError))
                    .col(timestamp_with_time_zone_null(WebhookDelivery::DeliveredAt))
                    .col(timestamp_with_time_zone_null(WebhookDelivery::DeadAt))
                    .col(timestamp_with_time_zone(WebhookDelivery::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_delivery_webhook")
                            .from(WebhookDelivery::Table, WebhookDelivery::WebhookId)
                            .to(Webhook::Table, Webhook::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_delivery_event")
                            .from(WebhookDelivery::Table, WebhookDelivery::EventId)
                            .to(OutboxEvent::Table, OutboxEvent::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_webhook_delivery")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::WebhookId)
                    .col(WebhookDelivery::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_delivery_due")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::State)
                    .col(WebhookDelivery::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_delivery_event")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::EventId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempt::Table)
                    .col(pk_auto(WebhookAttempt::Id).big_integer())
                    .col(uuid(WebhookAttempt::DeliveryId))
                    .col(integer(WebhookAttempt::Attempt))
                    .col(timestamp_with_time_zone(WebhookAttempt::At))
                    .col(integer_null(WebhookAttempt::Status))
                    .col(text_null(WebhookAttempt::Error))
                    .col(text_null(WebhookAttempt::ResponseExcerpt))
                    .col(big_integer(WebhookAttempt::DurationMs))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_attempt_delivery")
                            .from(WebhookAttempt::Table, WebhookAttempt::DeliveryId)
                            .to(WebhookDelivery::Table, WebhookDelivery::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_attempt_delivery")
                    .table(WebhookAttempt::Table)
                    .col(WebhookAttempt::DeliveryId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookAttempt::Table.into_iden(),
            WebhookDelivery::Table.into_iden(),
            Webhook::Table.into_iden(),
            OutboxEvent::Table.into_iden(),
            EscalationPolicy::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_task_next_alert")
                    .table(Task::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Task::RemindersSent, Task::NextAlertAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Task::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(PracticePortal::Table)
                    .drop_column(PracticePortal::AdminsBelowMinSince)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum EscalationPolicy {
    Table,
    PracticeId,
    Version,
    Document,
    Actor,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Task {
    Table,
    State,
    RemindersSent,
    NextAlertAt,
}

#[derive(DeriveIden)]
enum PracticePortal {
    Table,
    AdminsBelowMinSince,
}

#[derive(DeriveIden)]
enum OutboxEvent {
    Table,
    Id,
    PracticeId,
    EventKey,
    EventType,
    TaskId,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Webhook {
    Table,
    Id,
    PracticeId,
    Name,
    Url,
    EventTypes,
    Secret,
    Format,
    Enabled,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
    Version,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    Id,
    PracticeId,
    WebhookId,
    EventId,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastStatus,
    LastError,
    DeliveredAt,
    DeadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookAttempt {
    Table,
    Id,
    DeliveryId,
    Attempt,
    At,
    Status,
    Error,
    ResponseExcerpt,
    DurationMs,
}
