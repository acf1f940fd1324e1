//! Storage: sea-orm over the `entities` crate, on SQLite (default) or PostgreSQL.
//!
//! Tenancy is enforced here, not in handlers: everything a practice owns is reached through a
//! [`TenantStore`], which only exists for one practice id and adds that id to every query. The
//! few deployment-wide operations (creating practices, authenticating a credential before its
//! practice is known, operator CLI commands) live on [`Store`] and say so in their names.

pub mod accounts;
pub mod admins;
pub mod audit;
pub mod backup;
pub mod calendar_tasks;
pub mod console;
pub mod console_oidc;
pub mod credentials;
mod db;
pub mod deliveries;
pub mod directory;
pub mod duties;
pub mod email_channel;
pub mod escalation;
pub mod evidence;
pub mod imports;
mod open;
pub mod outbox;
pub mod people;
pub(crate) mod planning;
pub mod policy;
pub mod portals;
mod practices;
pub mod reports;
pub mod retention;
pub mod review_runs;
pub mod reviews;
pub mod rosters;
pub mod sweep;
pub mod task_actions;
pub mod tasks;
mod tokens;
pub mod training;
pub(crate) mod vocabulary;
pub mod webhooks;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DbBackend, DbErr, EntityTrait, QuerySelect,
    Statement,
};

use db::Db;
pub use open::{describe_open_error, pooler_hint};
pub use practices::{NewPractice, Practice, PracticeId};

use crate::domain::catalog::Catalog;
pub use tokens::{IssuedToken, NewToken, StoredToken, TokenId};
pub(crate) use writer::WriteTx;

/// Why a storage operation failed, in terms callers can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint refused the write (mapped from the database, never pre-checked).
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An `If-Match` version did not match the stored one.
    #[error("the resource has changed (version {current})")]
    VersionMismatch { current: i64 },
    /// A task action that does not apply to the task's state.
    #[error("cannot {action} a task that is {state}")]
    IllegalTransition { action: &'static str, state: String },
    /// A completion with no proof: no note, no confirmation number, no uploaded file.
    #[error(
        "a completion needs evidence: a `note` or a `confirmation_number`, or a file uploaded to \
         the task's evidence first"
    )]
    EvidenceRequired,
    /// A rule of the practice refuses the change (an assignee who is not a portal
    /// administrator, turning four-eyes off with several of them); the text says which.
    #[error("{0}")]
    Refused(String),
    /// The mass-revocation guard stopped a change: it would open `removals` removal tasks
    /// against `accounts` recorded accounts, more than `max_share` of them, unconfirmed.
    #[error(
        "this change would open {removals} removal tasks for the practice's {accounts} recorded accounts, more than the {share} % allowed without confirmation; check it (`POST /api/v1/policy/preview` with the document) and repeat with `?confirm_revocations={removals}`",
        share = (max_share * 100.0).round()
    )]
    MassRevocation {
        removals: usize,
        accounts: u64,
        max_share: f64,
    },
    /// The task waits for another one (a deprovision for its transfer_admin).
    #[error("the task is blocked by task {0}, which is not done yet")]
    Blocked(uuid::Uuid),
    /// A provision task for a portal that requires training, whose person's training is not
    /// recorded yet.
    #[error(
        "the task is waiting for training: record the person's training for portal `{0}` first \
         (POST /api/v1/people/{{id}}/training, or the person's page)"
    )]
    WaitingForTraining(String),
    /// An uploaded file that cannot be used; the error names the row and column.
    #[error("{0}")]
    BadFile(crate::domain::csv_file::FileError),
    /// The shrink guard stopped an import's commit: it would mark `missing` of the portal's
    /// `accounts` recorded accounts gone, more than `max_share` of them, unconfirmed.
    #[error(
        "this list would mark {missing} of the portal's {accounts} recorded accounts gone, more than the {share} % allowed without confirmation; if the list is complete, commit again with `confirm_missing: {missing}`",
        share = (max_share * 100.0).round()
    )]
    ShrinkGuard {
        missing: usize,
        accounts: usize,
        max_share: f64,
    },
    /// The records changed between an import's preview and its commit, so the commit would
    /// not do what the preview showed.
    #[error(
        "the portal's records changed since this preview; preview the file again and check what it finds"
    )]
    PreviewOutdated,
    /// The practice's people come from the other source (SCIM or HR rosters), and one
    /// practice's people have one source; the text says which and what to do.
    #[error("{0}")]
    DirectorySource(&'static str),
    /// A filter the store cannot express; the resolver should have refused it.
    #[error(transparent)]
    Unsupported(#[from] directory::sql::Unsupported),
    /// Stored data that no longer parses; means a bug or a hand edit.
    #[error("stored {0} is invalid")]
    Corrupt(&'static str),
    /// Says no more than that, except what to do about a connection pooler that cannot
    /// carry prepared statements ([`pooler_hint`]).
    #[error("database error{}", pooler_hint(.0).map(|hint| format!(": {hint}")).unwrap_or_default())]
    Database(#[from] DbErr),
}

/// Connection settings the store needs; a subset of [`crate::config::Settings`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    pub max_connections: u32,
    /// The portal catalogue practices choose from.
    pub catalog: Arc<Catalog>,
    /// How long an authenticated token is remembered (see [`credentials`]); zero turns the
    /// cache off.
    pub credential_cache_ttl: Duration,
    /// PostgreSQL is reached through a pooler that lends a server session per transaction
    /// (PgBouncer in transaction mode): see [`db`].
    pub transaction_pooler: bool,
}

/// The database handle shared by the whole service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    /// Where write transactions run on SQLite: one connection of its own, behind the slot
    /// writers queue for, with group commit ([`writer`]). SQLite drops a connection's page
    /// cache whenever another connection has written, so writes spread over the pool began
    /// cold, reading their pages back through the kernel; the one writer keeps its cache
    /// across its own commits. `None` on PostgreSQL, where writes use the pool and row locks
    /// and version checks keep them apart.
    sqlite_writer: Option<Arc<writer::SqliteWriter>>,
    catalog: Arc<Catalog>,
    credentials: Arc<credentials::CredentialCache>,
    contexts: Arc<planning::ContextCache>,
}

impl Store {
    /// Opens the pool with [`connect_options`].
    pub async fn connect(options: &StoreOptions) -> Result<Self, StoreError> {
        let mut connect = connect_options(&options.url, options.max_connections);
        if options.transaction_pooler {
            // Unnamed statements only: a named one would be prepared on one server session
            // and looked for on another ([`db`]).
            connect.map_sqlx_postgres_opts(|pg| pg.statement_cache_capacity(0));
        }
        let db = Database::connect(connect).await?;
        let sqlite_writer = match db.get_database_backend() {
            DbBackend::Sqlite => {
                let connection = Database::connect(connect_options(&options.url, 1)).await?;
                Some(Arc::new(writer::SqliteWriter::new(connection)))
            }
            _ => None,
        };
        Ok(Self {
            db: Db::new(db, options.transaction_pooler),
            sqlite_writer,
            catalog: options.catalog.clone(),
            credentials: Arc::new(credentials::CredentialCache::new(
                options.credential_cache_ttl,
            )),
            contexts: Arc::default(),
        })
    }

    /// Applies every pending migration. Safe to run from several instances at once: on
    /// PostgreSQL all of them run in one transaction that first takes a transaction-level
    /// advisory lock, so a second instance waits for the first to commit and then finds
    /// nothing left to do (sea-orm's migrator takes no lock of its own: two instances started
    /// together on an empty database would both create the first table). One transaction also
    /// keeps the lock on one server connection behind PgBouncer in transaction mode, and a
    /// failed upgrade leaves the schema as it was. On SQLite the file's write lock serialises.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if self.backend() != DbBackend::Postgres {
            Migrator::up(self.db.pool(), None).await?;
            return Ok(());
        }
        let tx = self.db.begin().await?;
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [MIGRATION_LOCK.into()],
        ))
        .await?;
        Migrator::up(&tx, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every migration the binary knows, oldest first, and whether this database has it.
    pub async fn migration_status(&self) -> Result<Vec<(String, bool)>, StoreError> {
        use migration::MigrationStatus;
        Ok(Migrator::get_migration_with_status_read_only(&self.db)
            .await?
            .iter()
            .map(|m| (m.name().to_owned(), m.status() == MigrationStatus::Applied))
            .collect())
    }

    /// Readiness: a round trip to the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.db.pool().ping().await?)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// The connection settings as the database itself reports them, e.g.
    /// `sqlite journal_mode=wal synchronous=2 foreign_keys=1 busy_timeout=10000 qpsg=1`. Logged at
    /// start-up so an operator can see durability settings took effect.
    pub async fn describe(&self) -> Result<String, StoreError> {
        let backend = self.backend();
        let ask = |sql: &'static str| async move {
            let row = self
                .db
                .query_one_raw(Statement::from_string(backend, sql))
                .await?
                .ok_or(StoreError::Corrupt("database settings"))?;
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .map_err(StoreError::from)
        };
        match backend {
            DbBackend::Sqlite => Ok(format!(
                "sqlite journal_mode={} synchronous={} foreign_keys={} busy_timeout={} qpsg={}",
                ask("PRAGMA journal_mode").await?,
                ask("PRAGMA synchronous").await?,
                ask("PRAGMA foreign_keys").await?,
                ask("PRAGMA busy_timeout").await?,
                // Compiled in through `.cargo/config.toml`: see there for why.
                ask("SELECT sqlite_compileoption_used('ENABLE_QPSG')").await?,
            )),
            _ => Ok(format!(
                "postgres server_version={} autovacuum={}",
                ask("SHOW server_version").await?,
                ask("SHOW autovacuum").await?,
            )),
        }
    }

    /// On PostgreSQL, refuses a connection pooler that shares server sessions between our
    /// connections (PgBouncer in transaction mode) unless the store was opened for one
    /// ([`StoreOptions::transaction_pooler`]): the driver's named prepared statements cannot
    /// survive it (see [`pooler_hint`]).
    pub async fn refuse_shared_sessions(&self) -> Result<(), String> {
        if self.backend() != DbBackend::Postgres || self.db.statements_in_transactions() {
            return Ok(());
        }
        match open::shares_server_sessions(self.db.pool().get_postgres_connection_pool()).await {
            Ok(false) => Ok(()),
            Ok(true) => Err(format!(
                "{}: {}",
                open::SHARED_SESSIONS,
                open::POOLER_ADVICE
            )),
            Err(err) => Err(format!("cannot check the connection: {err}")),
        }
    }

    /// Whether this is PostgreSQL with autovacuum off. Then nothing keeps the planner's
    /// statistics current: on a directory loaded without them, a `userName eq` lookup walked
    /// every user in id order (6 ms at 10,000 users instead of 0.02 ms), and pages read
    /// the table instead of the index alone.
    pub async fn autovacuum_off(&self) -> Result<bool, StoreError> {
        if self.backend() != DbBackend::Postgres {
            return Ok(false);
        }
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT current_setting('autovacuum') = 'off'",
            ))
            .await?
            .ok_or(StoreError::Corrupt("database settings"))?;
        Ok(row.try_get_by_index::<bool>(0)?)
    }

    /// The store scoped to one practice. Every query made through it filters by that practice.
    pub fn tenant(&self, practice: PracticeId) -> TenantStore<'_> {
        TenantStore {
            db: &self.db,
            store: self,
            practice,
        }
    }

    /// Begins a write transaction (on SQLite queued behind other writers, and committed
    /// with them: [`writer`]). Dropping the returned value without committing rolls back.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        match &self.sqlite_writer {
            Some(writer) => writer.begin().await,
            None => Ok(WriteTx::alone(self.db.begin().await?)),
        }
    }

    pub(crate) fn connection(&self) -> &Db {
        &self.db
    }
}

/// How the pool is opened: SQLite gets WAL (readers never block the writer), foreign keys, a
/// busy timeout instead of instant `SQLITE_BUSY`, and `synchronous=FULL` so a 2xx reply means
/// the change survives power loss. Public for the benchmark's storage floor
/// (`bench/driver_floor.rs`), which must measure exactly these settings.
pub fn connect_options(url: &str, max_connections: u32) -> ConnectOptions {
    let mut connect = ConnectOptions::new(url.to_owned());
    connect
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings every connection it hands out by default: on SQLite that is an extra
        // round trip to the driver's worker thread per statement, on PostgreSQL one per
        // checkout. Only a connection idle long enough to have been dropped (a server
        // restart, a proxy's idle timeout) is worth checking.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    connect
}

/// Data access for one practice. The practice id is fixed at construction and added to every
/// query, so a handler cannot forget it.
#[derive(Debug, Clone, Copy)]
pub struct TenantStore<'a> {
    db: &'a Db,
    store: &'a Store,
    practice: PracticeId,
}

impl TenantStore<'_> {
    pub fn practice_id(&self) -> PracticeId {
        self.practice
    }

    /// A write transaction for this practice. On PostgreSQL it first locks the practice row:
    /// a practice's writes then run one at a time, which keeps its audit chain linear and
    /// rules out deadlocks between, say, a task action and the engine cancelling that task.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let tx = self.store.begin_write().await?;
        if self.store.backend() == DbBackend::Postgres {
            entities::practice::Entity::find_by_id(self.practice.as_uuid())
                .lock_exclusive()
                .one(&tx.tx)
                .await?;
        }
        Ok(tx)
    }
}

/// The PostgreSQL advisory lock key that serialises migrations across instances (any fixed
/// number; this one spells "portcull" in ASCII).
const MIGRATION_LOCK: i64 = 0x706f_7274_6375_6c6c;

/// Rows per multi-row insert: SQLite takes at most 32,766 parameters in one statement, and the
/// widest table written in bulk (`task`) has 30 columns.
const ROWS_PER_INSERT: usize = 500;

/// `rows` in order, [`ROWS_PER_INSERT`] at a time, for multi-row inserts of any length.
pub(crate) fn in_batches<T>(rows: Vec<T>) -> impl Iterator<Item = Vec<T>> {
    let mut rows = rows.into_iter().peekable();
    std::iter::from_fn(move || {
        rows.peek()?;
        Some(rows.by_ref().take(ROWS_PER_INSERT).collect())
    })
}

/// Turns a unique-constraint violation into [`StoreError::Conflict`]; anything else stays a
/// database error. Insert first, map after: a SELECT-then-INSERT check would race.
pub(crate) fn map_unique(err: DbErr, what: &'static str) -> StoreError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict(what),
        _ => StoreError::Database(err),
    }
}

/// The SQLSTATE of a database error, if it has one.
pub fn db_error_code(err: &DbErr) -> Option<String> {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                Sqlx::Database(db) => db.code().map(|c| c.into_owned()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A database error described without its message, which can quote row data: the SQLSTATE
/// code for database errors, the kind otherwise.
pub fn describe_db_error(err: &DbErr) -> String {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    if let Some(hint) = pooler_hint(err) {
        return format!("database error, prepared statement clash: {hint}");
    }
    let runtime = match err {
        DbErr::Conn(e) | DbErr::Exec(e) | DbErr::Query(e) => e,
        DbErr::ConnectionAcquire(e) => return format!("connection acquire: {e}"),
        other => {
            return format!("{:?}", std::mem::discriminant(other));
        }
    };
    match runtime {
        RuntimeErr::SqlxError(sqlx) => match sqlx.as_ref() {
            Sqlx::Database(db) => format!(
                "database error, sqlstate {}",
                db.code().as_deref().unwrap_or("unknown")
            ),
            Sqlx::PoolTimedOut => "connection pool timed out".to_owned(),
            Sqlx::PoolClosed => "connection pool closed".to_owned(),
            Sqlx::Io(e) => format!("database i/o: {}", e.kind()),
            _ => "database driver error".to_owned(),
        },
        _ => "database error".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{ROWS_PER_INSERT, in_batches};

    #[test]
    fn batches_keep_every_row_in_order() {
        let rows: Vec<usize> = (0..2 * ROWS_PER_INSERT + 1).collect();
        let batches: Vec<Vec<usize>> = in_batches(rows.clone()).collect();
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [ROWS_PER_INSERT, ROWS_PER_INSERT, 1]
        );
        assert_eq!(batches.concat(), rows);
        assert_eq!(in_batches(Vec::<u8>::new()).count(), 0);
    }
}
