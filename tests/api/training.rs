//! Training before access, on both backends with the injected clock: the practice requires
//! Noridian's yearly training before access, so a joiner's Noridian provision waits ("waiting for training") and
//! cannot be completed until the training is recorded through the API; a practice requires it
//! for Availity and a member of the policy's training group gets it recorded by SCIM; a
//! training about to lapse opens a renewal task whose completion records it anew; the access
//! report shows training; every recording is in the audit trail.

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::admins::call;
use crate::helpers::{NowUtc, spawn_app, storage_test};
use crate::lifecycle::Practice;

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

fn of_portal<'a>(tasks: &'a [Value], portal: &str) -> &'a Value {
    tasks
        .iter()
        .find(|t| t["portal"] == portal)
        .unwrap_or_else(|| panic!("{portal}: {tasks:?}"))
}

/// A person's training for one portal, as the API lists it.
async fn training_for(p: &Practice, person: &str, portal: &str) -> Value {
    let (status, listed) = p.get(&format!("/api/v1/people/{person}/training")).await;
    assert_eq!(status, 200, "{listed}");
    listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["portal"] == portal)
        .cloned()
        .unwrap_or_else(|| panic!("{portal}: {listed}"))
}

/// Sets a portal's training rule; returns the practice portal.
async fn set_training_rule(p: &Practice, portal: &str, rule: Value) -> Value {
    let (status, body) = p
        .put(&format!("/api/v1/practice-portals/{portal}/training"), rule)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn act(p: &Practice, task: &Value, action: &str, body: Value) -> (u16, Value) {
    let id = task["id"].as_str().unwrap();
    call(
        p,
        &p.admin,
        Method::POST,
        &format!("/api/v1/tasks/{id}/{action}"),
        Some(body),
    )
    .await
}

storage_test!(
    async fn a_provision_waits_for_training(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        // The practice requires Noridian's security training before access (the catalogue
        // knows it is yearly, valid 365 days); Availity asks for none.
        let portal = set_training_rule(&p, "noridian-nmp", json!({"required": true})).await;
        assert_eq!(
            portal["training"],
            json!({"required": true, "valid_days": 365})
        );
        let jo = p.hire("jo@acme.example", "Front Desk").await;
        let open = p.tasks(&jo, "open").await;
        let noridian = of_portal(&open, "noridian-nmp");
        assert_eq!(noridian["waiting_for"], "training", "{noridian}");
        assert!(
            noridian["action"]
                .as_str()
                .unwrap()
                .contains("Waiting for training"),
            "{noridian}"
        );
        assert!(of_portal(&open, "availity-essentials")["waiting_for"].is_null());

        // Not before the training is recorded.
        let (status, problem) = act(&p, noridian, "complete", json!({"note": "created"})).await;
        assert_eq!(status, 409, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("training"),
            "{problem}"
        );
        let (status, listed) = p.get(&format!("/api/v1/people/{jo}/training")).await;
        assert_eq!(status, 200, "{listed}");
        let items = listed["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "only Noridian requires it: {listed}");
        assert_eq!(items[0]["state"], "missing");
        assert_eq!(items[0]["required"], true);

        // Bad input is refused by name; nothing is recorded.
        for (bad, wanted) in [
            (
                json!({"portal": "noridian-nmp", "completed_at": "2999-01-01"}),
                422,
            ),
            (
                json!({"portal": "noridian-nmp", "completed_at": "last week"}),
                400,
            ),
            (json!({"portal": "cigna-for-hcp"}), 404),
            (json!({"portal": "noridian-nmp", "when": "now"}), 400),
        ] {
            let (status, problem) = p
                .post(&format!("/api/v1/people/{jo}/training"), bad.clone())
                .await;
            assert_eq!(status, wanted, "{bad}: {problem}");
        }

        // Recorded: valid 365 days, the task is released and can be done.
        let now = p.app.clock.now_utc();
        let (status, recorded) = p
            .post(
                &format!("/api/v1/people/{jo}/training"),
                json!({"portal": "noridian-nmp"}),
            )
            .await;
        assert_eq!(status, 200, "{recorded}");
        assert_eq!(recorded["state"], "current");
        assert_eq!(recorded["source"], "api");
        assert_eq!(at(&recorded["expires_at"]), now + Duration::days(365));
        let open = p.tasks(&jo, "open").await;
        let noridian = of_portal(&open, "noridian-nmp");
        assert!(noridian["waiting_for"].is_null(), "{noridian}");
        let (status, done) = act(&p, noridian, "complete", json!({"note": "created jo"})).await;
        assert_eq!(status, 200, "{done}");
        for action in ["training.recorded", "task.waiting", "task.unblocked"] {
            let (_, trail) = p.get(&format!("/api/v1/audit?action={action}")).await;
            assert_eq!(
                trail["items"].as_array().unwrap().len(),
                1,
                "{action}: {trail}"
            );
        }

        // The access report says who is trained.
        let (_, report) = p.get("/api/v1/reports/access").await;
        let line = report["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["portal"] == "noridian-nmp")
            .cloned()
            .unwrap();
        assert_eq!(line["training_required"], true);
        assert_eq!(at(&line["training_completed_at"]), now);
    }
);

storage_test!(
    async fn a_training_group_and_a_lapse(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        // The practice requires training for Availity too, valid 180 days; the policy names
        // the groups whose members have done each training.
        let (status, portal) = p
            .put(
                "/api/v1/practice-portals/availity-essentials/training",
                json!({"required": true, "valid_days": 180}),
            )
            .await;
        assert_eq!(status, 200, "{portal}");
        assert_eq!(
            portal["training"],
            json!({"required": true, "valid_days": 180})
        );
        set_training_rule(&p, "noridian-nmp", json!({"required": true})).await;
        for (bad, wanted) in [
            (json!({"valid_days": 0}), 422),
            (json!({"required": "yes"}), 400),
        ] {
            let (status, problem) = p
                .put(
                    "/api/v1/practice-portals/availity-essentials/training",
                    bad.clone(),
                )
                .await;
            assert_eq!(status, wanted, "{bad}: {problem}");
        }
        let (status, body) = p.put("/api/v1/policy", json!({
            "rules": [{"name": "Front desk", "when": {"title": ["Front Desk"]},
                       "grant": {"availity-essentials": ["eligibility-benefits"], "noridian-nmp": ["eligibility"]}}],
            "training_groups": {"availity-essentials": "Availity trained", "noridian-nmp": "Noridian trained"}
        })).await;
        assert_eq!(status, 200, "{body}");
        let (status, problem) = p
            .put(
                "/api/v1/policy",
                json!({"rules": [], "training_groups": {"cigna-for-hcp": "Cigna trained"}}),
            )
            .await;
        assert_eq!(status, 422, "a portal the practice does not use: {problem}");

        // Joiner first: both provisions wait. Then the IdP puts them in the Availity group.
        let jo = p.hire("jo@acme.example", "Front Desk").await;
        let open = p.tasks(&jo, "open").await;
        assert_eq!(
            of_portal(&open, "availity-essentials")["waiting_for"],
            "training"
        );
        p.scim
            .post(
                "/Groups",
                json!({"displayName": "Availity trained", "members": [{"value": jo}]}),
            )
            .await
            .expect(201);
        let open = p.tasks(&jo, "open").await;
        assert!(of_portal(&open, "availity-essentials")["waiting_for"].is_null());
        assert_eq!(of_portal(&open, "noridian-nmp")["waiting_for"], "training");
        let availity = training_for(&p, &jo, "availity-essentials").await;
        assert_eq!(
            availity["source"], "SCIM group Availity trained",
            "{availity}"
        );
        let lapses = at(&availity["expires_at"]);

        // Joins the Noridian group right after the hire: recorded, the task released.
        let group = p
            .scim
            .post("/Groups", json!({"displayName": "Noridian trained"}))
            .await;
        let gid = group.expect(201)["id"].as_str().unwrap();
        let sam = p.hire("sam@acme.example", "Front Desk").await;
        p.scim
            .patch(
                &format!("/Groups/{gid}"),
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "add", "path": "members", "value": [{"value": sam}]}]}),
            )
            .await
            .expect(200);
        let open = p.tasks(&sam, "open").await;
        assert!(
            of_portal(&open, "noridian-nmp")["waiting_for"].is_null(),
            "{open:?}"
        );

        // 30 days before Jo's Availity training lapses, one renewal task opens, due then.
        p.app
            .clock
            .set(lapses - Duration::days(30) - Duration::minutes(1));
        assert_eq!(p.app.sweep().await.training_tasks, 0);
        p.app.clock.set(lapses - Duration::days(30));
        assert_eq!(p.app.sweep().await.training_tasks, 1);
        assert_eq!(p.app.sweep().await.training_tasks, 0, "once per lapse");
        let renewals = p.get("/api/v1/tasks?kind=training").await.1;
        let renewal = renewals["items"][0].clone();
        assert_eq!(renewal["person_id"], jo.as_str(), "{renewal}");
        assert_eq!(renewal["cause"], "training");
        assert_eq!(at(&renewal["due_at"]), lapses);

        // Done: the training is recorded anew, valid 180 days from now.
        let (status, done) = act(
            &p,
            &renewal,
            "complete",
            json!({"note": "jo did the course"}),
        )
        .await;
        assert_eq!(status, 200, "{done}");
        let availity = training_for(&p, &jo, "availity-essentials").await;
        assert_eq!(availity["source"], "task");
        assert_eq!(
            at(&availity["expires_at"]),
            p.app.clock.now_utc() + Duration::days(180)
        );

        // Waived again: nothing waits any more.
        set_training_rule(&p, "noridian-nmp", json!({"required": false})).await;
        let open = p.tasks(&jo, "open").await;
        assert!(of_portal(&open, "noridian-nmp")["waiting_for"].is_null());
        let (_, trail) = p.get("/api/v1/audit?action=practice_portal.training").await;
        assert_eq!(trail["items"].as_array().unwrap().len(), 3, "{trail}");
    }
);

storage_test!(
    /// The console: the task page says what it waits for, the person's page records the
    /// training (a bad date says how to write it), the portal page sets the rule, and the
    /// reports page shows who is trained.
    async fn training_in_the_console(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        set_training_rule(&p, "noridian-nmp", json!({"required": true})).await;
        let jo = p.hire("jo@acme.example", "Front Desk").await;
        let open = p.tasks(&jo, "open").await;
        let noridian = of_portal(&open, "noridian-nmp")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let session = crate::console::Session::sign_in(&p.app, "acme", "pat@acme.example").await;

        let (_, task) = session.get(&format!("/console/tasks/{noridian}")).await;
        assert!(task.contains("Waiting for"), "{task}");
        assert!(
            task.contains(&format!("/console/people/{jo}#training")),
            "{task}"
        );
        let (_, page) = session.get(&format!("/console/people/{jo}")).await;
        assert!(page.contains("Record training for"), "{page}");
        assert!(page.contains("missing"), "{page}");

        let form = |on: &'static str| [("portal", "noridian-nmp"), ("completed_on", on)];
        let (status, to) = session
            .post(&format!("/console/people/{jo}/training"), &form("1 Dec"))
            .await;
        assert_eq!(status, 303, "{to}");
        let (_, page) = session.get(&to).await;
        assert!(page.contains("Not recorded: write the date like"), "{page}");
        let (status, to) = session
            .post(
                &format!("/console/people/{jo}/training"),
                &form("2026-11-20"),
            )
            .await;
        assert_eq!(status, 303, "{to}");
        let (_, page) = session.get(&to).await;
        assert!(page.contains("Training for Noridian"), "{page}");
        assert!(page.contains("recorded by"), "{page}");
        let open = p.tasks(&jo, "open").await;
        assert!(of_portal(&open, "noridian-nmp")["waiting_for"].is_null());

        // The rule on the portal's page: a bad number says so; a good one is saved.
        let (_, to) = session
            .post(
                "/console/portals/availity-essentials/training",
                &[("required", "yes"), ("valid_days", "a year")],
            )
            .await;
        let (_, page) = session.get(&to).await;
        assert!(
            page.contains("Not saved: write the days as a number"),
            "{page}"
        );
        let (_, to) = session
            .post(
                "/console/portals/availity-essentials/training",
                &[("required", "yes"), ("valid_days", "200")],
            )
            .await;
        let (_, page) = session.get(&to).await;
        assert!(
            page.contains("Saved: training is required before access, valid 200 days."),
            "{page}"
        );
        let open = p.tasks(&jo, "open").await;
        assert_eq!(
            of_portal(&open, "availity-essentials")["waiting_for"],
            "training"
        );

        // Reports: the Noridian account, once created, shows its training.
        let (status, _) = call(
            &p,
            &p.admin,
            Method::POST,
            &format!("/api/v1/tasks/{noridian}/complete"),
            Some(json!({"note": "created"})),
        )
        .await;
        assert_eq!(status, 200);
        let (_, reports) = session.get("/console/reports").await;
        assert!(
            reports.contains("<th scope=\"col\">Training</th>"),
            "{reports}"
        );
        assert!(reports.contains(", lapses "), "{reports}");
    }
);
