//! Individual accountability (issue 14, points 8 to 12): only named administrators decide,
//! tasks go only to people who can do them, a second person verifies, a policy cannot revoke
//! everyone by accident, and any token can be revoked through the API.

use reqwest::Method;
use serde_json::{Value, json};

use crate::admins::call;
use crate::helpers::{NowUtc, spawn_app, storage_test};
use crate::lifecycle::Practice;

/// Revokes the token whose text is `token`, as the holder of `by`.
async fn revoke(p: &Practice, by: &str, token: &str) -> (u16, Value) {
    let id = token.split('_').nth(1).unwrap();
    call(p, by, Method::DELETE, &format!("/api/v1/tokens/{id}"), None).await
}

/// The status a read with `token` gets: 200 while it is valid, 401 once revoked.
async fn read_status(p: &Practice, token: &str) -> u16 {
    call(p, token, Method::GET, "/api/v1/whoami", None).await.0
}

async fn first_open_task(p: &Practice, person: &str) -> String {
    p.tasks(person, "open").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

storage_test!(
    /// A scope-only token (the IdP's `scim,admin:write` included) keeps configuration and
    /// reads, and cannot claim, complete, verify, bulk-act, upload evidence or record
    /// accounts; a named administrator can, and the task shows their name.
    async fn only_named_administrators_decide(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let practice = p.app.store.list_practices().await.unwrap().remove(0);
        let idp = p.app.token(&practice, "scim,admin:read,admin:write").await;
        let person = p.hire("acct@acme.example", "Front Desk").await;
        let task = first_open_task(&p, &person).await;

        let personal_acts = [
            (format!("/api/v1/tasks/{task}/claim"), None),
            (
                format!("/api/v1/tasks/{task}/complete"),
                Some(json!({"confirmation_number": "C-1"})),
            ),
            (format!("/api/v1/tasks/{task}/verify"), None),
            (
                format!("/api/v1/tasks/{task}/cancel"),
                Some(json!({"reason": "no"})),
            ),
            (
                format!("/api/v1/tasks/{task}/reassign"),
                Some(json!({"assignee": "pat@acme.example"})),
            ),
            (
                "/api/v1/tasks/bulk".to_owned(),
                Some(json!({"action": "claim", "task_ids": [task]})),
            ),
            (
                format!("/api/v1/people/{person}/accounts"),
                Some(json!({"portal": "availity-essentials", "roles": ["eligibility-benefits"]})),
            ),
        ];
        for (path, body) in personal_acts {
            let (status, problem) = call(&p, &idp, Method::POST, &path, body).await;
            assert_eq!(status, 403, "{path}: {problem}");
            assert!(
                problem["detail"]
                    .as_str()
                    .unwrap()
                    .contains("named administrator"),
                "{problem}"
            );
        }
        assert_eq!(
            p.get(&format!("/api/v1/tasks/{task}")).await.1["state"],
            "open"
        );

        // Configuration and reads stay open to it.
        assert_eq!(read_status(&p, &idp).await, 200);
        let (status, body) = call(
            &p,
            &idp,
            Method::PUT,
            "/api/v1/settings/sla",
            Some(p.get("/api/v1/settings/sla").await.1),
        )
        .await;
        assert_eq!(status, 200, "{body}");

        // The named administrator acts, under their name.
        let (status, claimed) = call(
            &p,
            &p.admin,
            Method::POST,
            &format!("/api/v1/tasks/{task}/claim"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{claimed}");
        assert_eq!(
            claimed["claimed_by"],
            "admin pat <pat@acme.example> (portal_admin)"
        );
    }
);

storage_test!(
    /// A task is reassigned only to an active portal administrator of the practice, named by
    /// e-mail; anything else is a 422 that changes nothing.
    async fn reassign_only_to_a_portal_administrator(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let practice = p.app.store.list_practices().await.unwrap().remove(0);
        p.app
            .admin_token(&practice, "mia@acme.example", "manager")
            .await;
        p.app
            .admin_token(&practice, "gone@acme.example", "portal_admin")
            .await;
        p.app
            .store
            .deactivate_admin("gone@acme.example", p.app.clock.now_utc())
            .await
            .unwrap();
        let other = p.app.practice("other").await;
        p.app
            .admin_token(&other, "olga@other.example", "portal_admin")
            .await;
        let person = p.hire("re@acme.example", "Front Desk").await;
        let task = first_open_task(&p, &person).await;
        let path = format!("/api/v1/tasks/{task}/reassign");

        for nobody in [
            "backup admin",
            "mia@acme.example",
            "gone@acme.example",
            "olga@other.example",
        ] {
            let (status, problem) = p.post(&path, json!({"assignee": nobody})).await;
            assert_eq!(status, 422, "{nobody}: {problem}");
            assert!(
                problem["detail"]
                    .as_str()
                    .unwrap()
                    .contains("portal administrator")
            );
        }
        assert_eq!(
            p.get(&format!("/api/v1/tasks/{task}")).await.1["assignee"],
            Value::Null
        );

        let (status, task) = p
            .post(&path, json!({"assignee": " Vic@Acme.Example "}))
            .await;
        assert_eq!(status, 200, "{task}");
        assert_eq!(task["assignee"], "vic@acme.example");
    }
);

storage_test!(
    /// A practice with a single portal administrator may turn four-eyes off; its leaver
    /// report then marks each self-verified removal, in JSON and CSV.
    async fn a_single_administrator_may_self_verify_and_reports_say_so(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        p.app
            .store
            .deactivate_admin("vic@acme.example", p.app.clock.now_utc())
            .await
            .unwrap();
        let (status, body) = p
            .put("/api/v1/settings/verification", json!({"four_eyes": false}))
            .await;
        assert_eq!(status, 200, "{body}");

        let start = p.app.clock.now_utc();
        let person = p.hire("solo@acme.example", "Front Desk").await;
        p.record(&person, "availity-essentials", &["eligibility-benefits"])
            .await;
        p.scim
            .patch(
                &format!("/Users/{person}"),
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "active", "value": false}]}),
            )
            .await
            .expect(200);
        let removal = p
            .tasks(&person, "open")
            .await
            .into_iter()
            .find(|t| t["kind"] == "deprovision")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = p
            .post(
                &format!("/api/v1/tasks/{removal}/complete"),
                json!({"confirmation_number": "S-1"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = p
            .send(
                Method::POST,
                &format!("/api/v1/tasks/{removal}/verify"),
                None,
            )
            .await;
        assert_eq!(status, 200, "the only administrator verifies: {body}");

        let window = format!(
            "from={}&to={}",
            crate::helpers::urlencode(&start.to_rfc3339()),
            crate::helpers::urlencode(&(start + chrono::Duration::days(1)).to_rfc3339())
        );
        let (_, report) = p.get(&format!("/api/v1/reports/leavers?{window}")).await;
        let line = report["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["task_id"] == removal.as_str())
            .unwrap()
            .clone();
        assert_eq!(line["self_verified"], true, "{line}");
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
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.lines().next().unwrap().contains("self_verified"));
        assert!(
            csv.lines()
                .any(|l| l.contains(&removal) && l.contains(",true,")),
            "{csv}"
        );
    }
);

storage_test!(
    /// `PUT /policy {"rules":[]}` does not silently revoke everyone: above the share it is a
    /// 409 naming the number and nothing changes; the preview says the number first; the
    /// confirmed number (and only it) lets the change through.
    async fn mass_revocation_needs_the_number_confirmed(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        for n in 0..3 {
            let person = p.hire(&format!("fd{n}@acme.example"), "Front Desk").await;
            p.record(&person, "availity-essentials", &["eligibility-benefits"])
                .await;
            p.record(&person, "noridian-nmp", &["eligibility"]).await;
        }
        let tasks_before = p.get("/api/v1/tasks?limit=200").await.1["items"]
            .as_array()
            .unwrap()
            .len();
        let empty = json!({"rules": []});

        let (status, problem) = p.put("/api/v1/policy", empty.clone()).await;
        assert_eq!(status, 409, "{problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("6 removal tasks") && detail.contains("confirm_revocations=6"),
            "{detail}"
        );
        assert_eq!(
            p.get("/api/v1/policy").await.1["version"],
            1,
            "nothing stored"
        );
        assert_eq!(
            p.get("/api/v1/tasks?limit=200").await.1["items"]
                .as_array()
                .unwrap()
                .len(),
            tasks_before,
            "no task opened"
        );

        let (status, preview) = p
            .post("/api/v1/policy/preview", json!({"document": empty}))
            .await;
        assert_eq!(status, 200, "{preview}");
        assert_eq!(
            preview["impact"],
            json!({"revocations": 6, "accounts": 6, "needs_confirmation": true})
        );
        assert_eq!(
            p.get("/api/v1/policy").await.1["version"],
            1,
            "a preview stores nothing"
        );

        let (status, _) = p
            .put("/api/v1/policy?confirm_revocations=5", empty.clone())
            .await;
        assert_eq!(status, 409, "the wrong number is no confirmation");
        let (status, _) = p
            .put("/api/v1/policy?confirm_revocations=x", empty.clone())
            .await;
        assert_eq!(status, 400);
        let (status, body) = p.put("/api/v1/policy?confirm_revocations=6", empty).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["version"], 2);
        let deprovisions = p.get("/api/v1/tasks?kind=deprovision&limit=200").await.1["items"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(deprovisions, 6);

        // A change below the share needs no confirmation.
        let (status, preview) = p
            .post(
                "/api/v1/policy/preview",
                json!({"document": {"rules": [{"name": "Front desk", "when": {"title": ["Front Desk"]},
                    "grant": {"availity-essentials": ["eligibility-benefits"]}}]}}),
            )
            .await;
        assert_eq!(status, 200, "{preview}");
        assert_eq!(preview["impact"]["revocations"], 0);
        assert_eq!(preview["impact"]["needs_confirmation"], false);
    }
);

storage_test!(
    /// `DELETE /api/v1/tokens/{id}`: any credential revokes itself; an administrator their own
    /// tokens; a portal administrator any of the practice's; nobody another practice's. The
    /// revoked token is refused at once and the revocation is audited.
    async fn tokens_are_revoked_through_the_api(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let practice = p.app.store.list_practices().await.unwrap().remove(0);
        let auditor = p
            .app
            .admin_token(&practice, "ari@acme.example", "auditor")
            .await;
        let idp = p.app.token(&practice, "scim").await;

        let (status, tokens) = call(&p, &auditor, Method::GET, "/api/v1/tokens", None).await;
        assert_eq!(status, 200);
        let listed = tokens["items"].as_array().unwrap();
        assert!(
            listed
                .iter()
                .all(|t| t.get("token").is_none() && t.get("secret_sha256").is_none())
        );
        let vic = listed
            .iter()
            .find(|t| t["name"] == "vic@acme.example")
            .unwrap();
        assert!(vic["admin_id"].is_string());

        // The auditor cannot revoke someone else's token.
        let (status, _) = revoke(&p, &auditor, &p.verifier).await;
        assert_eq!(status, 403);
        // A scope-only token revokes itself, whatever its scopes.
        let (status, revoked) = revoke(&p, &idp, &idp).await;
        assert_eq!(status, 200, "{revoked}");
        assert!(revoked["revoked_at"].is_string());
        assert_eq!(read_status(&p, &idp).await, 401);
        // The auditor revokes their own.
        let (status, _) = revoke(&p, &auditor, &auditor).await;
        assert_eq!(status, 200);
        assert_eq!(read_status(&p, &auditor).await, 401);
        // A portal administrator revokes a colleague's, at once.
        let (status, _) = revoke(&p, &p.admin, &p.verifier).await;
        assert_eq!(status, 200);
        assert_eq!(read_status(&p, &p.verifier).await, 401);
        // Twice keeps the first time; another practice's token is not found.
        let (status, again) = revoke(&p, &p.admin, &p.verifier).await;
        assert_eq!(status, 200);
        assert!(again["revoked_at"].is_string());
        let other = p.app.practice("other").await;
        let theirs = p.app.token(&other, "scim").await;
        let (status, _) = revoke(&p, &p.admin, &theirs).await;
        assert_eq!(status, 404);
        assert_eq!(read_status(&p, &theirs).await, 200);

        let (_, audit) = p.get("/api/v1/audit?action=token.revoke").await;
        assert_eq!(audit["items"].as_array().unwrap().len(), 3, "{audit}");
    }
);

storage_test!(
    /// The command line is behind the same guard: `policy load` of an empty policy names the
    /// number and stores nothing; `--confirm-revocations N` with that number goes through.
    async fn the_cli_policy_load_is_guarded_too(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let person = p.hire("cli@acme.example", "Front Desk").await;
        p.record(&person, "availity-essentials", &["eligibility-benefits"])
            .await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("policy.json");
        std::fs::write(&file, json!({"rules": []}).to_string()).unwrap();
        let load = |confirm: Option<&str>| {
            let mut command = crate::cli::portcullis(dir.path(), &p.app.settings.database_url);
            command
                .args(["policy", "load", "--practice", "acme"])
                .arg(&file);
            if let Some(n) = confirm {
                command.args(["--confirm-revocations", n]);
            }
            command.output().unwrap()
        };
        let refused = load(None);
        assert!(!refused.status.success());
        let said = String::from_utf8_lossy(&refused.stderr).to_string();
        assert!(said.contains("--confirm-revocations 1"), "{said}");
        assert_eq!(p.get("/api/v1/policy").await.1["version"], 1);
        assert!(load(Some("1")).status.success());
        assert_eq!(p.get("/api/v1/policy").await.1["version"], 2);
    }
);
