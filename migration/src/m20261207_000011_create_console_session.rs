//! The console's sign-in: one-time links and server-side sessions. Only SHA-256 hashes of the
//! link and session secrets are stored, so a copy of the database signs nobody in.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_practice::Practice;
use crate::m20261124_000005_create_admin::Admin;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsoleSignInLink::Table)
                    .col(binary_len(ConsoleSignInLink::SecretSha256, 32).primary_key())
                    .col(uuid(ConsoleSignInLink::Id))
                    .col(uuid(ConsoleSignInLink::AdminId))
                    .col(uuid(ConsoleSignInLink::PracticeId))
                    .col(timestamp_with_time_zone(ConsoleSignInLink::CreatedAt))
                    .col(timestamp_with_time_zone(ConsoleSignInLink::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ConsoleSignInLink::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_console_sign_in_link_admin")
                            .from(ConsoleSignInLink::Table, ConsoleSignInLink::AdminId)
                            .to(Admin::Table, Admin::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_console_sign_in_link_practice")
                            .from(ConsoleSignInLink::Table, ConsoleSignInLink::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConsoleSession::Table)
                    .col(binary_len(ConsoleSession::SecretSha256, 32).primary_key())
                    .col(uuid(ConsoleSession::Id))
                    .col(uuid(ConsoleSession::AdminId))
                    // The practice the administrator is working in now (they may switch).
                    .col(uuid(ConsoleSession::PracticeId))
                    // How they signed in: `link` or `oidc`.
                    .col(string_len(ConsoleSession::Method, 16))
                    .col(timestamp_with_time_zone(ConsoleSession::CreatedAt))
                    .col(timestamp_with_time_zone(ConsoleSession::LastSeenAt))
                    .col(timestamp_with_time_zone(ConsoleSession::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ConsoleSession::EndedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_console_session_admin")
                            .from(ConsoleSession::Table, ConsoleSession::AdminId)
                            .to(Admin::Table, Admin::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_console_session_practice")
                            .from(ConsoleSession::Table, ConsoleSession::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Deactivating an administrator ends their live sessions.
        manager
            .create_index(
                Index::create()
                    .name("idx_console_session_admin")
                    .table(ConsoleSession::Table)
                    .col(ConsoleSession::AdminId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConsoleSession::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ConsoleSignInLink::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ConsoleSignInLink {
    Table,
    SecretSha256,
    Id,
    AdminId,
    PracticeId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum ConsoleSession {
    Table,
    SecretSha256,
    Id,
    AdminId,
    PracticeId,
    Method,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    EndedAt,
}
