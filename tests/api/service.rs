//! Running it as a service: `check-config`, unknown environment variables, readiness told to
//! systemd, and backups of a running SQLite database that restore with their audit trails
//! whole.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::cli::{Served, portcullis, run};
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

    let pid = served.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let n = socket.recv(&mut buffer).unwrap();
    assert_eq!(&buffer[..n], b"STOPPING=1");
    assert!(served.child.wait().unwrap().success());
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
        run(portcullis(dir.path(), &db)
            .args(["practice", "create", "--slug", slug, "--name", slug]));
        let issued = run(portcullis(dir.path(), &db).args([
            "token",
            "create",
            "--practice",
            slug,
            "--scope",
            "scim",
            "--name",
            "okta",
        ]));
        tokens.push(text(&issued.stdout).lines().last().unwrap().to_owned());
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
