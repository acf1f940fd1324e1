//! A task's page shows its timeline: the audit records whose target is that task. Without an
//! index that read scans the practice's whole trail, which grows for six years.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_event_target")
                    .table(AuditEvent::Table)
                    .col(AuditEvent::PracticeId)
                    .col(AuditEvent::Target)
                    .col(AuditEvent::PracticeSeq)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_audit_event_target")
                    .table(AuditEvent::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    PracticeId,
    Target,
    PracticeSeq,
}
