//! A practice can take an administrator off its own list (the console's Settings) without
//! touching their work for other practices: the membership gets an end, and stays as the
//! record of who was an administrator when.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AdminMembership::Table)
                    .add_column(timestamp_with_time_zone_null(AdminMembership::EndedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AdminMembership::Table)
                    .drop_column(AdminMembership::EndedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AdminMembership {
    Table,
    EndedAt,
}
