//! Write transactions, and group commit on SQLite.
//!
//! SQLite has one writer at a time, and with `synchronous=FULL` each commit waits for the disk
//! (`fsync` of the WAL). Writers therefore queue for one slot; when a writer finishes while
//! others are queued, it does not commit alone: its transaction stays open, the queued writers
//! run one after another inside it, each in a savepoint of its own, and one commit (one
//! `fsync`) makes all of them durable. Nobody is answered "committed" before that commit: a
//! writer's [`WriteTx::commit`] returns only when the group's commit has returned, with its
//! outcome, so a 2xx still means on disk. A writer that fails rolls back to its savepoint and
//! leaves the others' work alone. A writer alone in the queue commits at once, as before: no
//! savepoint, no extra statement.
//!
//! The group's commit runs in a task of its own on the runtime the store was opened on,
//! queued for the slot behind the writers that were waiting when the first finished. That
//! bounds the group (later arrivals start the next one) and keeps the commit independent of
//! any request, and of the HTTP workers' runtimes, which stop first at shutdown: a client that
//! hangs up cannot leave the group's transaction open. A member's savepoint is opened in a
//! task too (on its own runtime), because a `SAVEPOINT` cut off half-way would leave the
//! driver's nesting count one short, and its rollback would then undo the whole group.
//!
//! SQLite rolls a whole transaction back by itself on some errors (a full disk, an I/O error).
//! The group therefore carries a marker row in a connection-private temporary table, written
//! in its transaction: the commit task checks it before committing, and a member before
//! starting when the member before it did not end cleanly (only a failed statement can cause
//! such a rollback); if it is gone, the group's work is gone, and every member hears so.
//!
//! What members share: each sees the work of the members before it, as it would have seen it
//! committed a moment earlier, and an error answer (a 409 on a userName an earlier member just
//! took) goes out without waiting for the group's commit. Constraints must not be
//! `DEFERRABLE`: one member's violation would fail the whole group at COMMIT.
//!
//! PostgreSQL needs none of this (concurrent transactions, its own group commit); there a
//! write transaction is a plain transaction on the pool.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionTrait,
};
use tokio::runtime::Handle;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::StoreError;

/// SQLite's one writer: the connection, the slot writers queue for, how many queue, and the
/// runtime the group's tasks run on.
#[derive(Debug)]
pub(super) struct SqliteWriter {
    connection: DatabaseConnection,
    slot: Arc<Mutex<Slot>>,
    queued: AtomicUsize,
    groups: AtomicU64,
    runtime: Handle,
}

/// What the slot guards: the group transaction left open for the writers queued behind it.
#[derive(Debug, Default)]
struct Slot {
    open: Option<OpenGroup>,
}

#[derive(Debug)]
struct OpenGroup {
    transaction: DatabaseTransaction,
    /// The group's marker row (see the module's documentation).
    marker: u64,
    /// A member joined and has not released its savepoint yet: when the next member finds
    /// this, the last one ended with an error or was cut off, and only SQLite knows whether
    /// that error took the whole transaction with it, so the next one looks at the marker.
    unsettled: bool,
    outcome: watch::Receiver<Option<Outcome>>,
}

/// How a group's commit ended; the error as text, since every member reports it.
type Outcome = Result<(), String>;

/// A write transaction, holding SQLite's writer slot until it ends. Dropping it without
/// committing rolls back its own work (a savepoint member: to its savepoint). `tx` is declared
/// before `role`, so it drops first: the rollback is queued on the connection before the slot
/// lets the next writer in.
#[derive(Debug)]
pub(crate) struct WriteTx {
    pub tx: DatabaseTransaction,
    role: Role,
}

#[derive(Debug)]
enum Role {
    /// PostgreSQL: a transaction of its own.
    Alone,
    /// SQLite: the transaction that opened the group; it decides at commit whether to wait
    /// for the queued writers.
    First {
        slot: OwnedMutexGuard<Slot>,
        writer: Arc<SqliteWriter>,
    },
    /// SQLite: a savepoint in a group opened by an earlier writer, and how to hear how the
    /// group's commit ended.
    Member {
        slot: OwnedMutexGuard<Slot>,
        outcome: watch::Receiver<Option<Outcome>>,
    },
}

/// The connection-private table of group markers (SQLite's `temp` schema).
const MARKERS: &str = "temp.portcullis_write_group";

impl SqliteWriter {
    /// Must be called on the runtime that outlives the requests (the service's main one).
    pub(super) fn new(connection: DatabaseConnection) -> Self {
        Self {
            connection,
            slot: Arc::default(),
            queued: AtomicUsize::new(0),
            groups: AtomicU64::new(0),
            runtime: Handle::current(),
        }
    }

    /// Waits for the slot, then joins the open group or begins a new transaction.
    pub(super) async fn begin(self: &Arc<Self>) -> Result<WriteTx, StoreError> {
        let mut slot = {
            let _waiting = Waiting::count(&self.queued);
            self.slot.clone().lock_owned().await
        };
        if let Some(group) = &slot.open {
            if group.outcome.has_changed().is_ok() {
                // On the caller's runtime: cheaper than a trip to the store's, and a member
                // cut off by its runtime's shutdown is caught by the marker check.
                return tokio::spawn(join(slot))
                    .await
                    .map_err(|e| group_failed(&format!("joining the group: {e}")))?;
            }
            // Its commit task is gone (its runtime shut down): nobody will commit it.
            if let Some(orphan) = slot.open.take() {
                orphan.transaction.rollback().await?;
            }
        }
        // IMMEDIATE takes SQLite's write lock up front (waiting up to busy_timeout), so a
        // transaction that reads and then writes cannot fail mid-way when another process (the
        // CLI) or an unlocked statement wrote in between.
        let tx = self
            .connection
            .begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(WriteTx {
            tx,
            role: Role::First {
                slot,
                writer: self.clone(),
            },
        })
    }
}

/// Opens a member's savepoint in the open group; after a member that did not end cleanly,
/// only once the group's marker shows its transaction is still the one the group began.
async fn join(mut slot: OwnedMutexGuard<Slot>) -> Result<WriteTx, StoreError> {
    let Some(group) = slot.open.as_mut() else {
        return Err(group_failed("the group closed before its member joined"));
    };
    let check = std::mem::replace(&mut group.unsettled, true);
    let tx = group.transaction.begin().await?;
    let alive = !check
        || tx
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                format!("SELECT 1 FROM {MARKERS} WHERE id = ?"),
                [(group.marker as i64).into()],
            ))
            .await?
            .is_some();
    let outcome = group.outcome.clone();
    let member = WriteTx {
        tx,
        role: Role::Member { slot, outcome },
    };
    if !alive {
        return Err(group_failed(LOST));
    }
    Ok(member)
}

const LOST: &str = "SQLite rolled the group's transaction back (a full disk or an I/O error)";

impl WriteTx {
    pub(super) fn alone(tx: DatabaseTransaction) -> Self {
        Self {
            tx,
            role: Role::Alone,
        }
    }

    /// Makes this transaction's work durable: returns once it is on disk, or with the error
    /// that kept it (and, in a group, every member's work) off it.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.role {
            Role::Alone => Ok(self.tx.commit().await?),
            Role::First { mut slot, writer } => {
                if writer.queued.load(Ordering::SeqCst) == 0 {
                    return Ok(self.tx.commit().await?);
                }
                let marker = writer.groups.fetch_add(1, Ordering::SeqCst);
                self.tx
                    .execute_unprepared(&format!(
                        "CREATE TABLE IF NOT EXISTS {MARKERS} (id INTEGER PRIMARY KEY); \
                         INSERT INTO {MARKERS} (id) VALUES ({})",
                        marker as i64
                    ))
                    .await?;
                let (done, outcome) = watch::channel(None);
                slot.open = Some(OpenGroup {
                    transaction: self.tx,
                    marker,
                    unsettled: false,
                    outcome: outcome.clone(),
                });
                let mutex = OwnedMutexGuard::mutex(&slot).clone();
                drop(slot);
                writer.runtime.spawn(commit_group(mutex, done));
                wait_for(outcome).await
            }
            Role::Member { mut slot, outcome } => {
                self.tx.commit().await?;
                if let Some(group) = slot.open.as_mut() {
                    group.unsettled = false;
                }
                drop(slot);
                wait_for(outcome).await
            }
        }
    }

    /// Undoes everything this transaction did (a dry run, such as a policy's impact).
    pub async fn rollback(self) -> Result<(), StoreError> {
        Ok(self.tx.rollback().await?)
    }
}

/// Queues for the slot behind the writers that joined the group, then commits it if its
/// transaction is still the group's (its marker row is there), and tells every member.
async fn commit_group(slot: Arc<Mutex<Slot>>, done: watch::Sender<Option<Outcome>>) {
    let mut slot = slot.lock_owned().await;
    // Only this task closes the group it was started for; dropping `done` unsent would tell
    // the members that nothing was committed.
    let Some(group) = slot.open.take() else {
        return;
    };
    let outcome = close(group.transaction, group.marker).await;
    drop(slot);
    // Every member may have given up waiting (its client hung up): nobody to tell.
    let _ = done.send(Some(outcome));
}

async fn close(transaction: DatabaseTransaction, marker: u64) -> Outcome {
    let removed = transaction
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!("DELETE FROM {MARKERS} WHERE id = ?"),
            [(marker as i64).into()],
        ))
        .await;
    match removed {
        Ok(result) if result.rows_affected() == 1 => {
            transaction.commit().await.map_err(|e| e.to_string())
        }
        Ok(_) => {
            // Whatever is open now is not the group's: a member that joined after SQLite's
            // rollback began it. None of it may land.
            let _ = transaction.rollback().await;
            Err(LOST.to_owned())
        }
        Err(e) => {
            let _ = transaction.rollback().await;
            Err(e.to_string())
        }
    }
}

async fn wait_for(mut outcome: watch::Receiver<Option<Outcome>>) -> Result<(), StoreError> {
    let ended = outcome
        .wait_for(Option::is_some)
        .await
        .map(|ended| ended.clone());
    match ended {
        Ok(Some(Ok(()))) => Ok(()),
        Ok(Some(Err(e))) => Err(group_failed(&e)),
        Ok(None) | Err(_) => Err(group_failed(
            "the group's commit task ended without committing",
        )),
    }
}

fn group_failed(why: &str) -> StoreError {
    StoreError::Database(DbErr::Custom(format!("group commit failed: {why}")))
}

/// Counts a writer as queued for the slot while it waits, including when its request is
/// cancelled mid-wait.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn count(queued: &'a AtomicUsize) -> Self {
        queued.fetch_add(1, Ordering::SeqCst);
        Self(queued)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
    use tokio::task::JoinHandle;

    use super::{SqliteWriter, WriteTx};
    use crate::store::{StoreError, connect_options};

    async fn writer_on_new_file() -> (tempfile::TempDir, Arc<SqliteWriter>, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
        let reader = Database::connect(connect_options(&url, 1)).await.unwrap();
        reader
            .execute_unprepared(
                "CREATE TABLE parent (id TEXT PRIMARY KEY);
                 CREATE TABLE row (name TEXT PRIMARY KEY,
                     parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);",
            )
            .await
            .unwrap();
        let connection = Database::connect(connect_options(&url, 1)).await.unwrap();
        (dir, Arc::new(SqliteWriter::new(connection)), reader)
    }

    async fn rows(db: &DatabaseConnection) -> Vec<String> {
        db.query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT name FROM row ORDER BY name",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index(0).unwrap())
        .collect()
    }

    /// A write transaction that has run `sql`.
    async fn begin_with(writer: &Arc<SqliteWriter>, sql: &str) -> Result<WriteTx, StoreError> {
        let tx = writer.begin().await?;
        tx.tx.execute_unprepared(sql).await?;
        Ok(tx)
    }

    /// Another writer, queued behind the slot by the time this returns, that runs `sql` and
    /// then commits, or, with `commit` false, drops its transaction as a request failing
    /// half-way does.
    async fn queue(
        writer: &Arc<SqliteWriter>,
        sql: String,
        commit: bool,
    ) -> JoinHandle<Result<(), StoreError>> {
        let queued = writer.queued.load(Ordering::SeqCst);
        let task = tokio::spawn({
            let writer = writer.clone();
            async move {
                let tx = begin_with(&writer, &sql).await?;
                if commit {
                    tx.commit().await?;
                }
                Ok(())
            }
        });
        while writer.queued.load(Ordering::SeqCst) <= queued {
            tokio::task::yield_now().await;
        }
        task
    }

    fn insert(name: &str) -> String {
        format!("INSERT INTO row (name) VALUES ('{name}')")
    }

    /// One writer, nobody queued behind it: inserts `name` and commits.
    async fn commit_alone(writer: &Arc<SqliteWriter>, name: &str) {
        let tx = begin_with(writer, &insert(name)).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// Two writers, the second queued behind the first, committed as one group.
    async fn commit_a_group_of_two(writer: &Arc<SqliteWriter>, name: &str) {
        let first = begin_with(writer, &insert(&format!("{name}-a")))
            .await
            .unwrap();
        let second = queue(writer, insert(&format!("{name}-b")), true).await;
        first.commit().await.unwrap();
        second.await.unwrap().unwrap();
    }

    /// One writer's failure rolls back its own work only, and everyone's committed work lands
    /// in one commit that nobody hears about before it has happened.
    #[tokio::test]
    async fn a_group_commits_its_members_and_drops_a_failed_one() {
        let (_dir, writer, reader) = writer_on_new_file().await;
        let first = begin_with(&writer, &insert("first")).await.unwrap();
        let failing = queue(&writer, insert("failed"), false).await;
        let member = queue(&writer, insert("member"), true).await;

        first.commit().await.unwrap();
        failing.await.unwrap().unwrap();
        member.await.unwrap().unwrap();
        assert_eq!(rows(&reader).await, ["first", "member"]);
    }

    /// A commit that fails (here a deferred foreign key, checked only at COMMIT) fails every
    /// member, none of whose work lands; the next writer starts clean.
    #[tokio::test]
    async fn a_failed_group_commit_fails_every_member() {
        let (_dir, writer, reader) = writer_on_new_file().await;
        let first = begin_with(&writer, &insert("first")).await.unwrap();
        let orphan = "INSERT INTO row (name, parent) VALUES ('orphan', 'none')";
        let member = queue(&writer, orphan.to_owned(), true).await;

        let first_outcome = first.commit().await;
        assert!(
            first_outcome
                .unwrap_err()
                .to_string()
                .contains("database error")
        );
        assert!(member.await.unwrap().is_err());
        assert!(rows(&reader).await.is_empty());

        commit_alone(&writer, "next").await;
        assert_eq!(rows(&reader).await, ["next"]);
    }

    /// SQLite rolls a whole transaction back on some errors (a full disk; here a trigger's
    /// `RAISE(ROLLBACK)`): then no member of the group may hear "committed", not those that
    /// finished before the error nor those that join after it, and nothing of theirs lands.
    #[tokio::test]
    async fn a_transaction_sqlite_rolled_back_fails_the_whole_group() {
        let (_dir, writer, reader) = writer_on_new_file().await;
        reader
            .execute_unprepared(
                "CREATE TRIGGER full_disk BEFORE INSERT ON row WHEN NEW.name = 'boom'
                 BEGIN SELECT RAISE(ROLLBACK, 'disk full'); END;",
            )
            .await
            .unwrap();
        // One group first, as a running service has had: its marker table then exists.
        commit_a_group_of_two(&writer, "earlier").await;
        let before = rows(&reader).await;
        let first = begin_with(&writer, &insert("first")).await.unwrap();
        let mut members = Vec::new();
        for name in ["before", "boom", "after"] {
            members.push(queue(&writer, insert(name), true).await);
        }

        assert!(first.commit().await.is_err());
        for member in members {
            assert!(member.await.unwrap().is_err());
        }
        assert_eq!(rows(&reader).await, before);

        commit_a_group_of_two(&writer, "later").await;
        assert_eq!(rows(&reader).await.len(), before.len() + 2);
    }

    /// A member whose request is cancelled at any point (here: after a varying number of
    /// scheduler turns), even half-way through opening its savepoint, costs the group nothing:
    /// the others' work is committed and reported so.
    #[tokio::test]
    async fn a_cancelled_member_costs_the_group_nothing() {
        let (_dir, writer, reader) = writer_on_new_file().await;
        for turns in 0..40 {
            let name = format!("first-{turns:02}");
            let first = begin_with(&writer, &insert(&name)).await.unwrap();
            let member = queue(&writer, insert(&format!("m-{turns}")), true).await;
            let committed = tokio::spawn(first.commit());
            for _ in 0..turns {
                tokio::task::yield_now().await;
            }
            member.abort();
            let outcome = committed.await.unwrap();
            let _ = member.await;
            assert!(outcome.is_ok(), "{name}: {outcome:?}");
            assert!(
                rows(&reader).await.contains(&name),
                "{name} acknowledged but lost"
            );
        }
    }

    /// A writer alone commits at once, with no savepoint and no task.
    #[tokio::test]
    async fn a_writer_alone_commits_by_itself() {
        let (_dir, writer, reader) = writer_on_new_file().await;
        commit_alone(&writer, "alone").await;
        assert_eq!(rows(&reader).await, ["alone"]);
        assert!(writer.slot.lock().await.open.is_none());
    }
}
