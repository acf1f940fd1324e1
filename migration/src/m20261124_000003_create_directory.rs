//! The SCIM directory: users, groups, memberships, and the change records the lifecycle engine
//! consumes.
//!
//! `attributes` holds the SCIM representation as sent (canonical attribute names, no nulls);
//! `search` is the same document with every case-insensitive string lowercased, which filters
//! compare against so case-folding is identical on SQLite and PostgreSQL. Hot lookups have
//! columns: `user_name_key` (lowercased userName) is unique per practice among live users, so a
//! deleted user's userName is free again; `external_id` is indexed for IdP lookups.

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
                    .table(ScimUser::Table)
                    .col(uuid(ScimUser::Id).primary_key())
                    .col(uuid(ScimUser::PracticeId))
                    .col(text(ScimUser::UserName))
                    .col(text(ScimUser::UserNameKey))
                    .col(text_null(ScimUser::ExternalId))
                    .col(boolean(ScimUser::Active))
                    .col(json_binary(ScimUser::Attributes))
                    .col(json_binary(ScimUser::Search))
                    .col(timestamp_with_time_zone(ScimUser::CreatedAt))
                    .col(timestamp_with_time_zone(ScimUser::UpdatedAt))
                    .col(big_integer(ScimUser::Version))
                    .col(timestamp_with_time_zone_null(ScimUser::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scim_user_practice")
                            .from(ScimUser::Table, ScimUser::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Partial unique index: live users only. Same syntax on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_scim_user_user_name ON scim_user \
                 (practice_id, user_name_key) WHERE deleted_at IS NULL",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scim_user_external_id")
                    .table(ScimUser::Table)
                    .col(ScimUser::PracticeId)
                    .col(ScimUser::ExternalId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scim_user_practice_id")
                    .table(ScimUser::Table)
                    .col(ScimUser::PracticeId)
                    .col(ScimUser::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ScimGroup::Table)
                    .col(uuid(ScimGroup::Id).primary_key())
                    .col(uuid(ScimGroup::PracticeId))
                    .col(text(ScimGroup::DisplayName))
                    .col(text(ScimGroup::DisplayNameKey))
                    .col(text_null(ScimGroup::ExternalId))
                    .col(json_binary(ScimGroup::Attributes))
                    .col(json_binary(ScimGroup::Search))
                    .col(timestamp_with_time_zone(ScimGroup::CreatedAt))
                    .col(timestamp_with_time_zone(ScimGroup::UpdatedAt))
                    .col(big_integer(ScimGroup::Version))
                    .col(timestamp_with_time_zone_null(ScimGroup::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scim_group_practice")
                            .from(ScimGroup::Table, ScimGroup::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_scim_group_display_name ON scim_group \
                 (practice_id, display_name_key) WHERE deleted_at IS NULL",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scim_group_external_id")
                    .table(ScimGroup::Table)
                    .col(ScimGroup::PracticeId)
                    .col(ScimGroup::ExternalId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scim_group_practice_id")
                    .table(ScimGroup::Table)
                    .col(ScimGroup::PracticeId)
                    .col(ScimGroup::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ScimGroupMember::Table)
                    .col(uuid(ScimGroupMember::PracticeId))
                    .col(uuid(ScimGroupMember::GroupId))
                    .col(uuid(ScimGroupMember::UserId))
                    .col(timestamp_with_time_zone(ScimGroupMember::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ScimGroupMember::GroupId)
                            .col(ScimGroupMember::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scim_group_member_group")
                            .from(ScimGroupMember::Table, ScimGroupMember::GroupId)
                            .to(ScimGroup::Table, ScimGroup::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scim_group_member_user")
                            .from(ScimGroupMember::Table, ScimGroupMember::UserId)
                            .to(ScimUser::Table, ScimUser::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scim_group_member_user")
                    .table(ScimGroupMember::Table)
                    .col(ScimGroupMember::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DirectoryChange::Table)
                    .col(big_pk_auto(DirectoryChange::Seq))
                    .col(uuid(DirectoryChange::PracticeId))
                    .col(string_len(DirectoryChange::ResourceType, 16))
                    .col(uuid(DirectoryChange::ResourceId))
                    .col(string_len(DirectoryChange::Action, 16))
                    .col(json_binary_null(DirectoryChange::Before))
                    .col(json_binary_null(DirectoryChange::After))
                    .col(text(DirectoryChange::Actor))
                    .col(text_null(DirectoryChange::RequestId))
                    .col(timestamp_with_time_zone(DirectoryChange::At))
                    .col(timestamp_with_time_zone_null(DirectoryChange::ProcessedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_directory_change_practice")
                            .from(DirectoryChange::Table, DirectoryChange::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_directory_change_resource")
                    .table(DirectoryChange::Table)
                    .col(DirectoryChange::PracticeId)
                    .col(DirectoryChange::ResourceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DirectoryChange::Table.into_iden(),
            ScimGroupMember::Table.into_iden(),
            ScimGroup::Table.into_iden(),
            ScimUser::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ScimUser {
    Table,
    Id,
    PracticeId,
    UserName,
    UserNameKey,
    ExternalId,
    Active,
    Attributes,
    Search,
    CreatedAt,
    UpdatedAt,
    Version,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ScimGroup {
    Table,
    Id,
    PracticeId,
    DisplayName,
    DisplayNameKey,
    ExternalId,
    Attributes,
    Search,
    CreatedAt,
    UpdatedAt,
    Version,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ScimGroupMember {
    Table,
    PracticeId,
    GroupId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DirectoryChange {
    Table,
    Seq,
    PracticeId,
    ResourceType,
    ResourceId,
    Action,
    Before,
    After,
    Actor,
    RequestId,
    At,
    ProcessedAt,
}
