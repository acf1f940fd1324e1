//! Training before access: a practice portal may require it (or its catalogue entry does), a
//! provision task for that portal waits for the person's training, and each person's training
//! per portal is kept with when it lapses. The history of recordings is the audit trail; this
//! table holds the one that counts.

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
                    .table(TrainingRecord::Table)
                    .col(uuid(TrainingRecord::PracticeId))
                    .col(uuid(TrainingRecord::PersonId))
                    .col(string_len(TrainingRecord::PortalSlug, 63))
                    .col(timestamp_with_time_zone(TrainingRecord::CompletedAt))
                    .col(timestamp_with_time_zone_null(TrainingRecord::ExpiresAt))
                    // "console", "api", "task", or "SCIM group <name>".
                    .col(string_len(TrainingRecord::Source, 300))
                    .col(string_len(TrainingRecord::RecordedBy, 300))
                    .col(timestamp_with_time_zone(TrainingRecord::RecordedAt))
                    .primary_key(
                        Index::create()
                            .col(TrainingRecord::PracticeId)
                            .col(TrainingRecord::PersonId)
                            .col(TrainingRecord::PortalSlug),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_training_record_practice")
                            .from(TrainingRecord::Table, TrainingRecord::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The sweeper's read: training about to lapse.
        manager
            .create_index(
                Index::create()
                    .name("idx_training_record_expires")
                    .table(TrainingRecord::Table)
                    .col(TrainingRecord::PracticeId)
                    .col(TrainingRecord::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        // The practice's own rule; null: the catalogue's (a portal with a training duty
        // requires it, valid for the duty's cadence).
        for column in [
            ColumnDef::new(PracticePortal::TrainingRequired)
                .boolean()
                .null()
                .to_owned(),
            ColumnDef::new(PracticePortal::TrainingValidDays)
                .integer()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(PracticePortal::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // What a task waits for before it can be done ("training"); null: nothing.
        manager
            .alter_table(
                Table::alter()
                    .table(Task::Table)
                    .add_column(ColumnDef::new(Task::WaitingFor).string_len(31).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Task::Table)
                    .drop_column(Task::WaitingFor)
                    .to_owned(),
            )
            .await?;
        for column in [
            PracticePortal::TrainingRequired,
            PracticePortal::TrainingValidDays,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(PracticePortal::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(TrainingRecord::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TrainingRecord {
    Table,
    PracticeId,
    PersonId,
    PortalSlug,
    CompletedAt,
    ExpiresAt,
    Source,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum PracticePortal {
    Table,
    TrainingRequired,
    TrainingValidDays,
}

#[derive(DeriveIden)]
enum Task {
    Table,
    WaitingFor,
}
