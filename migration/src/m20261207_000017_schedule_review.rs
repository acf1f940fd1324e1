//! Access reviews that run by themselves: a practice's review schedule, a campaign's
//! reminders, escalation, automatic close and completion (with the frozen report whose SHA-256
//! the audit trail records), and the delegation of an item to another administrator.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        let practice = [ColumnDef::new(Practice::ReviewSchedule)
            .json()
            .null()
            .to_owned()];
        for column in practice {
            manager
                .alter_table(
                    Table::alter()
                        .table(Practice::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        let campaign = [
            // Offsets before the deadline, in seconds, longest first.
            ColumnDef::new(ReviewCampaign::Reminders)
                .json()
                .null()
                .to_owned(),
            integer(ReviewCampaign::RemindersSent).default(0).to_owned(),
            timestamp_with_time_zone_null(ReviewCampaign::EscalatedAt),
            // When the sweeper closes it by itself; null: an administrator closes it.
            timestamp_with_time_zone_null(ReviewCampaign::ClosesAt),
            // When the sweeper next looks at it (a reminder, the escalation, the close).
            timestamp_with_time_zone_null(ReviewCampaign::NextAlertAt),
            timestamp_with_time_zone_null(ReviewCampaign::CompletedAt),
            // The report as it stood at completion, byte for byte, and its SHA-256 (hex).
            text_null(ReviewCampaign::CompletedReport),
            string_len_null(ReviewCampaign::ReportSha256, 64),
        ];
        for column in campaign {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReviewCampaign::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        let item = [
            string_len_null(ReviewItem::DelegatedBy, 300),
            timestamp_with_time_zone_null(ReviewItem::DelegatedAt),
        ];
        for column in item {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReviewItem::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_review_campaign_next_alert")
                    .table(ReviewCampaign::Table)
                    .col(ReviewCampaign::PracticeId)
                    .col(ReviewCampaign::NextAlertAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_review_campaign_next_alert")
                    .table(ReviewCampaign::Table)
                    .to_owned(),
            )
            .await?;
        for column in [ReviewItem::DelegatedBy, ReviewItem::DelegatedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReviewItem::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            ReviewCampaign::Reminders,
            ReviewCampaign::RemindersSent,
            ReviewCampaign::EscalatedAt,
            ReviewCampaign::ClosesAt,
            ReviewCampaign::NextAlertAt,
            ReviewCampaign::CompletedAt,
            ReviewCampaign::CompletedReport,
            ReviewCampaign::ReportSha256,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReviewCampaign::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Practice::Table)
                    .drop_column(Practice::ReviewSchedule)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Practice {
    Table,
    ReviewSchedule,
}

#[derive(DeriveIden)]
enum ReviewCampaign {
    Table,
    PracticeId,
    Reminders,
    RemindersSent,
    EscalatedAt,
    ClosesAt,
    NextAlertAt,
    CompletedAt,
    CompletedReport,
    ReportSha256,
}

#[derive(DeriveIden)]
enum ReviewItem {
    Table,
    DelegatedBy,
    DelegatedAt,
}
