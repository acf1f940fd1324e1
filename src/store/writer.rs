//! Write transactions, and group commit on SQLite.
//!
//! SQLite has one writer at a time, and with `synchronous=FULL` each commit waits for the disk
//! (`fsync` of the WAL). Writers therefore queue for one slot; when a writer finishes while
//! others are queued, it does not commit alone: its transaction stays open, the queued writers
//! run one after another inside it, each in a savepoint of its own, and one commit (one
//! `fsync`) makes all of them durable. Nobody is answered before that commit: a writer's
//! [`WriteTx::commit`] returns only when the group's commit has returned, with its outcome, so
//! a 2xx still means on disk. A writer that fails rolls back to its savepoint and leaves the
//! others' work alone. A writer alone in the queue commits at once, as before: no savepoint, no
//! extra statement.
//!
//! The group's commit runs in a task of its own, queued for the slot behind the writers that
//! were waiting when the first finished. That bounds the group (later arrivals start the next
//! one) and keeps the commit independent of any request: a client that hangs up cannot leave
//! the group's transaction open.
//!
//! PostgreSQL needs none of this (concurrent transactions, its own group commit); there a
//! write transaction is a plain transaction on the pool.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::StoreError;

/// SQLite's one writer: the connection, the slot writers queue for, and how many queue.
#[derive(Debug)]
pub(super) struct SqliteWriter {
    connection: DatabaseConnection,
    slot: Arc<Mutex<Slot>>,
    queued: Arc<AtomicUsize>,
}

/// What the slot guards: the group transaction left open for the writers queued behind it.
#[derive(Debug, Default)]
struct Slot {
    open: Option<OpenGroup>,
}

#[derive(Debug)]
struct OpenGroup {
    transaction: DatabaseTransaction,
    outcome: watch::Receiver<Option<Outcome>>,
}

/// How a group's commit ended; the error as text, since every member reports it.
type Outcome = Result<(), String>;

/// A write transaction, holding SQLite's writer slot until it ends. Dropping it without
/// committing rolls back its own work (a savepoint member: to its savepoint).
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
        queued: Arc<AtomicUsize>,
    },
    /// SQLite: a savepoint in a group opened by an earlier writer, and how to hear how the
    /// group's commit ended.
    Member {
        slot: OwnedMutexGuard<Slot>,
        outcome: watch::Receiver<Option<Outcome>>,
    },
}

impl SqliteWriter {
    pub(super) fn new(connection: DatabaseConnection) -> Self {
        Self {
            connection,
            slot: Arc::default(),
            queued: Arc::default(),
        }
    }

    /// Waits for the slot, then joins the open group or begins a new transaction.
    pub(super) async fn begin(&self) -> Result<WriteTx, StoreError> {
        let slot = {
            let _waiting = Waiting::count(&self.queued);
            self.slot.clone().lock_owned().await
        };
        if let Some(group) = &slot.open {
            let tx = group.transaction.begin().await?;
            let outcome = group.outcome.clone();
            return Ok(WriteTx {
                tx,
                role: Role::Member { slot, outcome },
            });
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
                queued: self.queued.clone(),
            },
        })
    }
}

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
            Role::First { mut slot, queued } => {
                if queued.load(Ordering::SeqCst) == 0 {
                    return Ok(self.tx.commit().await?);
                }
                let (done, outcome) = watch::channel(None);
                slot.open = Some(OpenGroup {
                    transaction: self.tx,
                    outcome: outcome.clone(),
                });
                let mutex = OwnedMutexGuard::mutex(&slot).clone();
                drop(slot);
                tokio::spawn(commit_group(mutex, done));
                wait_for(outcome).await
            }
            Role::Member { slot, outcome } => {
                self.tx.commit().await?;
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

/// Queues for the slot behind the writers that joined the group, then commits it.
async fn commit_group(slot: Arc<Mutex<Slot>>, done: watch::Sender<Option<Outcome>>) {
    let mut slot = slot.lock_owned().await;
    // Only this task closes the group it was started for; dropping `done` unsent would tell
    // the members that nothing was committed.
    let Some(group) = slot.open.take() else {
        return;
    };
    let outcome = group.transaction.commit().await.map_err(|e| e.to_string());
    drop(slot);
    // Every member may have given up waiting (its client hung up): nobody to tell.
    let _ = done.send(Some(outcome));
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

    use super::SqliteWriter;
    use crate::store::connect_options;

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

    /// Queues `writers` more writers behind the slot and returns once all of them wait.
    async fn until_queued(writer: &SqliteWriter, writers: usize) {
        while writer.queued.load(Ordering::SeqCst) < writers {
            tokio::task::yield_now().await;
        }
    }

    /// One writer's failure rolls back its own work only, and everyone's committed work lands
    /// in one commit that nobody hears about before it has happened.
    #[tokio::test]
    async fn a_group_commits_its_members_and_drops_a_failed_one() {
        let (_dir, writer, reader) = writer_on_new_file().await;
        let first = writer.begin().await.unwrap();
        first
            .tx
            .execute_unprepared("INSERT INTO row (name) VALUES ('first')")
            .await
            .unwrap();

        let failing = tokio::spawn({
            let writer = writer.clone();
            async move {
                let tx = writer.begin().await.unwrap();
                tx.tx
                    .execute_unprepared("INSERT INTO row (name) VALUES ('failed')")
                    .await
                    .unwrap();
                // Dropped uncommitted, as a request that fails half-way.
            }
        });
        until_queued(&writer, 1).await;
        let member = tokio::spawn({
            let writer = writer.clone();
            async move {
                let tx = writer.begin().await.unwrap();
                tx.tx
                    .execute_unprepared("INSERT INTO row (name) VALUES ('member')")
                    .await
                    .unwrap();
                tx.commit().await
            }
        });
        until_queued(&writer, 2).await;

        first.commit().await.unwrap();
        failing.await.unwrap();
        member.await.unwrap().unwrap();
        assert_eq!(rows(&reader).await, ["first", "member"]);
    }

    /// A commit that fails (here a deferred foreign key, checked only at COMMIT) fails every
    /// member, none of whose work lands; the next writer starts clean.
    #[tokio::test]
    async fn a_failed_group_commit_fails_every_member() {
        let (_dir, writer, reader) = writer_on_new_file().await;
        let first = writer.begin().await.unwrap();
        first
            .tx
            .execute_unprepared("INSERT INTO row (name) VALUES ('first')")
            .await
            .unwrap();
        let member = tokio::spawn({
            let writer = writer.clone();
            async move {
                let tx = writer.begin().await.unwrap();
                tx.tx
                    .execute_unprepared("INSERT INTO row (name, parent) VALUES ('orphan', 'none')")
                    .await
                    .unwrap();
                tx.commit().await
            }
        });
        until_queued(&writer, 1).await;

        let first_outcome = first.commit().await;
        let member_outcome = member.await.unwrap();
        assert!(
            first_outcome
                .unwrap_err()
                .to_string()
                .contains("database error")
        );
        assert!(member_outcome.is_err());
        assert!(rows(&reader).await.is_empty());

        let next = writer.begin().await.unwrap();
        next.tx
            .execute_unprepared("INSERT INTO row (name) VALUES ('next')")
            .await
            .unwrap();
        next.commit().await.unwrap();
        assert_eq!(rows(&reader).await, ["next"]);
    }

    /// A writer alone commits at once, with no savepoint and no task.
    #[tokio::test]
    async fn a_writer_alone_commits_by_itself() {
        let (_dir, writer, reader) = writer_on_new_file().await;
        let tx = writer.begin().await.unwrap();
        tx.tx
            .execute_unprepared("INSERT INTO row (name) VALUES ('alone')")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(rows(&reader).await, ["alone"]);
        assert!(writer.slot.lock().await.open.is_none());
    }
}
