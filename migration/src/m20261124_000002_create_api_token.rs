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
                    .table(ApiToken::Table)
                    .col(uuid(ApiToken::Id).primary_key())
                    .col(uuid(ApiToken::PracticeId))
                    .col(string_len(ApiToken::Name, 100))
                    .col(string_len(ApiToken::Scopes, 200))
                    .col(binary_len(ApiToken::SecretSha256, 32))
                    .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_token_practice")
                            .from(ApiToken::Table, ApiToken::PracticeId)
                            .to(Practice::Table, Practice::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_token_practice")
                    .table(ApiToken::Table)
                    .col(ApiToken::PracticeId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiToken::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    PracticeId,
    Name,
    Scopes,
    SecretSha256,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}
