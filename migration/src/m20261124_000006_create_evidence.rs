//! Evidence files attached to tasks (screenshots or PDFs of a portal's user page), kept in the
//! database with their SHA-256.

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
                    .table(EvidenceFile::Table)
                    .col(uuid(EvidenceFile::Id).primary_key())
                    .col(uuid(EvidenceFile::PracticeId))
                    .col(uuid(EvidenceFile::TaskId))
                    .col(string_len(EvidenceFile::Filename, 255))
                    .col(string_len(EvidenceFile::ContentType, 64))
                    .col(big_integer(EvidenceFile::Size))
                    .col(binary_len(EvidenceFile::Sha256, 32))
                    .col(blob(EvidenceFile::Data))
                    .col(text(EvidenceFile::UploadedBy))
                    .col(timestamp_with_time_zone(EvidenceFile::UploadedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_evidence_file_practice")
                            .from(EvidenceFile::Table, EvidenceFile::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_evidence_file_task")
                    .table(EvidenceFile::Table)
                    .col(EvidenceFile::PracticeId)
                    .col(EvidenceFile::TaskId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EvidenceFile::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum EvidenceFile {
    Table,
    Id,
    PracticeId,
    TaskId,
    Filename,
    ContentType,
    Size,
    Sha256,
    Data,
    UploadedBy,
    UploadedAt,
}
