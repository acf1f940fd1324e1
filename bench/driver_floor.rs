//! The floor Portcullis' storage path sets on this machine: statements through sea-orm and sqlx's
//! SQLite driver (the same crates, versions and settings as `store::Store`), with no HTTP and no
//! Portcullis code. sqlx runs each SQLite connection on its own worker thread, so every statement
//! is a round trip between threads; this measures what that costs here.
//!
//!     cargo run --release --example driver_floor -- SECONDS
//!
//! Prints one JSON object: `select_1` (round trips/s, one task), `select_16` (16 tasks), and
//! `insert_commit` (BEGIN IMMEDIATE, one INSERT, COMMIT per iteration, WAL with
//! synchronous=FULL, one task). `bench/run.py` runs it pinned to the server core.

use std::time::{Duration, Instant};

use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), DbErr> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let run = Duration::from_secs(seconds);
    let dir = std::env::temp_dir().join(format!("driver-floor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| DbErr::Custom(e.to_string()))?;
    let url = format!("sqlite://{}/floor.db?mode=rwc", dir.display());

    // Exactly the options and pool size `store::Store::connect` gets by default.
    let settings = portcullis::config::Settings {
        database_url: url.clone(),
        ..Default::default()
    };
    let options = portcullis::store::connect_options(&url, settings.database_pool_size());
    let db = Database::connect(options).await?;
    db.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .await?;

    let select_1 = selects(&db, 1, run).await?;
    let select_16 = selects(&db, 16, run).await?;
    let insert_commit = inserts(&db, run).await?;
    db.close().await?;
    let _ = std::fs::remove_dir_all(&dir);
    #[allow(clippy::print_stdout)]
    {
        println!(
            "{{\"select_1\": {select_1:.0}, \"select_16\": {select_16:.0}, \"insert_commit\": {insert_commit:.0}}}"
        );
    }
    Ok(())
}

/// `SELECT 1` round trips per second from `tasks` concurrent tasks.
async fn selects(db: &DatabaseConnection, tasks: usize, run: Duration) -> Result<f64, DbErr> {
    let started = Instant::now();
    let mut handles = Vec::with_capacity(tasks);
    for _ in 0..tasks {
        let db = db.clone();
        handles.push(tokio::spawn(async move {
            let mut n = 0u64;
            while started.elapsed() < run {
                db.query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT 1"))
                    .await?;
                n += 1;
            }
            Ok::<u64, DbErr>(n)
        }));
    }
    let mut total = 0;
    for handle in handles {
        total += handle.await.map_err(|e| DbErr::Custom(e.to_string()))??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// Durable single-row transactions per second, as a SCIM create must at least do.
async fn inserts(db: &DatabaseConnection, run: Duration) -> Result<f64, DbErr> {
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < run {
        let tx = db
            .begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO t (body) VALUES (?)",
            ["{\"userName\":\"floor@bench.example\"}".into()],
        ))
        .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}
