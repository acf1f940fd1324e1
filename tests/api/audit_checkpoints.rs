//! Signed checkpoints and offline verification: TRUNCATE refused; the sweeper signs each chain
//! daily; an export ends with its own checkpoint and `portcullis audit verify-export` (or the
//! README's Python recipe) checks it with no database; a cut, an alteration, a gap, a missing
//! tail and a wrong key are each named. On both backends.

use std::path::Path;
use std::process::{Command, Output};

use chrono::Duration;
use portcullis::domain::audit::checkpoint::AuditSigner;
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::cli::{portcullis, run};
use crate::helpers::{Backend, NowUtc, spawn_app, storage_test, urlencode};
use crate::lifecycle::Practice;

async fn export(p: &Practice, query: &str) -> String {
    let response = p
        .app
        .client
        .get(p.app.url(&format!("/api/v1/audit/export{query}")))
        .bearer_auth(&p.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// `portcullis audit verify-export` in an empty directory, pointed at a database that does
/// not exist: it must need neither.
fn verify_export(dir: &Path, text: &str, key: &str) -> Output {
    let file = dir.join("export.jsonl");
    std::fs::write(&file, text).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    for (name, _) in std::env::vars() {
        if name.starts_with("PORTCULLIS_") {
            command.env_remove(name);
        }
    }
    command
        .current_dir(dir)
        .env(
            "PORTCULLIS_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
        )
        .args(["audit", "verify-export"])
        .arg(&file)
        .args(["--public-key", key])
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn lines(export: &str) -> Vec<Value> {
    export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn joined(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

storage_test!(
    /// PostgreSQL refuses TRUNCATE of the trail and of its checkpoints; and a trail emptied by
    /// someone who goes around the triggers no longer reaches its last signed checkpoint, which
    /// verification names (API and command line).
    async fn truncation_is_refused_and_a_cut_is_caught_by_the_checkpoint(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        p.hire("one@acme.example", "Front Desk").await;
        assert_eq!(p.app.sweep().await.checkpoints, 1);
        let (_, report) = p.get("/api/v1/audit/verify").await;
        assert_eq!(report["ok"], true, "{report}");
        let checkpoint = report["checkpoint"].clone();
        assert_eq!(checkpoint["reason"], "daily");
        assert_eq!(
            checkpoint["seq"].as_i64().unwrap() + 1,
            report["records"].as_i64().unwrap()
        );

        let db = sea_orm::Database::connect(&p.app.settings.database_url)
            .await
            .unwrap();
        if let Backend::Postgres(_) = backend {
            for sql in [
                "TRUNCATE audit_event",
                "TRUNCATE audit_checkpoint",
                "TRUNCATE practice CASCADE",
            ] {
                let refused = db.execute_unprepared(sql).await;
                assert!(refused.is_err(), "{sql} must be refused");
                assert!(
                    refused.unwrap_err().to_string().contains("append-only"),
                    "{sql}"
                );
            }
        }
        for sql in [
            "DELETE FROM audit_checkpoint",
            "UPDATE audit_checkpoint SET seq = 0",
        ] {
            assert!(db.execute_unprepared(sql).await.is_err(), "{sql}");
        }
        let (_, still) = p.get("/api/v1/audit/verify").await;
        assert_eq!(still["records"], report["records"], "nothing was removed");

        // Someone with the keys goes around the triggers and empties the trail.
        let bypass: &[&str] = match backend {
            Backend::Sqlite => &[
                "DROP TRIGGER audit_event_no_delete",
                "DELETE FROM audit_event",
            ],
            Backend::Postgres(_) => &[
                "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate",
                "TRUNCATE audit_event",
            ],
        };
        for sql in bypass {
            db.execute_unprepared(sql).await.unwrap();
        }
        let (_, report) = p.get("/api/v1/audit/verify").await;
        assert_eq!(report["ok"], false, "{report}");
        assert_eq!(report["records"], 0);
        assert_eq!(report["first_broken"], 1);
        let reason = report["reason"].as_str().unwrap();
        assert!(
            reason.contains(&format!("checkpoint of record {}", checkpoint["seq"]))
                && reason.contains("signed at")
                && reason.contains("removed"),
            "{reason}"
        );

        let dir = tempfile::tempdir().unwrap();
        let out = portcullis(dir.path(), &p.app.settings.database_url)
            .env(
                "PORTCULLIS_AUDIT__SIGNING_KEY",
                p.app.settings.audit_signing_key_path(),
            )
            .args(["audit", "verify", "--practice", "acme"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let said = text(&out.stderr);
        assert!(
            said.contains("broken at record 1") && said.contains("checkpoint"),
            "{said}"
        );
    }
);

storage_test!(
    /// The sweeper signs each practice's chain once a day when it moved, never twice for one
    /// head; each checkpoint is an audit record too, and verification checks the chain against
    /// them.
    async fn the_sweeper_signs_each_chain_daily(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let quiet = p.app.practice("quiet").await;
        p.hire("one@acme.example", "Front Desk").await;
        // The first pass signs acme (and not the practice with an empty trail).
        assert_eq!(p.app.sweep().await.checkpoints, 1);
        assert_eq!(p.app.sweep().await.checkpoints, 0, "nothing moved since");

        p.hire("two@acme.example", "Front Desk").await;
        p.app.clock.advance(Duration::hours(23));
        assert_eq!(p.app.sweep().await.checkpoints, 0, "not a day yet");
        p.app.clock.advance(Duration::hours(1));
        assert_eq!(
            p.app.sweep().await.checkpoints,
            1,
            "a day later, the chain moved"
        );
        // Two days on, the tasks' alerts moved the chain: one checkpoint, and not a second.
        p.app.clock.advance(Duration::hours(48));
        assert_eq!(p.app.sweep().await.checkpoints, 1);
        assert_eq!(p.app.sweep().await.checkpoints, 0, "nothing moved since");

        let (_, page) = p.get("/api/v1/audit?action=audit.checkpoint").await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 3, "{page}");
        for item in items {
            let detail = &item["detail"];
            assert_eq!(
                detail["seq"].as_i64().unwrap() + 1,
                item["seq"].as_i64().unwrap()
            );
            assert_eq!(detail["count"], detail["seq"]);
            assert_eq!(detail["reason"], "daily");
            assert_eq!(detail["signature"].as_str().unwrap().len(), 128);
            assert_eq!(item["actor"], "system");
        }
        let (_, report) = p.get("/api/v1/audit/verify").await;
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["checkpoint"]["seq"], items[2]["detail"]["seq"]);
        assert_eq!(report["checkpoint"]["hash"], items[2]["detail"]["hash"]);
        let key = p.app.state.audit_signer.public_key().key_id();
        assert_eq!(report["checkpoint"]["key_id"], key);
        let quiet_trail = p
            .app
            .store
            .tenant(quiet.id)
            .latest_audit_checkpoint()
            .await
            .unwrap();
        assert!(quiet_trail.is_none());
    }
);

storage_test!(
    /// An export ends with the checkpoint made for it and verifies offline with the
    /// deployment's public key; altered, cut, gapped and partial exports and a wrong key each
    /// fail with the reason and the record.
    async fn an_export_verifies_offline_and_each_defect_is_named(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        p.hire("one@acme.example", "Front Desk").await;
        p.app.sweep().await;
        p.hire("two@acme.example", "Billing").await;
        let whole = export(&p, "").await;
        let records = lines(&whole);
        let last = records.last().unwrap();
        assert_eq!(last["action"], "audit.checkpoint");
        assert_eq!(last["detail"]["reason"], "export");
        assert_eq!(
            last["detail"]["seq"].as_i64().unwrap() + 1,
            last["seq"].as_i64().unwrap()
        );
        for field in ["practice_id", "prev_hash", "request_id", "detail"] {
            assert!(records[0].get(field).is_some(), "{field}");
        }

        // The public key, alone on a line, from the same configuration as the service.
        let dir = tempfile::tempdir().unwrap();
        let printed = run(portcullis(dir.path(), &p.app.settings.database_url)
            .env(
                "PORTCULLIS_AUDIT__SIGNING_KEY",
                p.app.settings.audit_signing_key_path(),
            )
            .args(["audit", "public-key"]));
        let key = text(&printed.stdout);
        assert_eq!(key.lines().count(), 1);
        let key = key.trim().to_owned();
        assert_eq!(key, p.app.state.audit_signer.public_key().to_hex());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(p.app.settings.audit_signing_key_path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let ok = verify_export(dir.path(), &whole, &key);
        assert!(ok.status.success(), "{}", text(&ok.stderr));
        let said = text(&ok.stdout);
        assert!(
            said.contains("export verified") && said.contains("2 signed checkpoints"),
            "{said}"
        );

        let fails = |export: &str, key: &str, expected: &[&str]| {
            let out = verify_export(dir.path(), export, key);
            assert!(!out.status.success(), "{expected:?} must fail");
            let said = text(&out.stderr);
            for part in expected {
                assert!(said.contains(part), "{part:?} in {said}");
            }
        };
        // An altered record.
        let mut altered = records.clone();
        altered[3]["actor"] = Value::from("mallory");
        fails(&joined(&altered), &key, &["line 4, record 4", "altered"]);
        // A gap.
        let mut gap = records.clone();
        gap.remove(5);
        fails(
            &joined(&gap),
            &key,
            &["record 7", "gap", "records 6 to 6 are missing"],
        );
        // A missing tail: the export's checkpoint cut off, or more.
        let n = records.len();
        fails(&joined(&records[..n - 1]), &key, &["missing tail"]);
        fails(&joined(&records[..n - 3]), &key, &["missing tail"]);
        // Cut right after the daily checkpoint: that is not the end of an export.
        let daily = records
            .iter()
            .position(|r| r["action"] == "audit.checkpoint")
            .unwrap();
        fails(
            &joined(&records[..=daily]),
            &key,
            &["missing tail", "daily"],
        );
        // A wrong key, and a key that is not one.
        let other = AuditSigner::from_seed(&[9; 32]).public_key().to_hex();
        fails(&whole, &other, &["not by the key given"]);
        fails(&whole, "abc", &["--public-key"]);
        // A partial export (from/to) cannot be checked whole.
        p.app.clock.advance(Duration::seconds(5));
        let now = p.app.clock.now_utc().to_rfc3339();
        let partial = export(&p, &format!("?from={}", urlencode(&now))).await;
        assert_eq!(
            lines(&partial).len(),
            1,
            "only the export's checkpoint is that recent"
        );
        fails(&partial, &key, &["starts at record", "partial"]);

        // The README's recipe in Python says the same (signatures if `cryptography` is there).
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/verify_export.py");
        let python = |export: &str, key: &str| -> Option<Output> {
            let file = dir.path().join("python.jsonl");
            std::fs::write(&file, export).unwrap();
            let with_signatures = Command::new("python3")
                .args(["-c", "import cryptography"])
                .status()
                .ok()?
                .success();
            let mut command = Command::new("python3");
            command.arg(&script).arg(&file).arg(key);
            if !with_signatures {
                command.arg("--hashes-only");
            }
            command.output().ok()
        };
        if let Some(good) = python(&whole, &key) {
            assert!(good.status.success(), "{}", text(&good.stdout));
            assert!(text(&good.stdout).contains("export verified"));
            let bad = python(&joined(&altered), &key).unwrap();
            assert!(!bad.status.success());
            assert!(
                text(&bad.stdout).contains("record 4"),
                "{}",
                text(&bad.stdout)
            );
            let cut = python(&joined(&records[..n - 1]), &key).unwrap();
            assert!(!cut.status.success());
            assert!(text(&cut.stdout).contains("missing tail"));
            let wrong = python(&whole, &other).unwrap();
            assert!(!wrong.status.success());
        } else {
            eprintln!("python3 is not available: the Python recipe was not run");
        }
    }
);
