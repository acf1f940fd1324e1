//! The pool as the store's queries see it, and how a statement reaches PostgreSQL through a
//! pooler that lends a server session for one transaction at a time (PgBouncer in
//! transaction mode).
//!
//! Such a pooler may hand each of our transactions, and each statement outside one, to a
//! different server session. Two things the driver does then break:
//! - it names prepared statements per connection (`sqlx_s_1`, …) and caches them, but the
//!   session that prepared one is not the session the next use reaches;
//! - even unnamed, a statement with parameters goes out in two exchanges (Parse and Describe
//!   up to a Sync, then Bind and Execute), and outside a transaction the pooler is free to
//!   send the second to another session, which knows nothing of the first.
//!
//! With [`Db::statements_in_transactions`] the driver's statement cache is off (so every
//! statement is unnamed) and every statement that is not already in a transaction gets one
//! of its own: the pooler keeps a transaction on one session, so both exchanges land there.
//! That costs a `BEGIN` and a `COMMIT` per statement, and the server plans every statement
//! afresh: use it only behind such a pooler.
//!
//! Two rules keep it sound:
//! - A write transaction reads through itself (`&tx.tx`), never through the pool: a read on
//!   the pool would need a second server session while the transaction holds one and the
//!   practice's lock, and with every session held by writers waiting for that lock it would
//!   wait until the pooler gives up.
//! - No custom PostgreSQL types (enums, domains, extension types). The driver looks up an
//!   unknown type's OID between a statement's parse and its bind, over the simple query
//!   protocol, which discards the unnamed statement it is about to bind. Every type the schema
//!   uses is built in.

use sea_orm::prelude::async_trait::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, Statement, TransactionTrait,
};

/// The store's pool. Reads and single statements go straight to it, or, behind a transaction
/// pooler, each in a transaction of its own; write transactions begin here.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    pool: DatabaseConnection,
    /// Behind a transaction pooler: every statement outside a transaction gets one.
    statements_in_transactions: bool,
}

impl Db {
    pub(super) fn new(pool: DatabaseConnection, statements_in_transactions: bool) -> Self {
        Self {
            pool,
            statements_in_transactions,
        }
    }

    /// The pool itself, for `store/mod.rs`'s checks that prepare no statement (the ping, the
    /// shared-session probe over the simple query protocol) and SQLite's migrations. An
    /// architecture test keeps everything else on [`Db`].
    pub(super) fn pool(&self) -> &DatabaseConnection {
        &self.pool
    }

    pub(super) fn statements_in_transactions(&self) -> bool {
        self.statements_in_transactions
    }

    pub(super) async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.pool.begin().await
    }

    /// Runs one statement in a transaction of its own and commits it before answering, so a
    /// write through here is as durable as one made straight on the pool. A failed statement
    /// rolls its transaction back at once, which hands the server session back to the pooler.
    async fn alone<T, F>(&self, run: F) -> Result<T, DbErr>
    where
        F: for<'t> FnOnce(
            &'t DatabaseTransaction,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<T, DbErr>> + Send + 't>,
        >,
    {
        let tx = self.pool.begin().await?;
        match run(&tx).await {
            Ok(answer) => {
                tx.commit().await?;
                Ok(answer)
            }
            Err(err) => {
                // The statement's own error is the one to report; the rollback's would only
                // say the session is gone, and dropping the transaction rolls back anyway.
                let _ = tx.rollback().await;
                Err(err)
            }
        }
    }
}

#[async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        if !self.statements_in_transactions {
            return self.pool.execute_raw(stmt).await;
        }
        self.alone(|tx| Box::pin(tx.execute_raw(stmt))).await
    }

    /// Unprepared SQL goes over the simple query protocol, one message the server runs in
    /// a transaction of its own: a pooler cannot split it.
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.pool.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        if !self.statements_in_transactions {
            return self.pool.query_one_raw(stmt).await;
        }
        self.alone(|tx| Box::pin(tx.query_one_raw(stmt))).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        if !self.statements_in_transactions {
            return self.pool.query_all_raw(stmt).await;
        }
        self.alone(|tx| Box::pin(tx.query_all_raw(stmt))).await
    }
}

/// On the PostgreSQL server `TEST_DATABASE_URL` names (skipped without one, as the storage
/// tests are). PgBouncer itself is exercised by `.ci/scim-conformance`, which runs the SCIM
/// suite through it in transaction mode.
#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

    use super::Db;
    use crate::store::connect_options;

    async fn server() -> Option<sea_orm::DatabaseConnection> {
        let url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty())?;
        Some(Database::connect(connect_options(&url, 2)).await.unwrap())
    }

    fn sql(text: &str) -> Statement {
        Statement::from_string(DbBackend::Postgres, text)
    }

    /// `SAVEPOINT` is refused outside a transaction block, so it tells whether a statement ran
    /// in a transaction the driver opened: only then could a pooler keep it on one session.
    #[tokio::test]
    async fn behind_a_transaction_pooler_every_statement_has_a_transaction() {
        let Some(pool) = server().await else {
            return;
        };
        let direct = Db::new(pool.clone(), false);
        let pooled = Db::new(pool, true);
        assert!(direct.execute_raw(sql("SAVEPOINT probe")).await.is_err());
        pooled.execute_raw(sql("SAVEPOINT probe")).await.unwrap();
        assert!(pooled.query_one_raw(sql("SAVEPOINT probe")).await.is_ok());
        assert!(pooled.query_all_raw(sql("SAVEPOINT probe")).await.is_ok());
    }

    /// A write made alone is committed before it is acknowledged, and a failed statement
    /// leaves nothing behind.
    #[tokio::test]
    async fn a_statement_alone_is_committed_before_it_answers() {
        let Some(pool) = server().await else {
            return;
        };
        let table = format!("db_probe_{}", uuid::Uuid::new_v4().simple());
        let pooled = Db::new(pool.clone(), true);
        pooled
            .execute_raw(sql(&format!("CREATE TABLE {table} (n int PRIMARY KEY)")))
            .await
            .unwrap();
        pooled
            .execute_raw(sql(&format!("INSERT INTO {table} VALUES (1)")))
            .await
            .unwrap();
        let duplicate = sql(&format!("INSERT INTO {table} VALUES (2), (1)"));
        assert!(pooled.execute_raw(duplicate).await.is_err());
        // Another connection, not the pool's: it sees only what was committed.
        let url = std::env::var("TEST_DATABASE_URL").unwrap();
        let other = Database::connect(url.as_str()).await.unwrap();
        let count = other
            .query_one_raw(sql(&format!("SELECT count(*) FROM {table}")))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
        other
            .execute_unprepared(&format!("DROP TABLE {table}"))
            .await
            .unwrap();
        assert_eq!(count, 1);
    }
}
