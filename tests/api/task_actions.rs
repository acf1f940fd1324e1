//! Working the queue: the task state machine, account updates on completion, blocking, races.

use serde_json::{Value, json};

use crate::helpers::{NowUtc, fixture, spawn_app, storage_test};
use crate::lifecycle::Practice;

/// An action, its body, and for each starting state the state it leads to (`None`: 409).
type Row<'a> = (&'a str, Option<Value>, [(&'a str, Option<&'a str>); 6]);
/// How to bring an open task into a state: the actions to apply first.
type PathTo<'a> = (&'a str, &'a [(&'a str, Option<Value>)]);

/// Applies `action`; a completion without a body given carries a confirmation number (a
/// completion needs evidence; `completion_needs_evidence_and_a_body_that_parses` tests that).
/// Verification is the second administrator's (four-eyes is on by default).
async fn act(p: &Practice, task: &str, action: &str, body: Option<Value>) -> (u16, Value) {
    let body = match (action, body) {
        ("complete", None) => Some(json!({"confirmation_number": "CONF-1"})),
        (_, body) => body,
    };
    let token = if action == "verify" {
        &p.verifier
    } else {
        &p.admin
    };
    let mut request = p
        .app
        .client
        .post(p.app.url(&format!("/api/v1/tasks/{task}/{action}")))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

storage_test!(
    /// Every action from every state: legal ones move the task, illegal ones are 409 naming
    /// the state and change nothing.
    async fn the_state_machine(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let reason = || Some(json!({"reason": "portal down"}));
        let assignee = || Some(json!({"assignee": "vic@acme.example"}));
        // (action, body, from-state → expected state or None for 409)
        let table: Vec<Row> = vec![
            (
                "claim",
                None,
                [
                    ("open", Some("claimed")),
                    ("claimed", None),
                    ("done", None),
                    ("verified", None),
                    ("failed", None),
                    ("cancelled", None),
                ],
            ),
            (
                "unclaim",
                None,
                [
                    ("open", None),
                    ("claimed", Some("open")),
                    ("done", None),
                    ("verified", None),
                    ("failed", None),
                    ("cancelled", None),
                ],
            ),
            (
                "complete",
                Some(json!({"note": "done"})),
                [
                    ("open", Some("done")),
                    ("claimed", Some("done")),
                    ("done", None),
                    ("verified", None),
                    ("failed", None),
                    ("cancelled", None),
                ],
            ),
            (
                "verify",
                None,
                [
                    ("open", None),
                    ("claimed", None),
                    ("done", Some("verified")),
                    ("verified", None),
                    ("failed", None),
                    ("cancelled", None),
                ],
            ),
            (
                "fail",
                reason(),
                [
                    ("open", Some("failed")),
                    ("claimed", Some("failed")),
                    ("done", None),
                    ("verified", None),
                    ("failed", None),
                    ("cancelled", None),
                ],
            ),
            (
                "reopen",
                None,
                [
                    ("open", None),
                    ("claimed", None),
                    ("done", None),
                    ("verified", None),
                    ("failed", Some("open")),
                    ("cancelled", None),
                ],
            ),
            (
                "cancel",
                reason(),
                [
                    ("open", Some("cancelled")),
                    ("claimed", Some("cancelled")),
                    ("done", None),
                    ("verified", None),
                    ("failed", Some("cancelled")),
                    ("cancelled", None),
                ],
            ),
            (
                "reassign",
                assignee(),
                [
                    ("open", Some("open")),
                    ("claimed", Some("claimed")),
                    ("done", None),
                    ("verified", None),
                    ("failed", None),
                    ("cancelled", None),
                ],
            ),
        ];
        // How to bring a fresh open task into each state.
        let paths: [PathTo; 6] = [
            ("open", &[]),
            ("claimed", &[("claim", None)]),
            ("done", &[("complete", None)]),
            ("verified", &[("complete", None), ("verify", None)]),
            ("failed", &[("fail", Some(json!({"reason": "x"})))]),
            ("cancelled", &[("cancel", Some(json!({"reason": "x"})))]),
        ];
        let mut n = 0;
        for (action, body, cases) in &table {
            for (from, expected) in cases {
                n += 1;
                let person = p.hire(&format!("sm{n}@acme.example"), "Front Desk").await;
                let task = p.tasks(&person, "open").await[0]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                let steps = paths.iter().find(|(s, _)| s == from).unwrap().1;
                for (step, step_body) in steps {
                    assert_eq!(
                        act(&p, &task, step, step_body.clone()).await.0,
                        200,
                        "{step} to reach {from}"
                    );
                }
                let (status, result) = act(&p, &task, action, body.clone()).await;
                match expected {
                    Some(state) => {
                        assert_eq!(status, 200, "{action} from {from}: {result}");
                        assert_eq!(result["state"], *state, "{action} from {from}");
                    }
                    None => {
                        assert_eq!(status, 409, "{action} from {from}: {result}");
                        assert!(
                            result["detail"].as_str().unwrap().contains(from),
                            "{result}"
                        );
                        let (_, unchanged) = p.get(&format!("/api/v1/tasks/{task}")).await;
                        assert_eq!(unchanged["state"], *from);
                    }
                }
            }
        }
        let person = p.hire("noreason@acme.example", "Front Desk").await;
        let task = p.tasks(&person, "open").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            act(&p, &task, "fail", Some(json!({"reason": "  "})))
                .await
                .0,
            422
        );
        assert_eq!(act(&p, &task, "cancel", None).await.0, 400);
        assert_eq!(
            act(&p, "00000000-0000-0000-0000-000000000000", "claim", None)
                .await
                .0,
            404
        );
    }
);

storage_test!(
    /// Completing tasks keeps portal accounts true, so the engine then sees the person in step.
    async fn completion_updates_accounts(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let id = p.hire("done@acme.example", "Front Desk").await;
        for task in p.tasks(&id, "open").await {
            let (status, body) = act(
                &p,
                task["id"].as_str().unwrap(),
                "complete",
                Some(json!({"portal_username": "dwhit", "confirmation_number": "AV-123"})),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        let (_, access) = p.get(&format!("/api/v1/people/{id}/access")).await;
        assert!(
            access["portals"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["in_step"] == true),
            "{access}"
        );
        assert_eq!(access["portals"][0]["username"], "dwhit");
        // Replaying the joiner's attributes changes nothing now.
        p.scim
            .patch(
                &format!("/Users/{id}"),
                json!({"Operations": [{"op": "replace", "path": "title", "value": "Front Desk"}]}),
            )
            .await
            .expect(200);
        assert!(p.tasks(&id, "open").await.is_empty());

        p.scim
            .patch(&format!("/Users/{id}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);
        for task in p.tasks(&id, "open").await {
            assert_eq!(
                act(&p, task["id"].as_str().unwrap(), "complete", None)
                    .await
                    .0,
                200
            );
        }
        let (_, access) = p.get(&format!("/api/v1/people/{id}/access")).await;
        assert!(
            access["portals"].as_array().unwrap().is_empty(),
            "accounts revoked: {access}"
        );
    }
);

storage_test!(
    /// A deprovision waits for its transfer_admin; two admins completing one task: one wins.
    async fn blocking_and_races(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let admin = p.hire("adm@acme.example", "Front Desk").await;
        p.record(
            &admin,
            "availity-essentials",
            &["administrator", "eligibility-benefits"],
        )
        .await;
        p.scim
            .patch(&format!("/Users/{admin}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);
        let open = p.tasks(&admin, "open").await;
        let transfer = open.iter().find(|t| t["kind"] == "transfer_admin").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let deprovision = open
            .iter()
            .find(|t| t["kind"] == "deprovision" && t["portal"] == "availity-essentials")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, problem) = act(&p, &deprovision, "complete", None).await;
        assert_eq!(status, 409);
        assert!(
            problem["detail"].as_str().unwrap().contains(&transfer),
            "{problem}"
        );
        assert_eq!(act(&p, &transfer, "complete", None).await.0, 200);

        let racers = (0..2).map(|_| {
            let client = p.app.client.clone();
            let url = p.app.url(&format!("/api/v1/tasks/{deprovision}/complete"));
            let token = p.admin.clone();
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"confirmation_number": "RACE-1"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        });
        let mut statuses: Vec<u16> = futures_util::future::join_all(racers)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        statuses.sort();
        assert_eq!(statuses, vec![200, 409], "exactly one completion wins");
        let (status, _) = act(&p, &deprovision, "verify", None).await;
        assert_eq!(status, 200);
        let stale = p
            .app
            .client
            .post(p.app.url(&format!("/api/v1/tasks/{transfer}/verify")))
            .bearer_auth(&p.admin)
            .header("If-Match", "W/\"1\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 412);

        // Another practice's administrator cannot touch it; a read-only token cannot act.
        let other = p.app.practice("other").await;
        let theirs = p
            .app
            .admin_token(&other, "olga@other.example", "portal_admin")
            .await;
        let foreign = p
            .app
            .client
            .post(p.app.url(&format!("/api/v1/tasks/{transfer}/verify")))
            .bearer_auth(theirs)
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 404);
        let practice = p.app.store.list_practices().await.unwrap().remove(0);
        let reader = p.app.token(&practice, "admin:read").await;
        let denied = p
            .app
            .client
            .post(p.app.url(&format!("/api/v1/tasks/{transfer}/verify")))
            .bearer_auth(reader)
            .send()
            .await
            .unwrap();
        assert_eq!(denied.status(), 403);
    }
);

storage_test!(
    /// The queue puts overdue work first and counts it per portal; the summary feeds dashboards.
    async fn queue_and_summary(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let early = p.hire("early@acme.example", "Front Desk").await;
        p.app.clock.advance(chrono::Duration::hours(1));
        let late = p.hire("late@acme.example", "Front Desk").await;
        // 72h after the first hire: its two provision tasks are overdue, the others not yet.
        p.app
            .clock
            .advance(chrono::Duration::hours(71) + chrono::Duration::seconds(1));
        let (status, queue) = p.get("/api/v1/queue").await;
        assert_eq!(status, 200, "{queue}");
        assert_eq!(queue["open"], 4);
        assert_eq!(queue["overdue"], 2);
        let order: Vec<(&str, bool)> = queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["person_id"].as_str().unwrap(),
                    t["overdue"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            order,
            vec![
                (early.as_str(), true),
                (early.as_str(), true),
                (late.as_str(), false),
                (late.as_str(), false)
            ]
        );
        let nmp = queue["by_portal"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["portal"] == "noridian-nmp")
            .unwrap();
        assert_eq!(
            (nmp["open"].as_u64(), nmp["overdue"].as_u64()),
            (Some(2), Some(1))
        );
        assert_eq!(nmp["portal_name"], "Noridian Medicare Portal");
        let (_, only) = p.get("/api/v1/queue?portal=noridian-nmp").await;
        assert_eq!(only["items"].as_array().unwrap().len(), 2);
        assert_eq!(only["open"], 2);

        let task = queue["items"][3]["id"].as_str().unwrap().to_owned();
        assert_eq!(act(&p, &task, "complete", None).await.0, 200);
        let (status, summary) = p.get("/api/v1/queue/summary").await;
        assert_eq!(status, 200, "{summary}");
        assert_eq!(summary["by_state"]["open"], 3);
        assert_eq!(summary["by_state"]["done"], 1);
        assert_eq!(summary["by_kind"]["provision"], 4);
        assert_eq!(summary["overdue"], 2);
        assert_eq!(summary["oldest_overdue"]["person_id"], early);
    }
);

storage_test!(
    /// The leaver report on a scripted scenario: one portal done in time, one late, one pending.
    async fn leaver_report(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let start = p.app.clock.now_utc();
        let id = p.hire("gone@acme.example", "Front Desk").await;
        p.record(&id, "availity-essentials", &["eligibility-benefits"])
            .await;
        p.record(&id, "noridian-nmp", &["eligibility"]).await;
        let other = p.hire("stays@acme.example", "Front Desk").await;
        p.record(&other, "noridian-nmp", &["eligibility"]).await;
        p.scim
            .patch(&format!("/Users/{id}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);
        let tasks = p.tasks(&id, "open").await;
        let availity = tasks
            .iter()
            .find(|t| t["portal"] == "availity-essentials")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let nmp = tasks
            .iter()
            .find(|t| t["portal"] == "noridian-nmp")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        p.app.clock.advance(chrono::Duration::minutes(30));
        assert_eq!(
            act(
                &p,
                &availity,
                "complete",
                Some(json!({"confirmation_number": "A-1"}))
            )
            .await
            .0,
            200
        );
        assert_eq!(act(&p, &availity, "verify", None).await.0, 200);
        p.app.clock.advance(chrono::Duration::hours(2));
        assert_eq!(act(&p, &nmp, "complete", None).await.0, 200);

        let window = format!(
            "from={}&to={}",
            crate::helpers::urlencode(&start.to_rfc3339()),
            crate::helpers::urlencode(&(start + chrono::Duration::days(1)).to_rfc3339())
        );
        let (status, report) = p.get(&format!("/api/v1/reports/leavers?{window}")).await;
        assert_eq!(status, 200, "{report}");
        let lines = report["items"].as_array().unwrap();
        assert_eq!(lines.len(), 2, "only the leaver, one line per portal");
        let line = |portal: &str| lines.iter().find(|l| l["portal"] == portal).unwrap();
        assert_eq!(line("availity-essentials")["sla"], "met");
        assert_ne!(
            line("availity-essentials")["verified_by"],
            line("availity-essentials")["done_by"]
        );
        assert_eq!(line("availity-essentials")["self_verified"], false);
        assert_eq!(line("noridian-nmp")["sla"], "missed");
        assert_eq!(
            line("noridian-nmp")["person_display"],
            "Front Desk gone@acme.example"
        );

        let csv = p
            .app
            .client
            .get(
                p.app
                    .url(&format!("/api/v1/reports/leavers?{window}&format=csv")),
            )
            .bearer_auth(&p.admin)
            .send()
            .await
            .unwrap();
        assert!(
            csv.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = csv.text().await.unwrap();
        assert!(text.starts_with("person_id,person,event_at,portal"));
        assert_eq!(text.lines().count(), 3);
        let (_, access) = p.get("/api/v1/reports/access").await;
        let holders: Vec<&str> = access["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["person_id"].as_str().unwrap())
            .collect();
        assert_eq!(
            holders,
            vec![other.as_str()],
            "the leaver's accounts are revoked"
        );
        // Without `from` and `to`, the last 90 days (issue 15): no longer a 400.
        assert_eq!(p.get("/api/v1/reports/leavers?format=csv").await.0, 200);
        assert_eq!(p.get("/api/v1/reports/leavers?format=xml").await.0, 400);
    }
);

storage_test!(
    /// Four-eyes verification, and bulk claim/reassign (never bulk completion).
    async fn four_eyes_and_bulk(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let a = p.hire("fe1@acme.example", "Front Desk").await;
        let b = p.hire("fe2@acme.example", "Front Desk").await;
        let ids: Vec<String> = [p.tasks(&a, "open").await, p.tasks(&b, "open").await]
            .concat()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect();

        let (status, results) = p
            .post(
                "/api/v1/tasks/bulk",
                json!({"action": "claim", "task_ids": ids}),
            )
            .await;
        assert_eq!(status, 200, "{results}");
        assert!(
            results["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["status"] == 200)
        );
        let (_, again) = p.post("/api/v1/tasks/bulk", json!({"action": "claim", "task_ids": [ids[0], "00000000-0000-0000-0000-000000000000"]})).await;
        assert_eq!(again["items"][0]["status"], 409);
        assert_eq!(again["items"][1]["status"], 404);
        let (_, moved) = p
            .post(
                "/api/v1/tasks/bulk",
                json!({"action": "reassign", "task_ids": [ids[1]], "assignee": "VIC@acme.example"}),
            )
            .await;
        assert_eq!(moved["items"][0]["status"], 200);
        assert_eq!(
            p.get(&format!("/api/v1/tasks/{}", ids[1])).await.1["assignee"],
            "vic@acme.example",
            "stored as the administrator's e-mail"
        );
        assert_eq!(
            p.post(
                "/api/v1/tasks/bulk",
                json!({"action": "complete", "task_ids": [ids[0]]})
            )
            .await
            .0,
            422
        );

        // Four-eyes is on without anyone turning it on.
        assert_eq!(
            p.get("/api/v1/settings/verification").await.1["four_eyes"],
            true
        );
        assert_eq!(act(&p, &ids[0], "complete", None).await.0, 200);
        let (status, problem) = p
            .post(&format!("/api/v1/tasks/{}/verify", ids[0]), json!({}))
            .await;
        assert_eq!(status, 409, "the completer cannot verify: {problem}");
        // With two portal administrators it cannot be turned off.
        let (status, problem) = p
            .put("/api/v1/settings/verification", json!({"four_eyes": false}))
            .await;
        assert_eq!(status, 422, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("2 portal administrators")
        );
        // The second administrator verifies.
        assert_eq!(act(&p, &ids[0], "verify", None).await.0, 200);
        let (_, task) = p.get(&format!("/api/v1/tasks/{}", ids[0])).await;
        assert_eq!(
            task["verified_by"],
            "admin vic <vic@acme.example> (portal_admin)"
        );
        assert_eq!(
            task["done_by"],
            "admin pat <pat@acme.example> (portal_admin)"
        );
    }
);

/// A `multipart/form-data` body with one `file` field.
fn multipart(filename: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "portcullis-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

storage_test!(
    /// Evidence files: stored with their SHA-256, typed by content, served within the practice only.
    async fn evidence_files(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let person = p.hire("ev@acme.example", "Front Desk").await;
        let task = p.tasks(&person, "open").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let upload = |filename: &str, data: Vec<u8>, token: String| {
            let (content_type, body) = multipart(filename, &data);
            let request = p
                .app
                .client
                .post(p.app.url(&format!("/api/v1/tasks/{task}/evidence")))
                .bearer_auth(token)
                .header("Content-Type", content_type)
                .body(body);
            async move {
                let response = request.send().await.unwrap();
                (
                    response.status().as_u16(),
                    response.json::<Value>().await.unwrap_or(Value::Null),
                )
            }
        };
        let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[7u8; 5000]].concat();
        let (status, stored) = upload("portal user page.png", png.clone(), p.admin.clone()).await;
        assert_eq!(status, 201, "{stored}");
        assert_eq!(stored["content_type"], "image/png");
        use sha2::Digest;
        assert_eq!(stored["sha256"], hex::encode(sha2::Sha256::digest(&png)));
        let (status, _) = upload("notes.txt", b"just text".to_vec(), p.admin.clone()).await;
        assert_eq!(status, 422);

        let (_, files) = p.get(&format!("/api/v1/tasks/{task}/evidence")).await;
        assert_eq!(files["items"].as_array().unwrap().len(), 1);
        let file = stored["id"].as_str().unwrap();
        let download = p
            .app
            .client
            .get(p.app.url(&format!("/api/v1/tasks/{task}/evidence/{file}")))
            .bearer_auth(&p.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), 200);
        assert!(
            download.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(download.bytes().await.unwrap().to_vec(), png);

        let other = p.app.practice("other").await;
        let theirs = p
            .app
            .admin_token(&other, "olga@other.example", "portal_admin")
            .await;
        let foreign = p
            .app
            .client
            .get(p.app.url(&format!("/api/v1/tasks/{task}/evidence/{file}")))
            .bearer_auth(&theirs)
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 404);
        assert_eq!(upload("x.png", png.clone(), theirs).await.0, 404);
        let (_, audit) = p
            .get(&format!("/api/v1/audit?action=task.evidence&target={task}"))
            .await;
        assert_eq!(audit["items"][0]["detail"]["sha256"], stored["sha256"]);
    }
);

#[tokio::test]
async fn evidence_is_size_limited() {
    let app = crate::helpers::spawn_app_with(&crate::helpers::Backend::Sqlite, |s| {
        s.evidence_limit_bytes = 4096
    })
    .await;
    let p = Practice::new(app, "acme").await;
    let person = p.hire("big@acme.example", "Front Desk").await;
    let task = p.tasks(&person, "open").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (content_type, body) = multipart("big.pdf", &[b"%PDF-".as_slice(), &[0u8; 8000]].concat());
    let response = p
        .app
        .client
        .post(p.app.url(&format!("/api/v1/tasks/{task}/evidence")))
        .bearer_auth(&p.admin)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

storage_test!(
    /// A failed task comes back to the queue once its pause is over.
    async fn failed_tasks_reopen_after_the_delay(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let person = p.hire("retry@acme.example", "Front Desk").await;
        let task = p.tasks(&person, "open").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            act(&p, &task, "fail", Some(json!({"reason": "portal down"})))
                .await
                .0,
            200
        );
        let failed_at = p.app.clock.now_utc();
        let delay = chrono::Duration::hours(4);
        assert_eq!(
            portcullis::engine::tasks::reopen_failed_tasks(
                &p.app.store,
                failed_at + chrono::Duration::hours(3),
                delay
            )
            .await
            .unwrap(),
            0
        );
        assert_eq!(
            p.get(&format!("/api/v1/tasks/{task}")).await.1["state"],
            "failed"
        );
        assert_eq!(
            portcullis::engine::tasks::reopen_failed_tasks(&p.app.store, failed_at + delay, delay)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            p.get(&format!("/api/v1/tasks/{task}")).await.1["state"],
            "open"
        );
        let (_, audit) = p
            .get(&format!("/api/v1/audit?action=task.reopen&target={task}"))
            .await;
        assert_eq!(audit["items"][0]["actor"], "system");
    }
);

storage_test!(
    /// Issue 14, defect 1: a completion whose body does not parse is a 400 that changes
    /// nothing (the confirmation number it carried must not be lost), and one without any
    /// evidence is refused; a file uploaded first counts as evidence.
    async fn completion_needs_evidence_and_a_body_that_parses(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let person = p.hire("proof@acme.example", "Front Desk").await;
        let tasks = p.tasks(&person, "open").await;
        let task = tasks[0]["id"].as_str().unwrap().to_owned();
        let url = p.app.url(&format!("/api/v1/tasks/{task}/complete"));
        let send = |body: &'static str| {
            let request = p
                .app
                .client
                .post(url.clone())
                .bearer_auth(p.admin.clone())
                .header("Content-Type", "application/json")
                .body(body);
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned());
                (
                    status,
                    content_type,
                    response.json::<Value>().await.unwrap(),
                )
            }
        };
        let deep = Box::leak(format!("{}{}", "[".repeat(200), "]".repeat(200)).into_boxed_str());
        for body in [
            "{\"note\":",
            "not json",
            "{\"note\": 5}",
            "{\"confirmation_number\": \"NMP-1\", \"unknown\": 1}",
            "[1,2]",
            &*deep,
        ] {
            let (status, content_type, problem) = send(body).await;
            assert_eq!(status, 400, "{body}: {problem}");
            assert_eq!(content_type.as_deref(), Some("application/problem+json"));
            let detail = problem["detail"].as_str().unwrap();
            assert!(
                detail.contains("not valid JSON")
                    || detail.starts_with('`')
                    || detail.starts_with("invalid request body"),
                "{problem}"
            );
        }
        for body in [
            "",
            "{}",
            "{\"note\": \"  \"}",
            "{\"portal_username\": \"jdoe\"}",
        ] {
            let (status, _, problem) = send(body).await;
            assert_eq!(status, 422, "{body:?}: {problem}");
            assert!(
                problem["detail"]
                    .as_str()
                    .unwrap()
                    .contains("needs evidence"),
                "{problem}"
            );
        }
        // Nothing changed: still open, no completion in the audit trail.
        let (_, shown) = p.get(&format!("/api/v1/tasks/{task}")).await;
        assert_eq!(shown["state"], "open");
        assert_eq!(shown["done_by"], Value::Null);
        let (_, audit) = p
            .get(&format!("/api/v1/audit?target={task}&action=task.complete"))
            .await;
        assert_eq!(audit["items"].as_array().map(Vec::len), Some(0), "{audit}");

        // A confirmation number is evidence, and it is kept.
        let (status, _, done) = send("{\"confirmation_number\": \"NMP-88213\"}").await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["state"], "done");
        assert_eq!(done["evidence"]["confirmation_number"], "NMP-88213");

        // A file uploaded first is evidence too: then no body is needed.
        let other = tasks[1]["id"].as_str().unwrap().to_owned();
        let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[7u8; 100]].concat();
        let (content_type, body) = multipart("screenshot.png", &png);
        let uploaded = p
            .app
            .client
            .post(p.app.url(&format!("/api/v1/tasks/{other}/evidence")))
            .bearer_auth(p.admin.clone())
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status().as_u16(), 201);
        let response = p
            .app
            .client
            .post(p.app.url(&format!("/api/v1/tasks/{other}/complete")))
            .bearer_auth(p.admin.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
);
