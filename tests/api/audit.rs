//! The tamper-evident audit trail: every change recorded and chained; alterations detected.

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::cli::{portcullis, run};
use crate::helpers::{Backend, fixture, spawn_app, storage_test};
use crate::lifecycle::Practice;

storage_test!(
    async fn changes_are_recorded_chained_and_verifiable(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let id = p.hire("aud@acme.example", "Front Desk").await;
        p.scim
            .patch(&format!("/Users/{id}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);

        let (status, page) = p.get("/api/v1/audit?limit=1000").await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        let actions: Vec<&str> = items
            .iter()
            .map(|i| i["action"].as_str().unwrap())
            .collect();
        for expected in [
            "practice_portal.added",
            "policy.updated",
            "scim.user.created",
            "lifecycle.joiner",
            "task.created",
            "scim.user.updated",
            "lifecycle.leaver",
            "task.cancelled",
        ] {
            assert!(actions.contains(&expected), "{expected} in {actions:?}");
        }
        let seqs: Vec<i64> = items.iter().map(|i| i["seq"].as_i64().unwrap()).collect();
        assert_eq!(
            seqs,
            (1..=seqs.len() as i64).collect::<Vec<_>>(),
            "one gap-free chain"
        );
        assert!(
            items
                .iter()
                .all(|i| i["hash"].as_str().unwrap().len() == 64)
        );
        let (_, mine) = p
            .get(&format!(
                "/api/v1/audit?target={id}&action=lifecycle.leaver"
            ))
            .await;
        assert_eq!(mine["items"].as_array().unwrap().len(), 1);
        assert!(mine["items"][0]["request_id"].is_string());

        let (_, report) = p.get("/api/v1/audit/verify").await;
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["records"], items.len());

        // The database refuses to change or remove a record.
        let db = sea_orm::Database::connect(&p.app.settings.database_url)
            .await
            .unwrap();
        assert!(
            db.execute_unprepared(
                "UPDATE audit_event SET actor = 'mallory' WHERE practice_seq = 3"
            )
            .await
            .is_err()
        );
        assert!(
            db.execute_unprepared("DELETE FROM audit_event WHERE practice_seq = 3")
                .await
                .is_err()
        );

        // Someone with the keys goes around the trigger: verification finds the record.
        let tamper = match backend {
            Backend::Sqlite => vec![
                "DROP TRIGGER audit_event_no_update".to_owned(),
                "UPDATE audit_event SET actor = 'mallory' WHERE practice_seq = 3".to_owned(),
            ],
            Backend::Postgres(_) => vec![
                "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only".to_owned(),
                "UPDATE audit_event SET actor = 'mallory' WHERE practice_seq = 3".to_owned(),
            ],
        };
        for sql in tamper {
            db.execute_unprepared(&sql).await.unwrap();
        }
        let (_, report) = p.get("/api/v1/audit/verify").await;
        assert_eq!(report["ok"], false);
        assert_eq!(report["first_broken"], 3);
        assert_eq!(report["records"], 2);
        assert!(report["reason"].as_str().unwrap().contains("altered"));

        // The command line says the same, and fails.
        let dir = tempfile::tempdir().unwrap();
        let out = portcullis(dir.path(), &p.app.settings.database_url)
            .args(["audit", "verify", "--practice", "acme"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("broken at record 3"));
        p.app.practice("other").await;
        let fine = run(portcullis(dir.path(), &p.app.settings.database_url).args([
            "audit",
            "verify",
            "--practice",
            "other",
        ]));
        assert!(String::from_utf8_lossy(&fine.stdout).contains("intact"));
    }
);

storage_test!(
    /// The export streams every record in order, across batch boundaries, as JSON Lines or CSV.
    async fn export_streams_the_whole_trail(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        // Each joiner leaves four records: more than one export batch (1,000) in all.
        for i in 0..260 {
            p.hire(&format!("bulk{i}@acme.example"), "Front Desk").await;
        }
        let (_, verify) = p.get("/api/v1/audit/verify").await;
        let total = verify["records"].as_u64().unwrap();
        assert!(total > 1000, "{total}");

        let jsonl = p
            .app
            .client
            .get(p.app.url("/api/v1/audit/export"))
            .bearer_auth(&p.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(jsonl.headers()["content-type"], "application/x-ndjson");
        let text = jsonl.text().await.unwrap();
        let seqs: Vec<u64> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        // Every record, then the checkpoint made for the export.
        assert_eq!(seqs, (1..=total + 1).collect::<Vec<_>>());
        let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last["action"], "audit.checkpoint");
        assert_eq!(last["detail"]["reason"], "export");

        let csv = p
            .app
            .client
            .get(p.app.url("/api/v1/audit/export?format=csv"))
            .bearer_auth(&p.admin)
            .send()
            .await
            .unwrap();
        let text = csv.text().await.unwrap();
        assert!(text.starts_with("seq,at,actor,action"));
        // The header, every record, the first export's checkpoint, and this one's.
        assert_eq!(text.lines().count() as u64, total + 3);
        assert!(text.lines().last().unwrap().contains("audit.checkpoint"));
        assert_eq!(p.get("/api/v1/audit/export?format=xml").await.0, 400);
    }
);

storage_test!(
    /// A head kept outside the database catches what recomputing the chain cannot: a trail cut
    /// short (or rewritten from scratch) by someone who can bypass the triggers.
    async fn an_anchor_catches_a_trail_cut_short(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        p.hire("one@acme.example", "Front Desk").await;
        let (_, report) = p.get("/api/v1/audit/verify").await;
        assert_eq!(report["ok"], true, "{report}");
        let head_seq = report["head"]["seq"].as_i64().unwrap();
        let head_hash = report["head"]["hash"].as_str().unwrap().to_owned();
        assert_eq!(head_seq, report["records"].as_i64().unwrap());
        assert_eq!(head_hash.len(), 64);

        // Later work extends the chain; the anchor still holds.
        p.hire("two@acme.example", "Front Desk").await;
        let anchored =
            format!("/api/v1/audit/verify?anchor_seq={head_seq}&anchor_hash={head_hash}");
        let (status, report) = p.get(&anchored).await;
        assert_eq!((status, &report["ok"]), (200, &json!(true)), "{report}");

        // A hash that is not the one at that place: the trail was rewritten.
        let wrong = format!(
            "/api/v1/audit/verify?anchor_seq={head_seq}&anchor_hash={}",
            "ab".repeat(32)
        );
        let (_, report) = p.get(&wrong).await;
        assert_eq!(report["ok"], false);
        assert_eq!(report["first_broken"], head_seq);
        assert!(
            report["reason"].as_str().unwrap().contains("rewritten"),
            "{report}"
        );

        // Malformed anchors are refused, not ignored.
        for bad in [
            format!("anchor_seq={head_seq}"),
            format!("anchor_seq={head_seq}&anchor_hash=xyz"),
            format!("anchor_seq=0&anchor_hash={head_hash}"),
        ] {
            let (status, problem) = p.get(&format!("/api/v1/audit/verify?{bad}")).await;
            assert_eq!(status, 400, "{bad}: {problem}");
            assert!(
                problem["detail"].as_str().unwrap().contains("anchor"),
                "{problem}"
            );
        }

        // Someone bypasses the trigger and removes everything from the anchored record on: the
        // shorter chain is internally consistent, but no longer reaches the anchor.
        let db = sea_orm::Database::connect(&p.app.settings.database_url)
            .await
            .unwrap();
        let bypass = match backend {
            Backend::Sqlite => "DROP TRIGGER audit_event_no_delete",
            Backend::Postgres(_) => {
                "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"
            }
        };
        db.execute_unprepared(bypass).await.unwrap();
        db.execute_unprepared(&format!(
            "DELETE FROM audit_event WHERE practice_seq >= {head_seq}"
        ))
        .await
        .unwrap();
        let (_, plain) = p.get("/api/v1/audit/verify").await;
        assert_eq!(
            plain["ok"], true,
            "without an anchor the cut is invisible: {plain}"
        );
        let (_, report) = p.get(&anchored).await;
        assert_eq!(report["ok"], false, "{report}");
        assert_eq!(report["first_broken"], head_seq);
        assert!(
            report["reason"].as_str().unwrap().contains("removed"),
            "{report}"
        );

        // The command line takes the same anchor, as it prints it.
        let dir = tempfile::tempdir().unwrap();
        let out = portcullis(dir.path(), &p.app.settings.database_url)
            .args([
                "audit",
                "verify",
                "--practice",
                "acme",
                "--anchor",
                &format!("{head_seq}:{head_hash}"),
            ])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("records were removed"));
        let fine = run(portcullis(dir.path(), &p.app.settings.database_url).args([
            "audit",
            "verify",
            "--practice",
            "acme",
        ]));
        let printed = String::from_utf8_lossy(&fine.stdout);
        assert!(
            printed.contains(&format!("head {}:", head_seq - 1)),
            "{printed}"
        );
    }
);
