//! Running it as a service: `check-config`, unknown environment variables, readiness told to
//! systemd, and backups of a running SQLite database that restore with their audit trails
//! whole.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::cli::{Served, portcullis, practice_with_token, run};
use crate::helpers::Backend;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn failed(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "expected a failure; stdout: {}",
        text(&output.stdout)
    );
    text(&output.stderr)
}

#[test]
fn check_config_prints_the_settings_with_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = portcullis(
        dir.path(),
        "postgres://portcullis:pg-secret-1@db.internal/p",
    );
    command
        .env("PORTCULLIS_METRICS_TOKEN", "metrics-secret-0123456789")
        .env("PORTCULLIS_RETENTION__DELIVERIES", "30d")
        .env("PORTCULLIS_HOME", "/opt/portcullis")
        .arg("check-config");
    let output = run(&mut command);
    let shown = text(&output.stdout);
    assert!(!shown.contains("pg-secret-1"), "{shown}");
    assert!(!shown.contains("metrics-secret"), "{shown}");
    assert!(shown.contains("portcullis:********@db.internal"), "{shown}");
    assert!(shown.contains("deliveries = \"30d\""), "{shown}");
    // Without secrets, what it prints is a configuration file that loads to the same.
    let mut plain = portcullis(dir.path(), "sqlite://x.db?mode=rwc");
    plain.env("PORTCULLIS_RETENTION__DELIVERIES", "30d");
    let plain = text(&run(plain.arg("check-config")).stdout);
    std::fs::write(dir.path().join("shown.toml"), &plain).unwrap();
    let mut again = portcullis(dir.path(), "");
    again
        .env_remove("PORTCULLIS_DATABASE_URL")
        .arg("--config")
        .arg(dir.path().join("shown.toml"));
    assert_eq!(text(&run(again.arg("check-config")).stdout), plain);

    // A variable of the deployment's own is a warning naming it, not a refusal.
    let warnings = text(&output.stderr);
    assert!(warnings.contains("PORTCULLIS_HOME"), "{warnings}");
    assert!(!warnings.contains("PORTCULLIS_METRICS_TOKEN"), "{warnings}");
}

#[test]
fn check_config_fails_naming_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let db = "sqlite://x.db?mode=rwc";
    let mut short = portcullis(dir.path(), db);
    short.env("PORTCULLIS_RETENTION__AUDIT", "5years");
    let stderr = failed(&short.arg("check-config").output().unwrap());
    assert!(stderr.contains("retention.audit"), "{stderr}");

    let mut catalog = portcullis(dir.path(), db);
    catalog.env("PORTCULLIS_CATALOG_FILE", dir.path().join("missing.toml"));
    let stderr = failed(&catalog.arg("check-config").output().unwrap());
    assert!(stderr.contains("catalog_file"), "{stderr}");

    let mut tls = portcullis(dir.path(), db);
    tls.env("PORTCULLIS_TLS__CERT_FILE", dir.path().join("none.pem"))
        .env("PORTCULLIS_TLS__KEY_FILE", dir.path().join("none.key"));
    let stderr = failed(&tls.arg("check-config").output().unwrap());
    assert!(stderr.contains("tls"), "{stderr}");

    // An unknown key in the file stays an error.
    std::fs::write(
        dir.path().join("typo.toml"),
        "[retention]\ndelivery = \"30d\"\n",
    )
    .unwrap();
    let mut typo = portcullis(dir.path(), db);
    typo.arg("--config").arg(dir.path().join("typo.toml"));
    let stderr = failed(&typo.arg("check-config").output().unwrap());
    assert!(stderr.contains("delivery"), "{stderr}");
}

#[test]
fn the_example_configuration_checks() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/portcullis.toml.example");
    let mut command = portcullis(dir.path(), "");
    command
        .env_remove("PORTCULLIS_DATABASE_URL")
        .arg("--config")
        .arg(example);
    run(command.arg("check-config"));
}

/// Under systemd (`Type=notify`) the service says READY=1 once it serves and STOPPING=1 when
/// SIGTERM starts the drain.
#[tokio::test]
async fn readiness_and_stopping_are_told_to_the_service_manager() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let db = format!("sqlite://{}/p.db?mode=rwc", dir.path().display());
    let mut command = portcullis(dir.path(), &db);
    command.env("NOTIFY_SOCKET", &socket_path);
    let mut served = Served::start(command);
    let mut buffer = [0u8; 256];
    let n = socket.recv(&mut buffer).unwrap();
    assert_eq!(&buffer[..n], b"READY=1");
    let health = crate::helpers::http_client()
        .get(served.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    served.stop_gracefully();
    let n = socket.recv(&mut buffer).unwrap();
    assert_eq!(&buffer[..n], b"STOPPING=1");
}

#[test]
fn backup_on_postgres_points_at_pg_dump() {
    let Some(Backend::Postgres(url)) = Backend::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut command = portcullis(dir.path(), &url);
    let stderr = failed(
        &command
            .args(["backup", "--to"])
            .arg(dir.path().join("b.db"))
            .output()
            .unwrap(),
    );
    assert!(stderr.contains("pg_dump"), "{stderr}");
}

/// PostgreSQL without autovacuum keeps no planner statistics, and lookups then walk the whole
/// directory: the service warns at start exactly when the server has autovacuum off.
#[tokio::test]
async fn postgres_without_autovacuum_is_warned_about() {
    use sea_orm::{ConnectionTrait, Statement};
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = backend.fresh_database(dir.path()).await;
    let db = sea_orm::Database::connect(database.url.as_str())
        .await
        .unwrap();
    let setting = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SHOW autovacuum",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    let mut served = Served::start(portcullis(dir.path(), &database.url));
    let said = served.stderr.lock().unwrap().join("\n");
    assert_eq!(
        said.contains("autovacuum is off"),
        setting == "off",
        "autovacuum={setting}: {said}"
    );
    served.stop_gracefully();
}

/// A backup taken while an identity provider writes is consistent: restored into an empty
/// location, every practice's audit trail verifies, and its head is a record of the live
/// chain (the live chain verifies with it as an anchor). A backup never overwrites, and a
/// restore never goes over a database that is there.
#[tokio::test]
async fn a_backup_under_load_restores_with_every_audit_trail_intact() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/live.db?mode=rwc", dir.path().display());
    let mut tokens = Vec::new();
    for slug in ["acme", "lakeside"] {
        tokens.push(practice_with_token(dir.path(), &db, slug, "scim"));
    }
    let served = Served::start(portcullis(dir.path(), &db));

    // Two identity providers create people as fast as they are answered.
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for (n, token) in tokens.iter().enumerate() {
        let (stop, acknowledged) = (stop.clone(), acknowledged.clone());
        let (url, token) = (served.url("/scim/v2/Users"), token.clone());
        writers.push(tokio::spawn(async move {
            let client = crate::helpers::http_client();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/scim+json")
                    .json(&json!({
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": format!("person{i}@practice{n}.example"),
                        "active": true,
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                acknowledged.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    while acknowledged.load(Ordering::Relaxed) < 40 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let backup = dir.path().join("backup.db");
    let output = run(portcullis(dir.path(), &db)
        .args(["backup", "--to"])
        .arg(&backup));
    assert!(
        text(&output.stdout).contains("backed up to"),
        "{}",
        text(&output.stdout)
    );
    let during = acknowledged.load(Ordering::Relaxed);
    // The writers carry on after the backup.
    while acknowledged.load(Ordering::Relaxed) < during + 20 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }

    let again = portcullis(dir.path(), &db)
        .args(["backup", "--to"])
        .arg(&backup)
        .output()
        .unwrap();
    assert!(failed(&again).contains("already exists"));

    // Into an empty location, with the deployment's signing key beside it.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join("portcullis-audit.key"),
        elsewhere.path().join("portcullis-audit.key"),
    )
    .unwrap();
    let restored_db = format!(
        "sqlite://{}/restored.db?mode=rwc",
        elsewhere.path().display()
    );
    let output = run(portcullis(elsewhere.path(), &restored_db)
        .args(["restore", "--from"])
        .arg(&backup));
    let report = text(&output.stdout);
    let heads: Vec<(String, String)> = report
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("audit trail of ")?;
            let (slug, rest) = rest.split_once(" is intact: ")?;
            Some((slug.to_owned(), rest.rsplit_once("head ")?.1.to_owned()))
        })
        .collect();
    assert_eq!(heads.len(), 2, "{report}");
    for (slug, head) in &heads {
        // The live chain runs through the restored head, and keeps going.
        let verified = run(portcullis(dir.path(), &db).args([
            "audit",
            "verify",
            "--practice",
            slug,
            "--anchor",
            head,
        ]));
        assert!(text(&verified.stdout).contains("is intact"));
        // The restored database verifies by itself too, signatures included.
        let restored = run(portcullis(elsewhere.path(), &restored_db).args([
            "audit",
            "verify",
            "--practice",
            slug,
        ]));
        assert!(
            text(&restored.stdout).contains(head.as_str()),
            "{}",
            text(&restored.stdout)
        );
    }

    // Not over a database that is there.
    let over = portcullis(elsewhere.path(), &restored_db)
        .args(["restore", "--from"])
        .arg(&backup)
        .output()
        .unwrap();
    assert!(failed(&over).contains("already exists"));
    // Not from a file that is no backup.
    std::fs::write(elsewhere.path().join("notes.txt"), "not a database").unwrap();
    let empty = format!("sqlite://{}/other.db?mode=rwc", elsewhere.path().display());
    let junk = portcullis(elsewhere.path(), &empty)
        .args(["restore", "--from"])
        .arg(elsewhere.path().join("notes.txt"))
        .output()
        .unwrap();
    assert!(failed(&junk).contains("is not a Portcullis backup"));
    assert!(!elsewhere.path().join("other.db").exists());
}

/// Sends SCIM creates to two instances as a load balancer would: round robin, and on a
/// refused or broken connection the same request goes to the other instance. Returns the
/// userNames acknowledged (201, or 409 on a retry: the first attempt was written).
async fn create_people_across(
    urls: [String; 2],
    token: String,
    stop: Arc<AtomicBool>,
    next: Arc<AtomicUsize>,
    acknowledged: Arc<std::sync::Mutex<Vec<String>>>,
) {
    portcullis::startup::install_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    while !stop.load(Ordering::Relaxed) {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let user_name = format!("rolling{i}@acme.example");
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "active": true,
        });
        let mut retried = false;
        for attempt in 0..100 {
            let url = &urls[(i + attempt) % 2];
            let sent = client
                .post(format!("{url}/scim/v2/Users"))
                .bearer_auth(&token)
                .header("content-type", "application/scim+json")
                .json(&body)
                .send()
                .await;
            match sent.map(|r| r.status().as_u16()) {
                Ok(201) => {
                    acknowledged.lock().unwrap().push(user_name.clone());
                    break;
                }
                Ok(409) if retried => {
                    acknowledged.lock().unwrap().push(user_name.clone());
                    break;
                }
                Ok(503) | Err(_) => {
                    retried = true;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // The credential's rate limit: not written, wait and send again.
                Ok(429) => tokio::time::sleep(Duration::from_millis(200)).await,
                Ok(status) => panic!("{user_name}: answered {status}"),
            }
        }
    }
}

/// Two instances started at the same moment on an empty PostgreSQL database both come up
/// (migrations take a lock: one applies them, the other waits and finds nothing to do); then
/// each is restarted in turn (SIGTERM, drain, start) while an identity provider keeps writing
/// through both, and every acknowledged write is in the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_start_together_and_a_rolling_restart_loses_nothing() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = backend.fresh_database(dir.path()).await;
    let url = database.url.clone();
    let key = dir.path().join("portcullis-audit.key");
    let instance = {
        let (dir, url, key) = (dir.path().to_owned(), url.clone(), key.clone());
        move || {
            let mut command = portcullis(&dir, &url);
            command.env("PORTCULLIS_AUDIT__SIGNING_KEY", &key);
            command
        }
    };
    let (first, second) = (instance(), instance());
    let a = std::thread::spawn(move || Served::start(first));
    let b = std::thread::spawn(move || Served::start(second));
    let (mut a, mut b) = (a.join().unwrap(), b.join().unwrap());
    let status = run(portcullis(dir.path(), &url).args(["migrate", "--status"]));
    assert!(
        text(&status.stdout).contains("up to date"),
        "{}",
        text(&status.stdout)
    );

    let token = practice_with_token(dir.path(), &url, "acme", "scim");

    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(1));
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
    let wait_for = |n: usize, acknowledged: &Arc<std::sync::Mutex<Vec<String>>>| {
        let acknowledged = acknowledged.clone();
        async move {
            let start = acknowledged.lock().unwrap().len();
            let deadline = Instant::now() + Duration::from_secs(60);
            while acknowledged.lock().unwrap().len() < start + n {
                assert!(Instant::now() < deadline, "the writers stopped");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };

    // Restart A under load, then B; each round's writers know the ports of that moment.
    for round in 0..2 {
        let writers: Vec<_> = (0..4)
            .map(|_| {
                // The instances' ports change on restart: each round's balancer knows them.
                tokio::spawn(create_people_across(
                    [a.url(""), b.url("")],
                    token.clone(),
                    stop.clone(),
                    next.clone(),
                    acknowledged.clone(),
                ))
            })
            .collect();
        wait_for(30, &acknowledged).await;
        let restarting = if round == 0 { &mut a } else { &mut b };
        restarting.stop_gracefully();
        wait_for(30, &acknowledged).await;
        stop.store(true, Ordering::Relaxed);
        for writer in writers {
            writer.await.unwrap();
        }
        stop.store(false, Ordering::Relaxed);
        *restarting = Served::start(instance());
    }

    // Every acknowledged person is there.
    let acknowledged = acknowledged.lock().unwrap().clone();
    let client = crate::helpers::http_client();
    let mut stored = std::collections::HashSet::new();
    let mut start = 1;
    loop {
        let page: serde_json::Value = client
            .get(a.url(&format!("/scim/v2/Users?startIndex={start}&count=500")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let resources = page["Resources"].as_array().cloned().unwrap_or_default();
        for user in &resources {
            stored.insert(user["userName"].as_str().unwrap().to_owned());
        }
        if resources.len() < 500 {
            break;
        }
        start += 500;
    }
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|u| !stored.contains(*u))
        .collect();
    assert!(acknowledged.len() >= 120, "{}", acknowledged.len());
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    drop((a, b));
}
