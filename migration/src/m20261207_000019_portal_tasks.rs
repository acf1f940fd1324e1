//! Tasks about a portal rather than a person: a portal's recertification (`recertify`) is work
//! for its administrator with a deadline and a ladder like any other, but no one person's
//! access. `task.person_id` becomes nullable, and `task.duty_key` names the duty such a task
//! meets. SQLite cannot drop a NOT NULL constraint, so there the table is rebuilt from its own
//! definition (nothing references `task`, and no trigger is on it).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => rebuild_sqlite(db, true).await?,
            _ => {
                db.execute_unprepared(
                    r#"ALTER TABLE "task" ALTER COLUMN "person_id" DROP NOT NULL"#,
                )
                .await?;
            }
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Task::Table)
                    .add_column(ColumnDef::new(Task::DutyKey).string_len(63).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(r#"DELETE FROM "task" WHERE "person_id" IS NULL"#)
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Task::Table)
                    .drop_column(Task::DutyKey)
                    .to_owned(),
            )
            .await?;
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => rebuild_sqlite(db, false).await,
            _ => db
                .execute_unprepared(r#"ALTER TABLE "task" ALTER COLUMN "person_id" SET NOT NULL"#)
                .await
                .map(|_| ()),
        }
    }
}

/// Rebuilds SQLite's `task` with `person_id` nullable (or, going down, NOT NULL again): the
/// same definition otherwise, the same rows, the same indexes.
async fn rebuild_sqlite(db: &SchemaManagerConnection<'_>, nullable: bool) -> Result<(), DbErr> {
    let read = |sql: &str| Statement::from_string(DatabaseBackend::Sqlite, sql.to_owned());
    let table: String = db
        .query_one_raw(read(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'task'",
        ))
        .await?
        .ok_or_else(|| DbErr::Migration("no task table".into()))?
        .try_get("", "sql")?;
    let indexes: Vec<String> = db
        .query_all_raw(read(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'task' AND sql IS NOT NULL",
        ))
        .await?
        .into_iter()
        .map(|row| row.try_get::<String>("", "sql"))
        .collect::<Result<_, _>>()?;
    let (from, to) = if nullable {
        (
            r#""person_id" uuid_text NOT NULL"#,
            r#""person_id" uuid_text NULL"#,
        )
    } else {
        (
            r#""person_id" uuid_text NULL"#,
            r#""person_id" uuid_text NOT NULL"#,
        )
    };
    if !table.contains(from) {
        return Err(DbErr::Migration(format!(
            "task's definition does not hold `{from}`: {table}"
        )));
    }
    let rebuilt = table.replacen(from, to, 1).replacen(
        r#"CREATE TABLE "task""#,
        r#"CREATE TABLE "task_rebuilt""#,
        1,
    );
    // One call, so one connection of the pool runs it all, inside one savepoint: all or
    // nothing, and no other connection's snapshot in between.
    let mut script = vec![
        "SAVEPOINT rebuild_task".to_owned(),
        rebuilt,
        r#"INSERT INTO "task_rebuilt" SELECT * FROM "task""#.to_owned(),
        r#"DROP TABLE "task""#.to_owned(),
        r#"ALTER TABLE "task_rebuilt" RENAME TO "task""#.to_owned(),
    ];
    script.extend(indexes);
    script.push("RELEASE rebuild_task".to_owned());
    db.execute_unprepared(&script.join(";\n")).await?;
    Ok(())
}

#[derive(DeriveIden)]
enum Task {
    Table,
    DutyKey,
}
