//! The database: migrations, SQLite durability settings, PostgreSQL, constraint mapping.

use portcullis::domain::practice::{BusinessHours, PracticeName, PracticeSlug, TimeZone};
use portcullis::startup::open_store;
use portcullis::store::{NewPractice, StoreError};

use crate::helpers::{Backend, NowUtc, spawn_app, storage_test};

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_full_sync() {
    let app = spawn_app(&Backend::Sqlite).await;
    let description = app.store.describe().await.unwrap();
    assert_eq!(
        description,
        "sqlite journal_mode=wal synchronous=2 foreign_keys=1 busy_timeout=10000"
    );
}

storage_test!(
    async fn migrations_are_idempotent_and_reopening_keeps_data(backend: Backend) {
        let app = spawn_app(&backend).await;
        app.practice("acme").await;
        // A second start (another instance, or a restart) migrates nothing and sees the data.
        let again = open_store(&app.settings).await.unwrap();
        let practices = again.list_practices().await.unwrap();
        assert_eq!(practices.len(), 1);
        assert_eq!(practices[0].slug.as_str(), "acme");
        assert_eq!(practices[0].time_zone.name(), "America/Chicago");
        if let Backend::Postgres(_) = backend {
            assert!(
                again
                    .describe()
                    .await
                    .unwrap()
                    .starts_with("postgres server_version=")
            );
        }
    }
);

storage_test!(
    async fn a_taken_slug_is_a_conflict_not_a_database_error(backend: Backend) {
        let app = spawn_app(&backend).await;
        app.practice("acme").await;
        let again = app
            .store
            .create_practice(
                NewPractice {
                    slug: PracticeSlug::parse("acme").unwrap(),
                    name: PracticeName::parse("Another").unwrap(),
                    time_zone: TimeZone::parse("UTC").unwrap(),
                    business_hours: BusinessHours::default(),
                },
                app.clock.now_utc(),
            )
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    }
);
