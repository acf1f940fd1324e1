//! A practice portal's standing duties as the practice keeps them: when each was last met, by
//! whom, and the cadence or window where the practice corrects the catalogue.

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
                    .table(PortalDuty::Table)
                    .col(uuid(PortalDuty::PracticeId))
                    .col(string_len(PortalDuty::PortalSlug, 63))
                    .col(string_len(PortalDuty::DutyKey, 63))
                    .col(timestamp_with_time_zone_null(PortalDuty::LastMetAt))
                    .col(string_len_null(PortalDuty::MetBy, 300))
                    // The practice's corrections of the catalogue; null: the catalogue's value.
                    .col(integer_null(PortalDuty::EveryDays))
                    .col(integer_null(PortalDuty::WindowDays))
                    .col(timestamp_with_time_zone(PortalDuty::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(PortalDuty::PracticeId)
                            .col(PortalDuty::PortalSlug)
                            .col(PortalDuty::DutyKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_portal_duty_practice")
                            .from(PortalDuty::Table, PortalDuty::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PortalDuty::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PortalDuty {
    Table,
    PracticeId,
    PortalSlug,
    DutyKey,
    LastMetAt,
    MetBy,
    EveryDays,
    WindowDays,
    UpdatedAt,
}
