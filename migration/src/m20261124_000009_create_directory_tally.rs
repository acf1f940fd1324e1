//! `directory_tally`: how many live (not deleted) users and groups each practice has, so a SCIM
//! page's `totalResults` is one row read instead of a walk of the whole live index (at 100k users
//! the count took longer than the page itself).
//!
//! Triggers keep it, in the statement that inserts, deletes or (un)tombstones a row: a count
//! kept by hand would drift the first time a new code path forgot it. On PostgreSQL every
//! directory write already holds its practice's row lock, so the tally row adds no contention.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DirectoryTally {
    Table,
    PracticeId,
    LiveUsers,
    LiveGroups,
}

#[derive(DeriveIden)]
enum Practice {
    Table,
    Id,
}

/// The tallied tables and the tally column each one feeds.
const TALLIED: [(&str, &str); 2] = [("scim_user", "live_users"), ("scim_group", "live_groups")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DirectoryTally::Table)
                    .col(uuid(DirectoryTally::PracticeId).primary_key())
                    .col(big_integer(DirectoryTally::LiveUsers).default(0))
                    .col(big_integer(DirectoryTally::LiveGroups).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_directory_tally_practice")
                            .from(DirectoryTally::Table, DirectoryTally::PracticeId)
                            .to(Practice::Table, Practice::Id),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // What is already there: an upgraded database starts from the true counts.
        db.execute_unprepared(
            "INSERT INTO directory_tally (practice_id, live_users, live_groups) \
             SELECT p.id, \
               (SELECT count(*) FROM scim_user u WHERE u.practice_id = p.id AND u.deleted_at IS NULL), \
               (SELECT count(*) FROM scim_group g WHERE g.practice_id = p.id AND g.deleted_at IS NULL) \
             FROM practice p",
        )
        .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(POSTGRES_TRACKER).await?;
                for (table, _) in TALLIED {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_tally \
                         AFTER INSERT OR DELETE OR UPDATE OF deleted_at ON {table} \
                         FOR EACH ROW EXECUTE FUNCTION directory_tally_track()"
                    ))
                    .await?;
                }
            }
            _ => {
                for (table, column) in TALLIED {
                    for statement in sqlite_triggers(table, column) {
                        db.execute_unprepared(&statement).await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for (table, _) in TALLIED {
                    db.execute_unprepared(&format!("DROP TRIGGER {table}_tally ON {table}"))
                        .await?;
                }
                db.execute_unprepared("DROP FUNCTION directory_tally_track()")
                    .await?;
            }
            _ => {
                for (table, _) in TALLIED {
                    for event in ["insert", "delete", "tombstone"] {
                        db.execute_unprepared(&format!("DROP TRIGGER {table}_tally_{event}"))
                            .await?;
                    }
                }
            }
        }
        manager
            .drop_table(Table::drop().table(DirectoryTally::Table).to_owned())
            .await
    }
}

/// One trigger per event: SQLite triggers have no `TG_OP`.
fn sqlite_triggers(table: &str, column: &str) -> [String; 3] {
    let bump = |practice: &str, delta: &str| {
        format!(
            "INSERT INTO directory_tally (practice_id, {column}) VALUES ({practice}, {delta}) \
             ON CONFLICT (practice_id) DO UPDATE SET {column} = {column} + excluded.{column};"
        )
    };
    [
        format!(
            "CREATE TRIGGER {table}_tally_insert AFTER INSERT ON {table} \
             WHEN NEW.deleted_at IS NULL BEGIN {} END",
            bump("NEW.practice_id", "1")
        ),
        format!(
            "CREATE TRIGGER {table}_tally_delete AFTER DELETE ON {table} \
             WHEN OLD.deleted_at IS NULL BEGIN {} END",
            bump("OLD.practice_id", "-1")
        ),
        format!(
            "CREATE TRIGGER {table}_tally_tombstone AFTER UPDATE OF deleted_at ON {table} \
             WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) BEGIN {} END",
            bump(
                "NEW.practice_id",
                "CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END"
            )
        ),
    ]
}

const POSTGRES_TRACKER: &str = r#"
CREATE FUNCTION directory_tally_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    affected uuid;
    delta bigint := 0;
BEGIN
    IF TG_OP = 'INSERT' THEN
        affected := NEW.practice_id;
        delta := (NEW.deleted_at IS NULL)::int;
    ELSIF TG_OP = 'DELETE' THEN
        affected := OLD.practice_id;
        delta := -(OLD.deleted_at IS NULL)::int;
    ELSE
        affected := NEW.practice_id;
        delta := (NEW.deleted_at IS NULL)::int - (OLD.deleted_at IS NULL)::int;
    END IF;
    IF delta <> 0 THEN
        IF TG_TABLE_NAME = 'scim_user' THEN
            INSERT INTO directory_tally AS t (practice_id, live_users) VALUES (affected, delta)
            ON CONFLICT (practice_id) DO UPDATE SET live_users = t.live_users + delta;
        ELSE
            INSERT INTO directory_tally AS t (practice_id, live_groups) VALUES (affected, delta)
            ON CONFLICT (practice_id) DO UPDATE SET live_groups = t.live_groups + delta;
        END IF;
    END IF;
    RETURN NULL;
END
$$
"#;
