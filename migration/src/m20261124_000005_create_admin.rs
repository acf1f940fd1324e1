//! Named administrators: people who work the queue, each with a role per practice. Tokens can
//! belong to one, so every admin-API write names a person, never a shared credential.

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
                    .table(Admin::Table)
                    .col(uuid(Admin::Id).primary_key())
                    .col(string_len(Admin::Email, 254))
                    .col(string_len_uniq(Admin::EmailKey, 254))
                    .col(string_len(Admin::Name, 200))
                    .col(boolean(Admin::Active))
                    .col(timestamp_with_time_zone(Admin::CreatedAt))
                    .col(timestamp_with_time_zone(Admin::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdminMembership::Table)
                    .col(uuid(AdminMembership::AdminId))
                    .col(uuid(AdminMembership::PracticeId))
                    .col(string_len(AdminMembership::Role, 32))
                    .col(timestamp_with_time_zone(AdminMembership::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(AdminMembership::AdminId)
                            .col(AdminMembership::PracticeId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_admin_membership_admin")
                            .from(AdminMembership::Table, AdminMembership::AdminId)
                            .to(Admin::Table, Admin::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_admin_membership_practice")
                            .from(AdminMembership::Table, AdminMembership::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ApiToken::Table)
                    .add_column(uuid_null(ApiToken::AdminId))
                    .to_owned(),
            )
            .await?;
        // Four-eyes: whether a task's verifier must be someone other than its completer.
        manager
            .alter_table(
                Table::alter()
                    .table(Practice::Table)
                    .add_column(boolean(PracticeFourEyes::FourEyes).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Practice::Table)
                    .drop_column(PracticeFourEyes::FourEyes)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ApiToken::Table)
                    .drop_column(ApiToken::AdminId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(AdminMembership::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Admin::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Admin {
    Table,
    Id,
    Email,
    EmailKey,
    Name,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AdminMembership {
    Table,
    AdminId,
    PracticeId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PracticeFourEyes {
    FourEyes,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    AdminId,
}
