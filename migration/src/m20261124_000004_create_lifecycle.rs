//! The lifecycle engine's tables: the practice's portals, its versioned access policy and SLAs,
//! portal accounts, lifecycle events, tasks, and a simple append-only audit trail.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_practice::Practice;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn practice_fk(
    table: impl IntoIden + Clone + 'static,
    column: impl IntoIden + 'static,
    name: &str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Practice::Table, Practice::Id)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Practice::Table)
                    .add_column(json_binary_null(PracticeSla::Sla))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PracticePortal::Table)
                    .col(uuid(PracticePortal::Id).primary_key())
                    .col(uuid(PracticePortal::PracticeId))
                    .col(string_len(PracticePortal::PortalSlug, 63))
                    .col(json_binary_null(PracticePortal::CustomDefinition))
                    .col(json_binary(PracticePortal::OrgScope))
                    .col(integer_null(PracticePortal::MinAdmins))
                    .col(integer_null(PracticePortal::MaxAdmins))
                    .col(json_binary(PracticePortal::SlaOverrides))
                    .col(text_null(PracticePortal::Url))
                    .col(timestamp_with_time_zone(PracticePortal::CreatedAt))
                    .col(timestamp_with_time_zone(PracticePortal::UpdatedAt))
                    .col(big_integer(PracticePortal::Version))
                    .foreign_key(&mut practice_fk(
                        PracticePortal::Table,
                        PracticePortal::PracticeId,
                        "fk_practice_portal_practice",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_practice_portal_slug")
                    .table(PracticePortal::Table)
                    .col(PracticePortal::PracticeId)
                    .col(PracticePortal::PortalSlug)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccessPolicy::Table)
                    .col(uuid(AccessPolicy::PracticeId))
                    .col(integer(AccessPolicy::Version))
                    .col(json_binary(AccessPolicy::Document))
                    .col(text(AccessPolicy::Actor))
                    .col(timestamp_with_time_zone(AccessPolicy::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(AccessPolicy::PracticeId)
                            .col(AccessPolicy::Version),
                    )
                    .foreign_key(&mut practice_fk(
                        AccessPolicy::Table,
                        AccessPolicy::PracticeId,
                        "fk_access_policy_practice",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PortalAccount::Table)
                    .col(uuid(PortalAccount::Id).primary_key())
                    .col(uuid(PortalAccount::PracticeId))
                    .col(uuid(PortalAccount::PersonId))
                    .col(string_len(PortalAccount::PortalSlug, 63))
                    .col(text_null(PortalAccount::Username))
                    .col(json_binary(PortalAccount::Roles))
                    .col(string_len(PortalAccount::Status, 16))
                    .col(boolean(PortalAccount::OtherAffiliations))
                    .col(timestamp_with_time_zone(PortalAccount::CreatedAt))
                    .col(timestamp_with_time_zone(PortalAccount::UpdatedAt))
                    .col(big_integer(PortalAccount::Version))
                    .foreign_key(&mut practice_fk(
                        PortalAccount::Table,
                        PortalAccount::PracticeId,
                        "fk_portal_account_practice",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_portal_account_person")
                    .table(PortalAccount::Table)
                    .col(PortalAccount::PracticeId)
                    .col(PortalAccount::PersonId)
                    .col(PortalAccount::PortalSlug)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LifecycleEvent::Table)
                    .col(uuid(LifecycleEvent::Id).primary_key())
                    .col(uuid(LifecycleEvent::PracticeId))
                    .col(uuid(LifecycleEvent::PersonId))
                    .col(string_len(LifecycleEvent::Kind, 16))
                    .col(big_integer_null(LifecycleEvent::ChangeSeq))
                    .col(integer_null(LifecycleEvent::PolicyVersion))
                    .col(timestamp_with_time_zone(LifecycleEvent::At))
                    .foreign_key(&mut practice_fk(
                        LifecycleEvent::Table,
                        LifecycleEvent::PracticeId,
                        "fk_lifecycle_event_practice",
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Task::Table)
                    .col(uuid(Task::Id).primary_key())
                    .col(uuid(Task::PracticeId))
                    .col(uuid(Task::PersonId))
                    .col(string_len_null(Task::PortalSlug, 63))
                    .col(string_len(Task::Kind, 24))
                    .col(string_len(Task::State, 16))
                    .col(json_binary(Task::RolesAdd))
                    .col(json_binary(Task::RolesRemove))
                    .col(text(Task::Action))
                    .col(string_len(Task::Cause, 16))
                    .col(uuid(Task::EventId))
                    .col(integer_null(Task::PolicyVersion))
                    .col(timestamp_with_time_zone(Task::DueAt))
                    .col(uuid_null(Task::BlockedBy))
                    .col(text_null(Task::Assignee))
                    .col(text_null(Task::ClaimedBy))
                    .col(timestamp_with_time_zone_null(Task::ClaimedAt))
                    .col(text_null(Task::DoneBy))
                    .col(timestamp_with_time_zone_null(Task::DoneAt))
                    .col(text_null(Task::VerifiedBy))
                    .col(timestamp_with_time_zone_null(Task::VerifiedAt))
                    .col(json_binary_null(Task::Evidence))
                    .col(text_null(Task::Outcome))
                    .col(text_null(Task::Reason))
                    .col(integer(Task::EscalationLevel))
                    .col(timestamp_with_time_zone(Task::CreatedAt))
                    .col(timestamp_with_time_zone(Task::UpdatedAt))
                    .col(big_integer(Task::Version))
                    .foreign_key(&mut practice_fk(
                        Task::Table,
                        Task::PracticeId,
                        "fk_task_practice",
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_task_queue",
                vec![Task::PracticeId, Task::State, Task::DueAt],
            ),
            ("idx_task_person", vec![Task::PracticeId, Task::PersonId]),
            (
                "idx_task_due",
                vec![Task::PracticeId, Task::DueAt, Task::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Task::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(big_pk_auto(AuditEvent::Seq))
                    .col(uuid(AuditEvent::PracticeId))
                    .col(big_integer(AuditEvent::PracticeSeq))
                    .col(binary_len(AuditEvent::PrevHash, 32))
                    .col(binary_len(AuditEvent::Hash, 32))
                    .col(timestamp_with_time_zone(AuditEvent::At))
                    .col(text(AuditEvent::Actor))
                    .col(string_len(AuditEvent::Action, 64))
                    .col(text(AuditEvent::Target))
                    .col(json_binary_null(AuditEvent::Detail))
                    .col(text_null(AuditEvent::RequestId))
                    .foreign_key(&mut practice_fk(
                        AuditEvent::Table,
                        AuditEvent::PracticeId,
                        "fk_audit_event_practice",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_event_practice")
                    .table(AuditEvent::Table)
                    .col(AuditEvent::PracticeId)
                    .col(AuditEvent::PracticeSeq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Append-only in the database too: no UPDATE or DELETE, whatever the client.
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$ \
                     BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$ LANGUAGE plpgsql",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event \
                     FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
                )
                .await?;
            }
            _ => {
                for verb in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER audit_event_no_{} BEFORE {verb} ON audit_event \
                         BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
                        verb.to_lowercase()
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS audit_event_append_only() CASCADE")
                .await?;
        }
        for table in [
            AuditEvent::Table.into_iden(),
            Task::Table.into_iden(),
            LifecycleEvent::Table.into_iden(),
            PortalAccount::Table.into_iden(),
            AccessPolicy::Table.into_iden(),
            PracticePortal::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Practice::Table)
                    .drop_column(PracticeSla::Sla)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum PracticeSla {
    Sla,
}

#[derive(DeriveIden, Clone)]
enum PracticePortal {
    Table,
    Id,
    PracticeId,
    PortalSlug,
    CustomDefinition,
    OrgScope,
    MinAdmins,
    MaxAdmins,
    SlaOverrides,
    Url,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone)]
enum AccessPolicy {
    Table,
    PracticeId,
    Version,
    Document,
    Actor,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum PortalAccount {
    Table,
    Id,
    PracticeId,
    PersonId,
    PortalSlug,
    Username,
    Roles,
    Status,
    OtherAffiliations,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone)]
enum LifecycleEvent {
    Table,
    Id,
    PracticeId,
    PersonId,
    Kind,
    ChangeSeq,
    PolicyVersion,
    At,
}

#[derive(DeriveIden, Clone)]
enum Task {
    Table,
    Id,
    PracticeId,
    PersonId,
    PortalSlug,
    Kind,
    State,
    RolesAdd,
    RolesRemove,
    Action,
    Cause,
    EventId,
    PolicyVersion,
    DueAt,
    BlockedBy,
    Assignee,
    ClaimedBy,
    ClaimedAt,
    DoneBy,
    DoneAt,
    VerifiedBy,
    VerifiedAt,
    Evidence,
    Outcome,
    Reason,
    EscalationLevel,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone)]
enum AuditEvent {
    Table,
    Seq,
    PracticeId,
    PracticeSeq,
    PrevHash,
    Hash,
    At,
    Actor,
    Action,
    Target,
    Detail,
    RequestId,
}
