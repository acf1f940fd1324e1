//! The console's OpenID Connect sign-ins in flight: between sending the browser to the
//! practice's identity provider and its return, what the return must match. Keyed by the
//! SHA-256 of `state`; `browser_sha256` is the hash of a cookie set on the browser that
//! started the sign-in, so a code cannot be replayed into somebody else's browser (login
//! CSRF). Each row is used once and lives minutes.

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
                    .table(ConsoleOidcLogin::Table)
                    .col(binary_len(ConsoleOidcLogin::StateSha256, 32).primary_key())
                    .col(uuid(ConsoleOidcLogin::PracticeId))
                    .col(binary_len(ConsoleOidcLogin::BrowserSha256, 32))
                    .col(string_len(ConsoleOidcLogin::Nonce, 64))
                    .col(string_len(ConsoleOidcLogin::CodeVerifier, 128))
                    .col(timestamp_with_time_zone(ConsoleOidcLogin::CreatedAt))
                    .col(timestamp_with_time_zone(ConsoleOidcLogin::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ConsoleOidcLogin::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_console_oidc_login_practice")
                            .from(ConsoleOidcLogin::Table, ConsoleOidcLogin::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Expired rows are swept by age.
        manager
            .create_index(
                Index::create()
                    .name("idx_console_oidc_login_expires")
                    .table(ConsoleOidcLogin::Table)
                    .col(ConsoleOidcLogin::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConsoleOidcLogin::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ConsoleOidcLogin {
    Table,
    StateSha256,
    PracticeId,
    BrowserSha256,
    Nonce,
    CodeVerifier,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
