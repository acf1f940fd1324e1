//! The first hour (issue 15): errors that say what to fix, dates where people write dates,
//! partial settings, one list shape, and an audit trail searchable by who acted.

use reqwest::Method;
use serde_json::{Value, json};

use crate::admins::call;
use crate::helpers::{spawn_app, storage_test};
use crate::lifecycle::Practice;

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

/// A leaver's Availity removal, done by Pat and verified by Vic; returns the task's id.
async fn verified_removal(p: &Practice) -> String {
    let person = p.hire("leaver@acme.example", "Front Desk").await;
    p.record(&person, "availity-essentials", &["eligibility-benefits"])
        .await;
    p.scim
        .patch(
            &format!("/Users/{person}"),
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "replace", "value": {"active": false}}]}),
        )
        .await
        .expect(200);
    let task = p.tasks(&person, "open").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, done) = p
        .post(
            &format!("/api/v1/tasks/{task}/complete"),
            json!({"confirmation_number": "AV-1"}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    let (status, verified) = call(
        p,
        &p.verifier,
        Method::POST,
        &format!("/api/v1/tasks/{task}/verify"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{verified}");
    task
}

storage_test!(
    /// A body that is missing, mistyped or misnamed gets a problem naming the field; a query
    /// parameter that does not parse, the parameter.
    async fn bad_bodies_and_parameters_name_the_field(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let person = p.hire("someone@acme.example", "Front Desk").await;
        let task = p.tasks(&person, "open").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();

        // `fail` without a body: say that a reason is needed.
        let response = p
            .app
            .client
            .post(p.app.url(&format!("/api/v1/tasks/{task}/fail")))
            .bearer_auth(&p.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let problem: Value = response.json().await.unwrap();
        assert!(detail(&problem).contains("`reason`"), "{problem}");
        assert!(detail(&problem).contains("empty"), "{problem}");

        // A wrong type deep in a document: its path.
        let (status, problem) = p
            .put(
                "/api/v1/policy",
                json!({"rules": [{"name": "ok", "when": {}, "grant": {}}, {"name": 5, "when": {}, "grant": {}}]}),
            )
            .await;
        assert_eq!(status, 400, "{problem}");
        assert!(detail(&problem).starts_with("`rules[1].name`"), "{problem}");

        // An unknown field: its name.
        let (status, problem) = p
            .post(
                &format!("/api/v1/tasks/{task}/cancel"),
                json!({"reason": "dup", "resaon": "typo"}),
            )
            .await;
        assert_eq!(status, 400, "{problem}");
        assert!(detail(&problem).contains("`resaon`"), "{problem}");

        // A query parameter that does not parse.
        let (status, problem) = p.get("/api/v1/tasks?limit=ten").await;
        assert_eq!(status, 400, "{problem}");
        assert!(detail(&problem).contains("`limit`"), "{problem}");
        let (status, problem) = p.get("/api/v1/tasks?overdue=maybe").await;
        assert_eq!(status, 400, "{problem}");
        assert!(detail(&problem).contains("`overdue`"), "{problem}");
    }
);

storage_test!(
    /// `PUT /settings/sla` changes the keys it names and keeps the others; durations read as
    /// everywhere else (`2d`); a refusal names the key and the rule, and changes nothing.
    async fn sla_settings_merge_and_refusals_name_key_and_rule(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let (status, sla) = p
            .put("/api/v1/settings/sla", json!({"provision": "2d"}))
            .await;
        assert_eq!(status, 200, "{sla}");
        assert_eq!(
            sla,
            json!({"deprovision": "1h", "modify_removal": "24h", "provision": "48h",
                   "transfer_admin": "4h", "notify_third_party": "24h"})
        );
        let (status, sla) = p
            .put("/api/v1/settings/sla", json!({"deprovision": "30m"}))
            .await;
        assert_eq!(status, 200, "{sla}");
        assert_eq!(sla["deprovision"], "PT1800S");
        assert_eq!(sla["provision"], "48h", "kept from the first change");

        for (body, key, rule) in [
            (
                json!({"deprovision": "PT0S"}),
                "`deprovision`",
                "longer than zero",
            ),
            (
                json!({"provision": "400d"}),
                "`provision`",
                "at most 365 days",
            ),
            (
                json!({"transfer_admin": "soon"}),
                "`transfer_admin`",
                "2d or PT2S",
            ),
            (json!({"deprovison": "1h"}), "`deprovison`", "unknown field"),
        ] {
            let (status, problem) = p.put("/api/v1/settings/sla", body.clone()).await;
            assert_eq!(status, 400, "{body}: {problem}");
            assert!(detail(&problem).contains(key), "{body}: {problem}");
            assert!(detail(&problem).contains(rule), "{body}: {problem}");
        }
        let (_, sla) = p.get("/api/v1/settings/sla").await;
        assert_eq!(sla["deprovision"], "PT1800S", "refusals changed nothing");
    }
);

storage_test!(
    /// `from` and `to` take dates in the practice's time zone (a date in `to` includes its
    /// day); the leaver report defaults to the last 90 days and says so; a value that is
    /// neither a date nor an instant is refused naming the parameter and both forms.
    async fn reports_and_audit_take_dates_and_default_periods(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        verified_removal(&p).await;

        let (status, report) = p.get("/api/v1/reports/leavers").await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["items"].as_array().unwrap().len(), 1, "{report}");
        // Whole days in Chicago: today included, and 90 days before (then on daylight time).
        assert_eq!(report["to"], "2026-11-25T06:00:00Z", "{report}");
        assert_eq!(report["from"], "2026-08-27T05:00:00Z", "{report}");

        // Chicago is UTC-6 in November: the day 2026-11-24 runs 06:00Z to 06:00Z.
        let (status, report) = p
            .get("/api/v1/reports/leavers?from=2026-11-24&to=2026-11-24")
            .await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["from"], "2026-11-24T06:00:00Z");
        assert_eq!(report["to"], "2026-11-25T06:00:00Z");
        assert_eq!(report["items"].as_array().unwrap().len(), 1);
        let (_, report) = p
            .get("/api/v1/reports/leavers?from=2026-11-01&to=2026-11-23")
            .await;
        assert_eq!(report["items"].as_array().unwrap().len(), 0, "{report}");

        let (status, page) = p.get("/api/v1/audit?from=2026-11-24&to=2026-11-24").await;
        assert_eq!(status, 200, "{page}");
        assert!(!page["items"].as_array().unwrap().is_empty());
        let (_, page) = p.get("/api/v1/audit?to=2026-11-23").await;
        assert!(page["items"].as_array().unwrap().is_empty(), "{page}");

        for path in [
            "/api/v1/reports/leavers?from=24/11/2026",
            "/api/v1/audit?to=yesterday",
            "/api/v1/audit/export?from=2026-13-01",
        ] {
            let (status, problem) = p.get(path).await;
            assert_eq!(status, 400, "{path}: {problem}");
            let text = detail(&problem);
            assert!(
                text.contains("must be a date such as 2026-12-01"),
                "{path}: {problem}"
            );
            assert!(text.contains("America/Chicago"), "{path}: {problem}");
        }
        let (status, problem) = p
            .get("/api/v1/reports/leavers?from=2026-11-24&to=2026-11-01")
            .await;
        assert_eq!(status, 400, "{problem}");
        assert!(detail(&problem).contains("`from` must come before `to`"));
    }
);

storage_test!(
    /// `actor` finds an administrator's records by e-mail or name, a token's by its name,
    /// and the recorded string still works; wildcards in it are taken literally.
    async fn audit_actor_filter_finds_people_by_email_name_or_token_name(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        verified_removal(&p).await;
        let actions = |page: &Value| -> Vec<String> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["action"].as_str().unwrap().to_owned())
                .collect()
        };
        let (status, by_email) = p.get("/api/v1/audit?actor=vic@acme.example").await;
        assert_eq!(status, 200, "{by_email}");
        assert!(
            actions(&by_email).contains(&"task.verify".to_owned()),
            "{by_email}"
        );
        assert!(
            by_email["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["actor"].as_str().unwrap().contains("<vic@acme.example>")),
            "{by_email}"
        );
        let (_, by_case) = p.get("/api/v1/audit?actor=VIC@ACME.EXAMPLE").await;
        assert_eq!(actions(&by_case), actions(&by_email));
        let recorded = by_email["items"][0]["actor"].as_str().unwrap().to_owned();
        let (_, by_name) = p
            .get(&format!(
                "/api/v1/audit?actor={}",
                crate::helpers::urlencode(
                    recorded
                        .split(" <")
                        .next()
                        .unwrap()
                        .trim_start_matches("admin ")
                )
            ))
            .await;
        assert_eq!(actions(&by_name), actions(&by_email));
        let (_, exactly) = p
            .get(&format!(
                "/api/v1/audit?actor={}",
                crate::helpers::urlencode(&recorded)
            ))
            .await;
        assert_eq!(actions(&exactly), actions(&by_email));

        // The IdP's token, by its name (`test scim` in the fixture).
        let (_, by_token) = p.get("/api/v1/audit?actor=test%20scim").await;
        assert!(
            actions(&by_token)
                .iter()
                .any(|a| a.starts_with("scim.user")),
            "{by_token}"
        );
        for nobody in ["nobody@acme.example", "%", "vic%"] {
            let (_, page) = p
                .get(&format!(
                    "/api/v1/audit?actor={}",
                    crate::helpers::urlencode(nobody)
                ))
                .await;
            assert!(
                page["items"].as_array().unwrap().is_empty(),
                "{nobody}: {page}"
            );
        }
    }
);

storage_test!(
    /// Every list answers `{"items": […], "next_cursor": …}`; a finished task shows no next
    /// alert.
    async fn every_list_has_one_shape_and_finished_ladders_show_no_next_alert(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let task = verified_removal(&p).await;
        let (_, hook) = p
            .post(
                "/api/v1/webhooks",
                json!({"name": "h", "url": "http://127.0.0.1:9/", "event_types": ["*"]}),
            )
            .await;
        let hook = hook["id"].as_str().unwrap().to_owned();
        for path in [
            "/api/v1/tasks".to_owned(),
            "/api/v1/queue".to_owned(),
            "/api/v1/audit".to_owned(),
            "/api/v1/portals".to_owned(),
            "/api/v1/practice-portals".to_owned(),
            "/api/v1/tokens".to_owned(),
            "/api/v1/admins".to_owned(),
            "/api/v1/webhooks".to_owned(),
            format!("/api/v1/webhooks/{hook}/deliveries"),
            format!("/api/v1/tasks/{task}/evidence"),
            "/api/v1/policy/history".to_owned(),
            "/api/v1/escalation-policy/history".to_owned(),
            "/api/v1/reports/leavers".to_owned(),
            "/api/v1/reports/access".to_owned(),
        ] {
            let (status, list) = p.get(&path).await;
            assert_eq!(status, 200, "{path}: {list}");
            assert!(list["items"].is_array(), "{path}: {list}");
            assert!(
                list.as_object().unwrap().contains_key("next_cursor"),
                "{path}: {list}"
            );
        }
        let (_, bulk) = p
            .post(
                "/api/v1/tasks/bulk",
                json!({"action": "claim", "task_ids": [task]}),
            )
            .await;
        assert!(bulk["items"].is_array(), "{bulk}");

        // Paging with the cursor a page gives.
        let (_, first) = p.get("/api/v1/audit?limit=2").await;
        let cursor = first["next_cursor"].as_str().unwrap();
        let (_, second) = p
            .get(&format!("/api/v1/audit?limit=2&cursor={cursor}"))
            .await;
        assert_eq!(second["items"][0]["seq"], 3, "{second}");

        let (_, shown) = p.get(&format!("/api/v1/tasks/{task}")).await;
        assert_eq!(shown["state"], "verified", "{shown}");
        assert!(shown["next_alert_at"].is_null(), "{shown}");
    }
);
