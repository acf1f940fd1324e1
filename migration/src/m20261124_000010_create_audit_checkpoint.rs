//! Signed checkpoints of each practice's audit chain, kept apart from `audit_event` so that a
//! trail cut short (or emptied) no longer reaches the last checkpoint, and verification says so.
//! Both tables refuse UPDATE and DELETE, and on PostgreSQL also TRUNCATE (a statement-level
//! trigger: the row-level ones of migration 4 never see a TRUNCATE). SQLite has no TRUNCATE.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditCheckpoint {
    Table,
    Id,
    PracticeId,
    Seq,
    Hash,
    RecordCount,
    At,
    Reason,
    KeyId,
    Signature,
}

#[derive(DeriveIden)]
enum Practice {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditCheckpoint::Table)
                    .col(big_pk_auto(AuditCheckpoint::Id))
                    .col(uuid(AuditCheckpoint::PracticeId))
                    .col(big_integer(AuditCheckpoint::Seq))
                    .col(binary_len(AuditCheckpoint::Hash, 32))
                    .col(big_integer(AuditCheckpoint::RecordCount))
                    .col(timestamp_with_time_zone(AuditCheckpoint::At))
                    .col(string_len(AuditCheckpoint::Reason, 16))
                    .col(string_len(AuditCheckpoint::KeyId, 16))
                    .col(binary_len(AuditCheckpoint::Signature, 64))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_audit_checkpoint_practice")
                            .from(AuditCheckpoint::Table, AuditCheckpoint::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One checkpoint per head: each appends its own record, so the next one signs a new head.
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_checkpoint_practice")
                    .table(AuditCheckpoint::Table)
                    .col(AuditCheckpoint::PracticeId)
                    .col(AuditCheckpoint::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_checkpoint_append_only() RETURNS trigger AS $$ \
                     BEGIN RAISE EXCEPTION 'audit_checkpoint is append-only'; END $$ \
                     LANGUAGE plpgsql",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE \
                     ON audit_checkpoint FOR EACH ROW \
                     EXECUTE FUNCTION audit_checkpoint_append_only()",
                )
                .await?;
                // TRUNCATE (also `TRUNCATE practice CASCADE`) fires statement-level triggers
                // only.
                db.execute_unprepared(
                    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event \
                     FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE \
                     ON audit_checkpoint FOR EACH STATEMENT \
                     EXECUTE FUNCTION audit_checkpoint_append_only()",
                )
                .await?;
            }
            _ => {
                for verb in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER audit_checkpoint_no_{} BEFORE {verb} ON audit_checkpoint \
                         BEGIN SELECT RAISE(ABORT, 'audit_checkpoint is append-only'); END",
                        verb.to_lowercase()
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS audit_checkpoint_append_only() CASCADE")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(AuditCheckpoint::Table).to_owned())
            .await
    }
}
