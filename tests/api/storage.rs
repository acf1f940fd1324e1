//! The database: migrations, SQLite durability settings, PostgreSQL, constraint mapping.

use portcullis::domain::practice::{BusinessHours, PracticeName, PracticeSlug, TimeZone};
use portcullis::startup::open_store;
use portcullis::store::{NewPractice, StoreError};

use crate::helpers::{Backend, NowUtc, spawn_app, storage_test};

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_full_sync_and_stable_plans() {
    let app = spawn_app(&Backend::Sqlite).await;
    let description = app.store.describe().await.unwrap();
    assert_eq!(
        description,
        "sqlite journal_mode=wal synchronous=2 foreign_keys=1 busy_timeout=10000 qpsg=1"
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

storage_test!(
    /// Migration 9 adds the live tally: a database upgraded from migration 8 with users and
    /// groups already in it starts from the true counts, and a downgrade drops it cleanly.
    async fn an_upgraded_database_starts_its_tally_from_the_true_counts(backend: Backend) {
        use migration::{Migrator, MigratorTrait};
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let db = sea_orm::Database::connect(&app.settings.database_url)
            .await
            .unwrap();
        let ann = scim.create_user("ann@acme.example").await;
        scim.create_user("bob@acme.example").await;
        scim.create_user("cat@acme.example").await;
        scim.delete(&format!("/Users/{ann}")).await.expect(204);
        scim.post("/Groups", serde_json::json!({"displayName": "Billing"}))
            .await
            .expect(201);
        // Back to before the tally (migration 9) and up again: the rows are there, the tally
        // starts empty, and its migration must count them. (The service cannot write while
        // the later tables are gone, so the rows are written first.)
        let applied = Migrator::get_applied_migrations(&db).await.unwrap().len();
        let tally = Migrator::migrations()
            .iter()
            .position(|m| m.name().contains("create_directory_tally"))
            .unwrap();
        Migrator::down(&db, Some((applied - tally) as u32))
            .await
            .unwrap();
        Migrator::up(&db, None).await.unwrap();

        let users = scim.get("/Users?count=0").await;
        assert_eq!(users.expect(200)["totalResults"], 2);
        let groups = scim.get("/Groups?count=0").await;
        assert_eq!(groups.expect(200)["totalResults"], 1);
        // And the triggers count from there.
        scim.create_user("dan@acme.example").await;
        let users = scim.get("/Users?count=1").await;
        assert_eq!(users.expect(200)["totalResults"], 3);
    }
);
