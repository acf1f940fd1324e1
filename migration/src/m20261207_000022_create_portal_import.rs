//! Reading back what the portals hold: a portal user list, uploaded, previewed and committed,
//! is a record (who, when, the file's SHA-256, what it showed); a listed account nobody is
//! known for can be accepted as a service account until a review date; a practice portal
//! remembers how its lists' columns are mapped; an account keeps the NPI a list showed, for
//! correlating by name and NPI, and an administrator account its last sign-in; a task on an account no person is known for names it.

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
                    .table(PortalImport::Table)
                    .col(uuid(PortalImport::Id).primary_key())
                    .col(uuid(PortalImport::PracticeId))
                    .col(string_len(PortalImport::PortalSlug, 63))
                    .col(string_len(PortalImport::FileName, 200))
                    .col(string_len(PortalImport::Sha256, 64))
                    .col(big_integer(PortalImport::Size))
                    // The column mapping used, and the accounts read with it.
                    .col(json(PortalImport::Columns))
                    .col(json(PortalImport::Accounts))
                    // What the preview found; the commit's findings must be the same.
                    .col(json(PortalImport::Findings))
                    // previewed | committed
                    .col(string_len(PortalImport::State, 20))
                    .col(string_len(PortalImport::PreviewedBy, 300))
                    .col(timestamp_with_time_zone(PortalImport::PreviewedAt))
                    .col(string_len_null(PortalImport::CommittedBy, 300))
                    .col(timestamp_with_time_zone_null(PortalImport::CommittedAt))
                    .col(integer_null(PortalImport::ConfirmedMissing))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_portal_import_practice")
                            .from(PortalImport::Table, PortalImport::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // A portal's imports, newest first; a replayed file is found by its hash.
        manager
            .create_index(
                Index::create()
                    .name("idx_portal_import_portal")
                    .table(PortalImport::Table)
                    .col(PortalImport::PracticeId)
                    .col(PortalImport::PortalSlug)
                    .col(PortalImport::Sha256)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceAccount::Table)
                    .col(uuid(ServiceAccount::PracticeId))
                    .col(string_len(ServiceAccount::PortalSlug, 63))
                    // Lower case: usernames compare without case.
                    .col(string_len(ServiceAccount::Username, 256))
                    .col(string_len(ServiceAccount::Reason, 1000))
                    .col(timestamp_with_time_zone(ServiceAccount::ReviewAt))
                    .col(string_len(ServiceAccount::MarkedBy, 300))
                    .col(timestamp_with_time_zone(ServiceAccount::MarkedAt))
                    .primary_key(
                        Index::create()
                            .col(ServiceAccount::PracticeId)
                            .col(ServiceAccount::PortalSlug)
                            .col(ServiceAccount::Username),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_service_account_practice")
                            .from(ServiceAccount::Table, ServiceAccount::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PracticePortal::Table)
                    .add_column(ColumnDef::new(PracticePortal::ListColumns).json().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PortalAccount::Table)
                    .add_column(ColumnDef::new(PortalAccount::Npi).string_len(10).null())
                    .to_owned(),
            )
            .await?;
        // An administrator account's last sign-in as a list showed it: the sweeper warns a
        // week before the portal's inactivity lockout.
        manager
            .alter_table(
                Table::alter()
                    .table(PortalAccount::Table)
                    .add_column(
                        ColumnDef::new(PortalAccount::LastLoginAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Task::Table)
                    .add_column(ColumnDef::new(Task::PortalUsername).string_len(256).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Task::Table)
                    .drop_column(Task::PortalUsername)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PortalAccount::Table)
                    .drop_column(PortalAccount::LastLoginAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PortalAccount::Table)
                    .drop_column(PortalAccount::Npi)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PracticePortal::Table)
                    .drop_column(PracticePortal::ListColumns)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ServiceAccount::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PortalImport::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PortalImport {
    Table,
    Id,
    PracticeId,
    PortalSlug,
    FileName,
    Sha256,
    Size,
    Columns,
    Accounts,
    Findings,
    State,
    PreviewedBy,
    PreviewedAt,
    CommittedBy,
    CommittedAt,
    ConfirmedMissing,
}

#[derive(DeriveIden)]
enum ServiceAccount {
    Table,
    PracticeId,
    PortalSlug,
    Username,
    Reason,
    ReviewAt,
    MarkedBy,
    MarkedAt,
}

#[derive(DeriveIden)]
enum PracticePortal {
    Table,
    ListColumns,
}

#[derive(DeriveIden)]
enum PortalAccount {
    Table,
    Npi,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum Task {
    Table,
    PortalUsername,
}
