//! Backups of the embedded SQLite database, and restoring one into an empty location.
//!
//! A backup is `VACUUM INTO`: one read transaction, so the copy is consistent however many
//! writes run beside it, and compact. Evidence files live in the database (`evidence_file`), so
//! the copy holds them. PostgreSQL has its own tools (`pg_dump`, `pg_restore`); the README says
//! how.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{Connection, Row};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::{Store, StoreError};

/// Why a backup or restore was refused, in words that say what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "backup and restore copy the embedded SQLite database; on PostgreSQL use pg_dump -Fc \
         and pg_restore (see the README's Operations)"
    )]
    NotSqlite,
    #[error("{} already exists: a backup never overwrites a file", .0.display())]
    TargetExists(PathBuf),
    #[error(
        "the database {} already exists: restore only into an empty location (move it \
         aside, or point database_url at a new file)",
        .0.display()
    )]
    DatabaseExists(PathBuf),
    #[error(
        "the database database_url names holds no Portcullis tables: is this the service's \
         configuration (--config, database_url)?"
    )]
    NotOurs,
    #[error("{} is not a Portcullis backup: {reason}", .file.display())]
    NotABackup { file: PathBuf, reason: String },
    #[error("{}: {source}", .file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Writes a consistent copy of the live database to `file` (which must not exist), and
    /// syncs it to disk before returning.
    pub async fn backup_to(&self, file: &Path) -> Result<(), BackupError> {
        if self.backend() != DbBackend::Sqlite {
            return Err(BackupError::NotSqlite);
        }
        if file.exists() {
            return Err(BackupError::TargetExists(file.to_owned()));
        }
        // A database without our migrations is not the service's: nothing worth a backup.
        let ours = self
            .connection()
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT count(*) FROM sqlite_master WHERE name = 'seaql_migrations'",
            ))
            .await
            .map_err(StoreError::from)?
            .and_then(|row| row.try_get_by_index::<i64>(0).ok())
            .unwrap_or(0);
        if ours == 0 {
            return Err(BackupError::NotOurs);
        }
        let text = file.to_str().ok_or_else(|| BackupError::Io {
            file: file.to_owned(),
            source: std::io::Error::other("the path is not UTF-8"),
        })?;
        self.connection()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "VACUUM INTO ?",
                [text.into()],
            ))
            .await
            .map_err(StoreError::from)?;
        sync_file(file)
    }
}

/// The file a `sqlite:` URL names, or `None` for PostgreSQL or an in-memory database.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    (!file.as_os_str().is_empty() && file != Path::new(":memory:")).then(|| file.to_owned())
}

/// Puts the backup `from` where `database_url` points, which must be empty: checks the backup
/// first (SQLite's integrity check, our migrations table), copies it beside its destination,
/// syncs, then renames it into place, so a failure never leaves half a database.
pub async fn restore_sqlite(database_url: &str, from: &Path) -> Result<PathBuf, BackupError> {
    let target = sqlite_file(database_url).ok_or(BackupError::NotSqlite)?;
    let occupied = |path: &Path| path.metadata().is_ok_and(|m| m.len() > 0);
    let wal = PathBuf::from(format!("{}-wal", target.display()));
    if occupied(&target) || occupied(&wal) {
        return Err(BackupError::DatabaseExists(target));
    }
    check_backup(from).await?;
    let partial = PathBuf::from(format!("{}.restoring", target.display()));
    let io = |file: &Path| {
        let file = file.to_owned();
        move |source| BackupError::Io { file, source }
    };
    std::fs::copy(from, &partial).map_err(io(&partial))?;
    sync_file(&partial)?;
    std::fs::rename(&partial, &target).map_err(io(&target))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        sync_file(dir)?;
    }
    Ok(target)
}

/// A backup opens as SQLite, passes `PRAGMA integrity_check` and has our migrations table.
async fn check_backup(file: &Path) -> Result<(), BackupError> {
    let refuse = |reason: String| BackupError::NotABackup {
        file: file.to_owned(),
        reason,
    };
    if !file.is_file() {
        return Err(refuse("there is no such file".to_owned()));
    }
    let options = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .immutable(true);
    let mut db = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| refuse(e.to_string()))?;
    let integrity: String = sea_orm::sqlx::query("PRAGMA integrity_check")
        .fetch_one(&mut db)
        .await
        .and_then(|row| row.try_get(0))
        .map_err(|e| refuse(format!("not a readable SQLite database ({e})")))?;
    if integrity != "ok" {
        return Err(refuse(format!("SQLite's integrity check says {integrity}")));
    }
    sea_orm::sqlx::query("SELECT version FROM seaql_migrations LIMIT 1")
        .fetch_optional(&mut db)
        .await
        .map_err(|_| refuse("it has no Portcullis migrations".to_owned()))?;
    db.close().await.map_err(|e| refuse(e.to_string()))?;
    Ok(())
}

/// `fsync` a file or directory: a backup reported written is on disk.
fn sync_file(path: &Path) -> Result<(), BackupError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|source| BackupError::Io {
            file: path.to_owned(),
            source,
        })
}
