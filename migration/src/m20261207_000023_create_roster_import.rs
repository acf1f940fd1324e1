//! HR rosters for HR systems without SCIM: an uploaded roster, previewed and committed, is a
//! record (who, when, the file's SHA-256, what it changes); a practice whose directory a
//! roster has written is marked roster-managed (SCIM writes are then refused, so the two never
//! fight over the same people) and remembers how its rosters name their columns.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_practice::Practice as PracticeRow;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RosterImport::Table)
                    .col(uuid(RosterImport::Id).primary_key())
                    .col(uuid(RosterImport::PracticeId))
                    .col(string_len(RosterImport::FileName, 200))
                    .col(string_len(RosterImport::Sha256, 64))
                    .col(big_integer(RosterImport::Size))
                    .col(json(RosterImport::Columns))
                    // The people read from the file, and what they change.
                    .col(json(RosterImport::People))
                    .col(json(RosterImport::Plan))
                    // previewed | committed
                    .col(string_len(RosterImport::State, 20))
                    .col(string_len(RosterImport::PreviewedBy, 300))
                    .col(timestamp_with_time_zone(RosterImport::PreviewedAt))
                    .col(string_len_null(RosterImport::CommittedBy, 300))
                    .col(timestamp_with_time_zone_null(RosterImport::CommittedAt))
                    .col(integer_null(RosterImport::ConfirmedMissing))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_roster_import_practice")
                            .from(RosterImport::Table, RosterImport::PracticeId)
                            .to(PracticeRow::Table, PracticeRow::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_roster_import_sha")
                    .table(RosterImport::Table)
                    .col(RosterImport::PracticeId)
                    .col(RosterImport::Sha256)
                    .to_owned(),
            )
            .await?;
        for column in [
            ColumnDef::new(Practice::RosterManaged)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Practice::RosterColumns)
                .json()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Practice::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Practice::RosterManaged, Practice::RosterColumns] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Practice::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(RosterImport::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RosterImport {
    Table,
    Id,
    PracticeId,
    FileName,
    Sha256,
    Size,
    Columns,
    People,
    Plan,
    State,
    PreviewedBy,
    PreviewedAt,
    CommittedBy,
    CommittedAt,
    ConfirmedMissing,
}

#[derive(DeriveIden)]
enum Practice {
    Table,
    RosterManaged,
    RosterColumns,
}
