//! Which account at a practice's identity provider is which administrator: the provider's
//! `iss` and `sub` (OpenID Connect Core §5.7: the only stable identity; an e-mail address can
//! be reassigned), bound at the first sign-in through that provider.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000005_create_admin::Admin;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdminIdentity::Table)
                    .col(string_len(AdminIdentity::Issuer, 500))
                    .col(string_len(AdminIdentity::Subject, 255))
                    .col(uuid(AdminIdentity::AdminId))
                    .col(timestamp_with_time_zone(AdminIdentity::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(AdminIdentity::Issuer)
                            .col(AdminIdentity::Subject),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_admin_identity_admin")
                            .from(AdminIdentity::Table, AdminIdentity::AdminId)
                            .to(Admin::Table, Admin::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One account per provider per administrator.
        manager
            .create_index(
                Index::create()
                    .name("idx_admin_identity_admin_issuer")
                    .table(AdminIdentity::Table)
                    .col(AdminIdentity::AdminId)
                    .col(AdminIdentity::Issuer)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AdminIdentity::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AdminIdentity {
    Table,
    Issuer,
    Subject,
    AdminId,
    CreatedAt,
}
