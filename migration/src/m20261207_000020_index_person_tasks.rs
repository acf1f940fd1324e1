//! A person's tasks in deadline order (their page, the API's answer after an account is
//! recorded, `?person=` on the queue). With only (practice, person) indexed, SQLite chose the
//! practice's deadline index to skip the sort and walked every task of the practice (seen in
//! a profile of the review benchmark's fill). Indexed by person then deadline, the read
//! touches that person's rows alone, already in order.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One call each way, so on SQLite one connection of the pool runs both statements and no
/// other connection's older view of the schema sits between them; the same SQL serves
/// PostgreSQL.
const UP: &str = r#"DROP INDEX "idx_task_person";
CREATE INDEX "idx_task_person" ON "task" ("practice_id", "person_id", "due_at", "id")"#;
const DOWN: &str = r#"DROP INDEX "idx_task_person";
CREATE INDEX "idx_task_person" ON "task" ("practice_id", "person_id")"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
