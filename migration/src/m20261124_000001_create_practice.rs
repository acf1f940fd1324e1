use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Practice::Table)
                    .col(uuid(Practice::Id).primary_key())
                    .col(string_len_uniq(Practice::Slug, 63))
                    .col(string_len(Practice::Name, 200))
                    .col(string_len(Practice::TimeZone, 64))
                    .col(string_len(Practice::BusinessHours, 64))
                    .col(timestamp_with_time_zone(Practice::CreatedAt))
                    .col(big_integer(Practice::Version))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Practice::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Practice {
    Table,
    Id,
    Slug,
    Name,
    TimeZone,
    BusinessHours,
    CreatedAt,
    Version,
}
