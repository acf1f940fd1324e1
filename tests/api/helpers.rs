//! Boots the real application on `127.0.0.1:0` with its own database: a SQLite file in a temp
//! dir, or a fresh PostgreSQL database when `TEST_DATABASE_URL` is set. Tests talk HTTP to it.

use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::web;
use chrono::{DateTime, TimeZone, Utc};
use portcullis::clock::ManualClock;
use portcullis::config::Settings;
use portcullis::domain::practice::{BusinessHours, PracticeName, PracticeSlug, TimeZone as Tz};
use portcullis::domain::scope::Scopes;
use portcullis::jobs::Jobs;
use portcullis::startup::{Application, open_store};
use portcullis::state::AppState;
use portcullis::store::{NewPractice, NewToken, Practice, Store};
use sea_orm::{ConnectionTrait, Database};

/// Which database a test runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The server URL from `TEST_DATABASE_URL`; each app gets a fresh database on it.
    Postgres(String),
}

impl Backend {
    /// PostgreSQL, if `TEST_DATABASE_URL` names a server.
    pub fn postgres() -> Option<Backend> {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant skipped");
                None
            }
        }
    }

    /// A brand-new, empty database on this backend; a PostgreSQL one is dropped when the
    /// returned value is (a SQLite file goes with its directory).
    pub async fn fresh_database(&self, dir: &std::path::Path) -> Arc<TestDatabase> {
        Arc::new(match self {
            Backend::Sqlite => TestDatabase {
                url: format!("sqlite://{}?mode=rwc", dir.join("portcullis.db").display()),
                drop_from: None,
            },
            Backend::Postgres(server) => fresh_postgres_database(server).await,
        })
    }
}

/// A database made for one test. Each test drops its own, when it ends, so a run leaves
/// nothing behind and never touches the databases of a run going on beside it.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    /// The server URL to connect to and the database's name, for PostgreSQL.
    drop_from: Option<(String, String)>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.drop_from.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on; a thread with its
        // own runtime does the work, and the test waits for it.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let admin = Database::connect(&server).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await?;
                admin.close().await
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop a test database: {e}");
        }
    }
}

/// Writes a test twice: `name::sqlite` and `name::postgres` (the latter runs when
/// `TEST_DATABASE_URL` is set, as it is in CI).
macro_rules! storage_test {
    ($(#[$meta:meta])* async fn $name:ident($backend:ident: Backend) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            async fn scenario($backend: $crate::helpers::Backend) $body

            #[tokio::test]
            async fn sqlite() {
                scenario($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(backend) = $crate::helpers::Backend::postgres() {
                    scenario(backend).await
                }
            }
        }
    };
}
pub(crate) use storage_test;

/// The instant every test app's clock starts at.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub clock: ManualClock,
    pub client: reqwest::Client,
    pub store: Store,
    pub settings: Settings,
    pub dir: tempfile::TempDir,
    /// The app's database, dropped after the last instance on it (PostgreSQL).
    pub database: Arc<TestDatabase>,
    /// The running app's state (its store shares the serving process's caches).
    pub state: web::Data<AppState>,
    /// The running app's background jobs: tests run their passes directly.
    pub jobs: Jobs,
    pub server: ServerHandle,
}

pub async fn spawn_app(backend: &Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with settings adjusted first (rate limits, JWT issuers, …).
pub async fn spawn_app_with(backend: &Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let database = backend.fresh_database(dir.path()).await;
    let mut settings = Settings {
        database_url: database.url.clone(),
        database_max_connections: Some(4),
        listen: "127.0.0.1:0".parse().unwrap(),
        // Background passes run once at start, then rarely: tests run them when they choose
        // (`sweep`, `deliver`). Webhook receivers in tests listen on 127.0.0.1.
        sweep_interval: std::time::Duration::from_secs(3600),
        webhook_poll_interval: std::time::Duration::from_secs(3600),
        webhook_allow_private: true,
        // Beside the database on both backends (PostgreSQL's default is the working directory).
        audit: portcullis::config::AuditSettings {
            signing_key: Some(dir.path().join("portcullis-audit.key")),
        },
        ..Settings::default()
    };
    configure(&mut settings);
    start_app(settings, ManualClock::new(start_time()), dir, database).await
}

/// Starts the app on `settings` (on `database`, already made) with `clock`.
pub async fn start_app(
    settings: Settings,
    clock: ManualClock,
    dir: tempfile::TempDir,
    database: Arc<TestDatabase>,
) -> TestApp {
    let app = Application::build_with_clock(&settings, Arc::new(clock.clone()))
        .await
        .expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let jobs = app.jobs();
    let server = app.stop_handle();
    tokio::spawn(app.run_until_stopped());
    let store = open_store(&settings).await.unwrap();
    TestApp {
        address,
        clock,
        client: http_client(),
        store,
        settings,
        dir,
        database,
        state,
        jobs,
        server,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// One sweeper pass at the app's clock.
    pub async fn sweep(&self) -> portcullis::engine::sweep::SweepReport {
        self.jobs.sweeper.run_once().await
    }

    /// One delivery pass: sends whatever is due at the app's clock; returns the attempts made.
    pub async fn deliver(&self) -> usize {
        self.jobs.delivery.run_once().await
    }

    /// Stops this instance (in-flight requests finish) and starts another on the same
    /// database and clock, as a restart would.
    pub async fn restart(self) -> TestApp {
        self.server.stop(true).await;
        let mut settings = self.settings.clone();
        settings.listen = "127.0.0.1:0".parse().unwrap();
        start_app(settings, self.clock.clone(), self.dir, self.database).await
    }

    /// A practice, created the way `portcullis practice create` does.
    pub async fn practice(&self, slug: &str) -> Practice {
        self.store
            .create_practice(
                NewPractice {
                    slug: PracticeSlug::parse(slug).unwrap(),
                    name: PracticeName::parse(&format!("{slug} clinic")).unwrap(),
                    time_zone: Tz::parse("America/Chicago").unwrap(),
                    business_hours: BusinessHours::default(),
                },
                self.clock.now_utc(),
            )
            .await
            .unwrap()
    }

    /// A token's text, issued the way `portcullis token create` does.
    pub async fn token(&self, practice: &Practice, scopes: &str) -> String {
        self.token_expiring(practice, scopes, None).await
    }

    /// A named administrator's token (created the way `portcullis admin create` and
    /// `token create --admin` do): it acts with their role, under their name.
    pub async fn admin_token(&self, practice: &Practice, email: &str, role: &str) -> String {
        let role: portcullis::domain::admin::AdminRole = role.parse().unwrap();
        let name = &email[..email.find('@').unwrap()];
        let admin = self
            .store
            .add_admin(practice.id, email, name, role, self.clock.now_utc())
            .await
            .unwrap();
        self.store
            .tenant(practice.id)
            .issue_token(
                NewToken {
                    name: email.to_owned(),
                    scopes: role.scopes(),
                    expires_at: None,
                    admin: Some(admin.id),
                },
                self.clock.now_utc(),
            )
            .await
            .unwrap()
            .text
    }

    pub async fn token_expiring(
        &self,
        practice: &Practice,
        scopes: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> String {
        self.store
            .tenant(practice.id)
            .issue_token(
                NewToken {
                    name: format!("test {scopes}"),
                    scopes: Scopes::parse(scopes).unwrap(),
                    expires_at,
                    admin: None,
                },
                self.clock.now_utc(),
            )
            .await
            .unwrap()
            .text
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}

/// An HTTP client for talking to the app (installs the TLS crypto provider reqwest needs).
/// Polls `status` until it returns `want`, for at most the authentication cache's lifetime and
/// a margin: a change made by another process (the CLI, the tests' own store) reaches a running
/// server's cached credentials within `auth_cache_ttl`. Returns the last status seen.
pub async fn status_within_auth_ttl<F, Fut>(want: u16, mut status: F) -> u16
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let deadline = std::time::Instant::now()
        + Settings::default().auth_cache_ttl
        + std::time::Duration::from_secs(2);
    loop {
        let seen = status().await;
        if seen == want || std::time::Instant::now() >= deadline {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

pub fn http_client() -> reqwest::Client {
    portcullis::startup::install_crypto_provider();
    reqwest::Client::new()
}

/// The clock's time without naming the trait at every call site.
pub trait NowUtc {
    fn now_utc(&self) -> DateTime<Utc>;
}

impl NowUtc for ManualClock {
    fn now_utc(&self) -> DateTime<Utc> {
        portcullis::clock::Clock::now(self)
    }
}

/// Creates a uniquely named database on the server; it is dropped with the returned value.
async fn fresh_postgres_database(server: &str) -> TestDatabase {
    let admin = Database::connect(server)
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
    let name = format!("portcullis_test_{}", uuid::Uuid::new_v4().simple());
    // Concurrent CREATE DATABASE can collide on the template; retry briefly.
    let mut attempts = 0;
    loop {
        match admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
        {
            Ok(_) => break,
            Err(e) if attempts < 10 => {
                attempts += 1;
                eprintln!("CREATE DATABASE retry {attempts}: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100 * attempts)).await;
            }
            Err(e) => panic!("cannot create a test database: {e}"),
        }
    }
    let _ = admin.close().await;
    let base = server.split('?').next().unwrap_or(server);
    let (prefix, _) = base.rsplit_once('/').expect("TEST_DATABASE_URL has a path");
    TestDatabase {
        url: format!("{prefix}/{name}"),
        drop_from: Some((server.to_owned(), name)),
    }
}

/// Asserts a SCIM error response (RFC 7644 §3.12) and returns its body.
pub async fn assert_scim_error(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/scim+json"),
        "{content_type}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(
        body["status"],
        status.to_string(),
        "status is a string: {body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}

/// Asserts an RFC 9457 problem+json response and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "{content_type}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert!(body["title"].is_string(), "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}

/// A SCIM response: status, headers and JSON body (`Null` when empty).
#[derive(Debug)]
pub struct ScimResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
}

impl ScimResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &serde_json::Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        if status >= 400 {
            assert_eq!(
                self.body["schemas"][0],
                "urn:ietf:params:scim:api:messages:2.0:Error"
            );
            assert_eq!(self.body["status"], status.to_string());
        }
        &self.body
    }
}

/// Talks SCIM to the app with one token, as an IdP does.
#[derive(Debug, Clone)]
pub struct Scim {
    pub base: String,
    token: String,
    client: reqwest::Client,
}

impl TestApp {
    pub fn scim(&self, token: &str) -> Scim {
        Scim {
            base: self.url("/scim/v2"),
            token: token.to_owned(),
            client: self.client.clone(),
        }
    }

    /// A practice with a SCIM token, ready for provisioning.
    pub async fn scim_client(&self, slug: &str) -> Scim {
        let practice = self.practice(slug).await;
        let token = self.token(&practice, "scim").await;
        self.scim(&token)
    }
}

impl Scim {
    pub fn token(&self) -> &str {
        &self.token
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> ScimResponse {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/scim+json; charset=utf-8")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if status != 204 && status != 304 {
            let content_type = headers
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            assert!(
                content_type
                    .as_deref()
                    .is_some_and(|c| c.starts_with("application/scim+json")),
                "{status} has content type {content_type:?}"
            );
        }
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        ScimResponse {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> ScimResponse {
        self.send(reqwest::Method::GET, path, None, &[]).await
    }

    /// POSTs a resource. Bodies written in tests may leave out `schemas`; the core schema is
    /// added for them (`content_types_and_bad_input` checks the server requires it).
    pub async fn post(&self, path: &str, mut body: serde_json::Value) -> ScimResponse {
        let core = if path.starts_with("/Users") {
            Some("urn:ietf:params:scim:schemas:core:2.0:User")
        } else if path.starts_with("/Groups") {
            Some("urn:ietf:params:scim:schemas:core:2.0:Group")
        } else {
            None
        };
        if let (Some(core), Some(object)) = (core, body.as_object_mut())
            && !path.contains(".search")
        {
            object
                .entry("schemas")
                .or_insert_with(|| serde_json::json!([core]));
        }
        self.send(reqwest::Method::POST, path, Some(body), &[])
            .await
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> ScimResponse {
        self.send(reqwest::Method::PUT, path, Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, body: serde_json::Value) -> ScimResponse {
        self.send(reqwest::Method::PATCH, path, Some(body), &[])
            .await
    }

    pub async fn delete(&self, path: &str) -> ScimResponse {
        self.send(reqwest::Method::DELETE, path, None, &[]).await
    }

    /// Creates a user and returns its id.
    pub async fn create_user(&self, user_name: &str) -> String {
        let created = self
            .post(
                "/Users",
                serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": user_name, "active": true,
                    "name": {"givenName": "Test", "familyName": user_name},
                }),
            )
            .await;
        created.expect(201)["id"].as_str().unwrap().to_owned()
    }

    /// `GET /Users?filter=…` (URL-encoded here) and the ids found, in order.
    pub async fn filter_users(&self, filter: &str) -> Vec<String> {
        let response = self.find("/Users", filter).await;
        let body = response.expect(200);
        body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    }

    pub async fn find(&self, endpoint: &str, filter: &str) -> ScimResponse {
        let url = format!("{endpoint}?filter={}", urlencode(filter));
        self.get(&url).await
    }
}

/// Percent-encodes a query value.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A JSON fixture from tests/fixtures.
pub fn fixture(path: &str) -> serde_json::Value {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}")))
        .unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// A fixture with `{{NAME}}` placeholders filled in.
pub fn filled(path: &str, values: &[(&str, &str)]) -> serde_json::Value {
    let mut text = fixture(path).to_string();
    for (name, value) in values {
        text = text.replace(&format!("{{{{{name}}}}}"), value);
    }
    serde_json::from_str(&text).unwrap()
}
