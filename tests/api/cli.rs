//! The `portcullis` binary, run as a user would: practice and token commands, serving, the
//! first-run hint, graceful shutdown. On both backends.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{status_within_auth_ttl, storage_test};

/// The binary with a clean environment: only the settings a test gives it.
pub fn portcullis(dir: &Path, database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    command.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("PORTCULLIS_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command.env("PORTCULLIS_DATABASE_URL", database_url);
    command
}

/// A practice made with `practice create` (named after its slug) and a token for it from
/// `token create`, taken from the last line of the output as a user copies it.
pub fn practice_with_token(dir: &Path, database_url: &str, slug: &str, scopes: &str) -> String {
    run(portcullis(dir, database_url).args(["practice", "create", "--slug", slug, "--name", slug]));
    let issued = run(portcullis(dir, database_url).args([
        "token",
        "create",
        "--practice",
        slug,
        "--scope",
        scopes,
        "--name",
        "test",
    ]));
    stdout(&issued).lines().last().unwrap().to_owned()
}

pub fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "command failed: {}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A `portcullis serve` process on an ephemeral port, stopped (SIGKILL) on drop.
pub struct Served {
    pub child: Child,
    pub port: u16,
    /// Everything the server has logged so far (stderr keeps being collected).
    pub stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Served {
    pub fn start(mut command: Command) -> Self {
        let mut child = command
            .env("PORTCULLIS_LISTEN", "127.0.0.1:0")
            .env("PORTCULLIS_LOG__FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut stderr = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            assert!(Instant::now() < deadline, "no `listening` line: {stderr:?}");
            let Some(line) = lines.next() else {
                panic!("serve exited early: {}", stderr.join("\n"));
            };
            let line = line.unwrap();
            stderr.push(line.clone());
            if let Ok(event) = serde_json::from_str::<Value>(&line)
                && event["message"] == "listening"
            {
                break u16::try_from(event["port"].as_u64().unwrap()).unwrap();
            }
        };
        // Keep collecting stderr, so tests can read it and the child never blocks on a pipe.
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(stderr));
        let collected = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                collected.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            port,
            stderr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Sends SIGTERM and waits (at most 15 s) for a clean exit: requests in flight drain.
    pub fn stop_gracefully(&mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "still running 15 s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "exited with {status}");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

storage_test!(
    /// The README's "first five minutes", on each backend.
    async fn practice_and_token_commands_then_whoami(backend: Backend) {
        let dir = tempfile::tempdir().unwrap();
        let database = backend.fresh_database(dir.path()).await;
        let db = database.url.as_str();

        let created = run(portcullis(dir.path(), db).args([
            "practice",
            "create",
            "--slug",
            "acme",
            "--name",
            "Acme Clinic",
            "--timezone",
            "America/Chicago",
        ]));
        assert!(stdout(&created).contains("created practice acme"));
        let listed = stdout(&run(portcullis(dir.path(), db).args(["practice", "list"])));
        assert!(
            listed.contains("acme") && listed.contains("America/Chicago"),
            "{listed}"
        );

        let issued = run(portcullis(dir.path(), db).args([
            "token",
            "create",
            "--practice",
            "acme",
            "--scope",
            "scim,admin:read",
            "--name",
            "okta",
            "--expires-in",
            "90d",
        ]));
        let token = stdout(&issued).lines().last().unwrap().to_owned();
        assert!(
            token.starts_with("pcl_"),
            "the token is alone on the last line: {token}"
        );

        let served = Served::start(portcullis(dir.path(), db));
        let client = crate::helpers::http_client();
        let who: Value = client
            .get(served.url("/api/v1/whoami"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(who["practice"]["slug"], "acme");
        assert_eq!(who["credential"]["name"], "okta");

        let tokens = stdout(&run(portcullis(dir.path(), db).args([
            "token",
            "list",
            "--practice",
            "acme",
        ])));
        let row = tokens
            .lines()
            .find(|l| l.contains("okta"))
            .unwrap()
            .to_owned();
        assert!(row.contains("active"), "{row}");
        assert!(!tokens.contains(&token[40..]), "never the secret");
        let id = row.split_whitespace().next().unwrap().to_owned();

        // The CLI is another process: the server notices within its auth cache lifetime.
        run(portcullis(dir.path(), db).args(["token", "revoke", &id]));
        let whoami = || async {
            client
                .get(served.url("/api/v1/whoami"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        };
        assert_eq!(status_within_auth_ttl(401, whoami).await, 401);
        let tokens = stdout(&run(portcullis(dir.path(), db).args([
            "token",
            "list",
            "--practice",
            "acme",
        ])));
        assert!(
            tokens
                .lines()
                .any(|l| l.contains("okta") && l.contains("revoked")),
            "{tokens}"
        );
    }
);

#[test]
fn bad_arguments_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/p.db?mode=rwc", dir.path().display());
    run(portcullis(dir.path(), &db)
        .args(["practice", "create", "--slug", "acme", "--name", "Acme"]));
    let cases: [(&[&str], &str); 5] = [
        (
            &["practice", "create", "--slug", "Bad_Slug", "--name", "X"],
            "slug",
        ),
        (
            &["practice", "create", "--slug", "acme", "--name", "Again"],
            "already exists",
        ),
        (
            &[
                "practice",
                "create",
                "--slug",
                "tz",
                "--name",
                "X",
                "--timezone",
                "Mars/Base",
            ],
            "time zone",
        ),
        (
            &["token", "create", "--practice", "acme", "--scope", "root"],
            "unknown scope",
        ),
        (
            &["token", "create", "--practice", "nobody", "--scope", "scim"],
            "practice not found",
        ),
    ];
    for (args, expected) in cases {
        let output = portcullis(dir.path(), &db).args(args).output().unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn first_serve_on_an_empty_database_says_how_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/p.db?mode=rwc", dir.path().display());
    let served = Served::start(portcullis(dir.path(), &db));
    let said = served.stderr.lock().unwrap().join("\n");
    assert!(said.contains("portcullis practice create"), "{said}");
    assert!(said.contains("portcullis token create"), "{said}");
}

/// With no database URL configured, the service serves on `portcullis.db` in the working
/// directory: nothing to install or configure.
#[test]
fn the_default_database_is_a_sqlite_file_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = portcullis(dir.path(), "");
    command.env_remove("PORTCULLIS_DATABASE_URL");
    run(command.args(["practice", "create", "--slug", "acme", "--name", "Acme"]));
    assert!(dir.path().join("portcullis.db").exists());
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/p.db?mode=rwc", dir.path().display());
    Served::start(portcullis(dir.path(), &db)).stop_gracefully();
}

/// Logs carry no secrets and no PHI: not the token, not the password Okta sends, not names,
/// e-mail addresses or filter values. Only method, route pattern, status and timing.
#[tokio::test]
async fn logs_hold_no_secrets_or_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/p.db?mode=rwc", dir.path().display());
    let token = practice_with_token(dir.path(), &db, "acme", "scim");
    let mut command = portcullis(dir.path(), &db);
    command.env("PORTCULLIS_LOG__LEVEL", "debug");
    let served = Served::start(command);
    let client = crate::helpers::http_client();
    let user = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "Xiomara.Quenby@clinic.example", "password": "hunter2-Pl@ceholder",
        "name": {"givenName": "Xiomara", "familyName": "Quenby"}
    });
    let created = client
        .post(served.url("/scim/v2/Users"))
        .bearer_auth(&token)
        .json(&user)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let lookup =
        served.url("/scim/v2/Users?filter=userName%20eq%20%22Xiomara.Quenby%40clinic.example%22");
    assert_eq!(
        client
            .get(lookup)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let bad = client
        .post(served.url("/scim/v2/Users"))
        .bearer_auth(&token)
        .body("{\"userName\": \"Quenby")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    std::thread::sleep(Duration::from_millis(200));

    let logs = served.stderr.lock().unwrap().join("\n");
    assert!(
        logs.contains("request finished"),
        "requests are logged: {logs}"
    );
    for secret in [
        token.as_str(),
        &token[40..],
        "hunter2",
        "Xiomara",
        "Quenby",
        "clinic.example",
    ] {
        assert!(
            !logs.contains(secret),
            "`{secret}` must not be logged:\n{logs}"
        );
    }
}

/// `portcullis policy load` takes the API's policy shape from a file and refuses bad rules.
#[test]
fn policy_load_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/p.db?mode=rwc", dir.path().display());
    run(portcullis(dir.path(), &db)
        .args(["practice", "create", "--slug", "acme", "--name", "Acme"]));
    let file = dir.path().join("policy.json");
    std::fs::write(&file, r#"{"rules": [{"name": "All", "when": {}, "grant": {"availity-essentials": ["eligibility-benefits"]}}]}"#).unwrap();
    let refused = portcullis(dir.path(), &db)
        .args(["policy", "load", "--practice", "acme"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("rule `All`"));
    std::fs::write(&file, r#"{"rules": []}"#).unwrap();
    let loaded = run(portcullis(dir.path(), &db)
        .args(["policy", "load", "--practice", "acme"])
        .arg(&file));
    assert!(stdout(&loaded).contains("policy version 1"));
    assert!(
        stdout(&run(portcullis(dir.path(), &db).args([
            "policy",
            "show",
            "--practice",
            "acme"
        ])))
        .contains("\"rules\"")
    );
}
