//! Access reviews that run by themselves, on both backends with the injected clock: the
//! quarterly review opens on the first Monday of January in the practice's time zone (once),
//! reviewers hear of it and are reminded at 7 days and 48 hours through a real webhook
//! receiver, what is undecided at the deadline escalates to the managers, and the review
//! closes itself; an item can be handed to another administrator; a person who leaves during
//! the review is shown as such; a completed review's report is frozen with its SHA-256 in the
//! audit trail.

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::admins::call;
use crate::alerts::Receiver;
use crate::helpers::{spawn_app, storage_test};
use crate::lifecycle::Practice;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

async fn person(p: &Practice, user_name: &str, manager: Option<&str>) -> String {
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": user_name, "active": true, "displayName": user_name, "title": "Front Desk",
    });
    if let Some(manager) = manager {
        body[ENTERPRISE] = json!({"manager": {"value": manager}});
    }
    p.scim.post("/Users", body).await.expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

fn item<'a>(items: &'a Value, user_name: &str) -> &'a Value {
    items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["context"]["user_name"] == user_name)
        .unwrap_or_else(|| panic!("{user_name}: {items}"))
}

/// The review events the receiver got, in order: (type, body).
fn review_events(receiver: &Receiver) -> Vec<(String, Value)> {
    receiver
        .received()
        .into_iter()
        .filter_map(|r| {
            let kind = r.json["type"].as_str()?.to_owned();
            kind.starts_with("review.").then_some((kind, r.json))
        })
        .collect()
}

fn emails(event: &Value) -> Vec<String> {
    event["notify"]["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["email"].as_str().unwrap().to_owned())
        .collect()
}

storage_test!(
    async fn the_quarterly_review_opens_reminds_escalates_and_closes_by_itself(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let max_token = crate::console::another_admin(&p, "max@acme.example", "manager").await;
        let max = person(&p, "max@acme.example", None).await;
        let jo = person(&p, "jo@acme.example", Some(&max)).await;
        let sam = person(&p, "sam@acme.example", Some(&max)).await;
        let lee = person(&p, "lee@acme.example", Some(&max)).await;
        let pat = person(&p, "pat@acme.example", None).await;
        for someone in [&jo, &sam, &lee, &pat] {
            p.record(someone, "availity-essentials", &["eligibility-benefits"])
                .await;
        }
        let receiver = Receiver::start().await;
        p.webhook(&receiver.url, &["review.*"], "json").await;

        // The schedule: quarterly by default; the next review is the first Monday of
        // January 2027, 08:00 in Chicago.
        let (status, schedule) = p.get("/api/v1/reviews/schedule").await;
        assert_eq!(status, 200, "{schedule}");
        assert_eq!(schedule["schedule"]["cadence"], "quarterly");
        let next = &schedule["next"];
        assert_eq!(next["key"], "2027-Q1", "{schedule}");
        let starts = at(&next["starts_at"]);
        assert_eq!(starts.to_rfc3339(), "2027-01-04T14:00:00+00:00");
        let deadline = at(&next["deadline"]);
        let closes = at(&next["closes_at"]);

        // Nothing before its start; at the start it opens, once.
        p.app.clock.set(starts - Duration::minutes(1));
        assert_eq!(p.app.sweep().await.reviews.opened, 0);
        p.app.clock.set(starts);
        assert_eq!(p.app.sweep().await.reviews.opened, 1);
        assert_eq!(p.app.sweep().await.reviews.opened, 0);
        let (_, list) = p.get("/api/v1/reviews").await;
        let reviews = list["items"].as_array().unwrap();
        assert_eq!(reviews.len(), 1, "{list}");
        let review = &reviews[0];
        assert_eq!(review["period"], "2027-Q1");
        assert_eq!(review["items"], 4);
        assert_eq!(at(&review["deadline"]), deadline);
        assert_eq!(at(&review["closes_at"]), closes);
        assert_eq!(review["reminders"], json!(["7days", "2days"]));
        let id = review["id"].as_str().unwrap().to_owned();

        p.app.deliver().await;
        let events = review_events(&receiver);
        assert_eq!(events.len(), 1, "{events:?}");
        let (kind, opened) = &events[0];
        assert_eq!(kind, "review.opened");
        assert_eq!(emails(opened), ["max@acme.example"], "{opened}");
        let link = opened["notify"]["people"][0]["url"].as_str().unwrap();
        assert!(
            link.ends_with(&format!("/console/reviews/{id}?mine=1")),
            "{link}"
        );
        assert_eq!(opened["notify"]["people"][0]["items"], 4);

        // Max hands Sam's account to Vic (never to the person, nor to someone who is not an
        // administrator here), keeps Jo's and Pat's.
        let (_, items) = p.get(&format!("/api/v1/reviews/{id}/items")).await;
        let hand = |item: &Value, to: &str| {
            let body = json!({"to": to, "comment": "Vic runs the front desk"});
            let path = format!(
                "/api/v1/reviews/{id}/items/{}/delegate",
                item["id"].as_str().unwrap()
            );
            let p = &p;
            let token = max_token.clone();
            async move { call(p, &token, Method::POST, &path, Some(body)).await }
        };
        let (status, refused) = hand(item(&items, "pat@acme.example"), "pat@acme.example").await;
        assert_eq!(status, 422, "{refused}");
        assert!(
            refused["detail"].as_str().unwrap().contains("own access"),
            "{refused}"
        );
        let (status, refused) = hand(item(&items, "sam@acme.example"), "nobody@acme.example").await;
        assert_eq!(status, 422, "{refused}");
        let (status, handed) = hand(item(&items, "sam@acme.example"), "vic@acme.example").await;
        assert_eq!(status, 200, "{handed}");
        assert_eq!(handed["reviewer_source"], "delegated");
        assert!(
            handed["delegated_by"]
                .as_str()
                .unwrap()
                .contains("max@acme.example")
        );
        let (_, trail) = p.get("/api/v1/audit?action=review.delegated").await;
        assert_eq!(trail["items"].as_array().unwrap().len(), 1, "{trail}");
        for user_name in ["jo@acme.example", "pat@acme.example"] {
            let path = format!(
                "/api/v1/reviews/{id}/items/{}/decision",
                item(&items, user_name)["id"].as_str().unwrap()
            );
            let (status, body) = call(
                &p,
                &max_token,
                Method::POST,
                &path,
                Some(json!({"decision": "keep"})),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }

        // Lee leaves during the review: the snapshot stays, the item says so.
        p.scim
            .patch(
                &format!("/Users/{lee}"),
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "active", "value": false}]}),
            )
            .await
            .expect(200);
        let (_, items) = p.get(&format!("/api/v1/reviews/{id}/items")).await;
        let lee_item = item(&items, "lee@acme.example");
        assert_eq!(
            lee_item["context"]["status"], "active",
            "the snapshot does not change"
        );
        assert!(lee_item["left_during_review"].is_string(), "{lee_item}");
        assert!(item(&items, "jo@acme.example")["left_during_review"].is_null());
        let path = format!(
            "/api/v1/reviews/{id}/items/{}/decision",
            lee_item["id"].as_str().unwrap()
        );
        let body = json!({"decision": "revoke", "comment": "has left"});
        let (status, _) = call(&p, &max_token, Method::POST, &path, Some(body)).await;
        assert_eq!(status, 200);

        // Seven days before the deadline: a reminder to Vic alone (Max has decided all his).
        p.app
            .clock
            .set(deadline - Duration::days(7) - Duration::minutes(1));
        assert_eq!(p.app.sweep().await.reviews.alerts, 0);
        p.app.clock.set(deadline - Duration::days(7));
        assert_eq!(p.app.sweep().await.reviews.alerts, 1);
        assert_eq!(p.app.sweep().await.reviews.alerts, 0, "once");
        p.app.clock.set(deadline - Duration::hours(48));
        assert_eq!(p.app.sweep().await.reviews.alerts, 1);
        p.app.clock.set(deadline);
        assert_eq!(p.app.sweep().await.reviews.alerts, 1);
        p.app.deliver().await;
        let events = review_events(&receiver);
        let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "review.opened",
                "review.reminder",
                "review.reminder",
                "review.escalated"
            ]
        );
        let first = &events[1].1;
        assert_eq!(emails(first), ["vic@acme.example"], "{first}");
        assert_eq!(first["detail"]["before"], "7days");
        assert_eq!(first["detail"]["undecided"], 1);
        assert!(
            first["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/console/reviews/{id}"))
        );
        assert_eq!(events[2].1["detail"]["before"], "2days");
        // At the deadline the fallback reviewers (the practice's managers) hear who is late.
        let escalated = &events[3].1;
        assert_eq!(emails(escalated), ["max@acme.example"], "{escalated}");
        assert_eq!(
            escalated["detail"]["late_reviewers"][0]["email"],
            "vic@acme.example"
        );

        // It closes by itself; Sam's account, undecided, is kept and flagged.
        p.app.clock.set(closes - Duration::minutes(1));
        assert_eq!(p.app.sweep().await.reviews.closed, 0);
        p.app.clock.set(closes);
        assert_eq!(p.app.sweep().await.reviews.closed, 1);
        let (_, closed) = p.get(&format!("/api/v1/reviews/{id}")).await;
        assert_eq!(closed["state"], "closed");
        let (_, items) = p.get(&format!("/api/v1/reviews/{id}/items")).await;
        assert_eq!(item(&items, "sam@acme.example")["outcome"], "flagged");
        let (_, closed_by) = p.get("/api/v1/audit?action=review.closed").await;
        assert!(
            closed_by["items"][0]["actor"]
                .as_str()
                .unwrap()
                .contains("system"),
            "{closed_by}"
        );
    }
);

storage_test!(
    async fn a_completed_review_freezes_its_report_with_the_sha256_in_the_trail(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let max_token = crate::console::another_admin(&p, "max@acme.example", "manager").await;
        let jo = person(&p, "jo@acme.example", None).await;
        p.record(&jo, "availity-essentials", &["eligibility-benefits"])
            .await;
        let receiver = Receiver::start().await;
        p.webhook(&receiver.url, &["review.completed"], "json")
            .await;
        let (status, review) = call(
            &p,
            &max_token,
            Method::POST,
            "/api/v1/reviews",
            Some(json!({"name": "Availity check", "deadline": "2027-01-31", "reminders": []})),
        )
        .await;
        assert_eq!(status, 201, "{review}");
        assert_eq!(review["closes_at"], Value::Null);
        let id = review["id"].as_str().unwrap().to_owned();
        let (_, items) = p.get(&format!("/api/v1/reviews/{id}/items")).await;
        let path = format!(
            "/api/v1/reviews/{id}/items/{}/decision",
            item(&items, "jo@acme.example")["id"].as_str().unwrap()
        );
        let body = json!({"decision": "revoke", "comment": "moved to scheduling"});
        assert_eq!(
            call(&p, &max_token, Method::POST, &path, Some(body))
                .await
                .0,
            200
        );
        let close = format!("/api/v1/reviews/{id}/close");
        assert_eq!(
            call(&p, &max_token, Method::POST, &close, None).await.0,
            200
        );

        // Closed but the removal is not verified: not complete, nothing frozen.
        assert_eq!(p.app.sweep().await.reviews.completed, 0);
        let csv = p
            .app
            .client
            .get(
                p.app
                    .url(&format!("/api/v1/reviews/{id}/report?format=csv")),
            )
            .bearer_auth(&p.admin)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.starts_with("person,user_name,portal,"), "{csv}");
        assert!(csv.contains("moved to scheduling"), "{csv}");
        let task = p.tasks(&jo, "open").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for (token, action, body) in [
            (&p.admin, "claim", json!({})),
            (&p.admin, "complete", json!({"note": "removed in Availity"})),
            (&p.verifier, "verify", json!({})),
        ] {
            let (status, body) = call(
                &p,
                token,
                Method::POST,
                &format!("/api/v1/tasks/{task}/{action}"),
                Some(body),
            )
            .await;
            assert_eq!(status, 200, "{action}: {body}");
        }
        assert_eq!(p.app.sweep().await.reviews.completed, 1);
        assert_eq!(p.app.sweep().await.reviews.completed, 0, "once");
        let (_, done) = p.get(&format!("/api/v1/reviews/{id}")).await;
        assert!(done["completed_at"].is_string(), "{done}");
        let sha = done["report_sha256"].as_str().unwrap().to_owned();

        // The report served is byte for byte the one whose SHA-256 the trail holds.
        let response = p
            .app
            .client
            .get(p.app.url(&format!("/api/v1/reviews/{id}/report")))
            .bearer_auth(&p.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let header = response.headers()["x-report-sha256"]
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = response.bytes().await.unwrap();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), sha);
        assert_eq!(header, sha);
        let report: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(report["complete"], true);
        let (_, trail) = p.get("/api/v1/audit?action=review.completed").await;
        assert_eq!(trail["items"][0]["detail"]["report_sha256"], sha, "{trail}");
        p.app.deliver().await;
        let events = review_events(&receiver);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].1["detail"]["report_sha256"], sha);
    }
);

storage_test!(
    async fn the_review_schedule_is_checked_saved_and_audited(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let ada = crate::console::another_admin(&p, "ada@acme.example", "auditor").await;
        let (status, _) = call(
            &p,
            &ada,
            Method::PUT,
            "/api/v1/reviews/schedule",
            Some(json!({"cadence": "off"})),
        )
        .await;
        assert_eq!(
            status, 403,
            "an auditor reads the schedule, does not set it"
        );
        for (bad, says) in [
            (
                json!({"cadence": "every_months", "from": "2027-02-01"}),
                "months",
            ),
            (json!({"cadence": "once"}), "from"),
            (json!({"open_days": 0}), "open_days"),
            (json!({"open_days": 5}), "reminder"),
        ] {
            let (status, problem) = p.put("/api/v1/reviews/schedule", bad.clone()).await;
            assert_eq!(status, 422, "{bad}: {problem}");
            assert!(
                problem["detail"].as_str().unwrap().contains(says),
                "{problem}"
            );
        }
        let (status, problem) = p
            .put("/api/v1/reviews/schedule", json!({"cadence": "weekly"}))
            .await;
        assert_eq!(status, 400, "{problem}");
        let (status, saved) = p
            .put(
                "/api/v1/reviews/schedule",
                json!({"cadence": "every_months", "months": 6, "from": "2027-03-01",
                       "open_days": 14, "no_answer": "revoke", "reminders": ["3d"]}),
            )
            .await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!(saved["next"]["key"], "every-2027-03-01");
        assert_eq!(saved["schedule"]["no_answer"], "revoke");
        let (status, off) = p
            .put("/api/v1/reviews/schedule", json!({"cadence": "off"}))
            .await;
        assert_eq!(status, 200);
        assert!(off["next"].is_null(), "{off}");
        let (_, trail) = p.get("/api/v1/audit?action=review_schedule.updated").await;
        assert_eq!(trail["items"].as_array().unwrap().len(), 2, "{trail}");
        // Off: the first Monday of January passes with no review.
        p.app.clock.set("2027-01-04T15:00:00Z".parse().unwrap());
        assert_eq!(p.app.sweep().await.reviews.opened, 0);
    }
);

storage_test!(
    /// The console: the schedule on the Reviews page (changed in a form that says what to
    /// fix), the next review and open progress on Home, an item handed to someone else, and
    /// the printable report with its CSV.
    async fn reviews_are_scheduled_handed_over_and_reported_in_the_console(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        crate::console::another_admin(&p, "max@acme.example", "manager").await;
        let max = person(&p, "max@acme.example", None).await;
        let jo = person(&p, "jo@acme.example", Some(&max)).await;
        p.record(&jo, "availity-essentials", &["eligibility-benefits"])
            .await;
        let session = crate::console::Session::sign_in(&p.app, "acme", "max@acme.example").await;

        let (_, home) = session.get("/console").await;
        assert!(home.contains("Next review (2027-Q1) opens"), "{home}");
        let (_, page) = session.get("/console/reviews").await;
        assert!(page.contains("Every quarter"), "{page}");
        // Every six months from February, or (months left empty) a form that says what to fix.
        let schedule = |months: &'static str| {
            [
                ("cadence", "every_months"),
                ("months", months),
                ("from", "2027-02-01"),
                ("open_days", "21"),
                ("close_after_days", "7"),
                ("no_answer", "keep_and_flag"),
                ("reminders", "7d, 48h"),
            ]
        };
        let (status, to) = session
            .post("/console/reviews/schedule", &schedule(""))
            .await;
        assert_eq!(status, 422, "{to}");
        assert!(to.contains("months"), "{to}");
        let (status, to) = session
            .post("/console/reviews/schedule", &schedule("6"))
            .await;
        assert_eq!(status, 303, "{to}");
        let (_, page) = session.get(&to).await;
        assert!(page.contains("Review schedule saved."), "{page}");
        assert!(page.contains("Every 6 months from 2027-02-01"), "{page}");
        let (_, schedule) = p.get("/api/v1/reviews/schedule").await;
        assert_eq!(schedule["schedule"]["open_days"], 21);

        // A review opened in the console; Max hands Jo's account to Vic.
        let (_, to) = session
            .post(
                "/console/reviews",
                &[
                    ("name", "Q1"),
                    ("deadline", "2027-01-31"),
                    ("no_answer", "keep_and_flag"),
                ],
            )
            .await;
        let review = to
            .split('?')
            .next()
            .unwrap()
            .trim_start_matches("/console/reviews/")
            .to_owned();
        let (_, home) = session.get("/console").await;
        assert!(home.contains("0 of 1 decided"), "{home}");
        let (_, items) = p.get(&format!("/api/v1/reviews/{review}/items")).await;
        let jo_item = item(&items, "jo@acme.example")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, admins) = p.get("/api/v1/admins").await;
        let vic = admins["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["email"] == "vic@acme.example")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, to) = session
            .post(
                &format!("/console/reviews/{review}/items/{jo_item}/delegate"),
                &[("to", vic.as_str()), ("comment", "Vic knows Jo's work")],
            )
            .await;
        assert_eq!(status, 303);
        let (_, page) = session.get(&to).await;
        assert!(page.contains("Handed over"), "{page}");
        let (_, items) = p.get(&format!("/api/v1/reviews/{review}/items")).await;
        assert_eq!(item(&items, "jo@acme.example")["reviewer_id"], vic);

        // The report page and its CSV.
        let (status, report) = session
            .get(&format!("/console/reviews/{review}/report"))
            .await;
        assert_eq!(status, 200, "{report}");
        assert!(report.contains("Access review report: Q1"), "{report}");
        assert!(report.contains("every portal account"), "{report}");
        assert!(report.contains("jo@acme.example"), "{report}");
        let (status, csv) = session
            .get(&format!("/console/reviews/{review}/report.csv"))
            .await;
        assert_eq!(status, 200);
        assert!(csv.starts_with("person,user_name,portal,"), "{csv}");
    }
);
