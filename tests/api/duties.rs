//! Portal duties on their calendars, on both backends with the injected clock: Palmetto's
//! user recertification (every 360 days) opens its `recertify` task 30 days before the
//! deadline, with the accounts to recertify, once; its administrator recertification alarms
//! the whole escalation chain from day one; doing the task records the duty met and moves
//! the deadline; a practice corrects a cadence the catalogue has wrong, and a wrong value is
//! refused with the rule.

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::admins::call;
use crate::alerts::Receiver;
use crate::helpers::{NowUtc, spawn_app, storage_test};
use crate::lifecycle::Practice;

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

fn duty<'a>(duties: &'a Value, key: &str) -> &'a Value {
    duties["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["key"] == key)
        .unwrap_or_else(|| panic!("{key}: {duties}"))
}

storage_test!(
    async fn palmetto_recertification_opens_30_days_ahead(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let added = p
            .post(
                "/api/v1/practice-portals",
                json!({"portal": "palmetto-eservices"}),
            )
            .await;
        assert_eq!(added.0, 201, "{}", added.1);
        let jo = p.hire("jo@acme.example", "Front Desk").await;
        let (status, body) = p
            .post(
                &format!("/api/v1/people/{jo}/accounts"),
                json!({"portal": "palmetto-eservices", "username": "jo-pgba", "roles": ["eligibility"]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let receiver = Receiver::start().await;
        p.webhook(&receiver.url, &["task.*"], "json").await;

        // The catalogue's duties, counted from when the portal was added (never recorded).
        let (status, duties) = p
            .get("/api/v1/practice-portals/palmetto-eservices/duties")
            .await;
        assert_eq!(status, 200, "{duties}");
        let users = duty(&duties, "user-recertification");
        assert_eq!(users["every_days"], 360);
        assert_eq!(users["window_days"], 30);
        assert_eq!(users["state"], "ok");
        assert!(users["last_met_at"].is_null());
        assert!(
            users["consequence"]
                .as_str()
                .unwrap()
                .contains("deactivated")
        );
        let admins = duty(&duties, "admin-recertification");
        assert_eq!(admins["escalates_from_day_one"], true);

        // Recorded as met a year ago: due in 5 days, so the window is open now.
        let now = p.app.clock.now_utc();
        let met = (now - Duration::days(355)).to_rfc3339();
        let (status, recorded) = p
            .put(
                "/api/v1/practice-portals/palmetto-eservices/duties/user-recertification",
                json!({"last_met_at": met}),
            )
            .await;
        assert_eq!(status, 200, "{recorded}");
        assert_eq!(recorded["state"], "window_open", "{recorded}");
        let due = at(&recorded["due_at"]);
        assert!(
            recorded["met_by"]
                .as_str()
                .unwrap()
                .contains("pat@acme.example")
        );

        // The other duty's window opens 30 days before its deadline, not a second earlier.
        let admin_due = at(&admins["due_at"]);
        let report = p.app.sweep().await;
        assert_eq!(report.duty_tasks, 1, "only the open window: {report:?}");
        assert_eq!(p.app.sweep().await.duty_tasks, 0, "once per deadline");
        let (_, tasks) = p.get("/api/v1/tasks?kind=recertify").await;
        let list = tasks["items"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{tasks}");
        let task = &list[0];
        assert_eq!(task["portal"], "palmetto-eservices");
        assert_eq!(task["cause"], "duty");
        assert_eq!(task["duty"], "user-recertification");
        assert!(task["person_id"].is_null());
        assert_eq!(at(&task["due_at"]), due);
        assert!(
            task["action"].as_str().unwrap().contains("jo-pgba"),
            "{task}"
        );
        // A minute before, only Noridian's two duties (45-day windows, day 320) open theirs.
        p.app
            .clock
            .set(admin_due - Duration::days(30) - Duration::minutes(1));
        assert_eq!(p.app.sweep().await.duty_tasks, 2);
        p.app.clock.set(admin_due - Duration::days(30));
        assert_eq!(p.app.sweep().await.duty_tasks, 1);

        // The administrators' duty alarmed the whole chain at once, long before its deadline.
        p.app.deliver().await;
        let day_one: Vec<Value> = receiver
            .received()
            .into_iter()
            .map(|r| r.json)
            .filter(|j| j["type"] == "task.escalated" && j["step"]["name"] == "escalation:0")
            .collect();
        let chain: Vec<&str> = day_one
            .iter()
            .map(|j| j["notify"]["contact"].as_str().unwrap())
            .collect();
        assert_eq!(chain, ["assignee", "role:manager"], "{day_one:?}");
        assert_eq!(day_one[0]["task"]["kind"], "recertify");

        // Done: the duty is met and its next deadline counts from now.
        let task_id = task["id"].as_str().unwrap();
        for (action, body) in [
            ("claim", json!({})),
            (
                "complete",
                json!({"note": "recertified 1 user in eServices"}),
            ),
        ] {
            let (status, body) = call(
                &p,
                &p.admin,
                Method::POST,
                &format!("/api/v1/tasks/{task_id}/{action}"),
                Some(body),
            )
            .await;
            assert_eq!(status, 200, "{action}: {body}");
        }
        let (_, duties) = p
            .get("/api/v1/practice-portals/palmetto-eservices/duties")
            .await;
        let users = duty(&duties, "user-recertification");
        assert_eq!(users["state"], "ok", "{users}");
        assert_eq!(
            at(&users["due_at"]),
            p.app.clock.now_utc() + Duration::days(360)
        );
        let (_, trail) = p.get("/api/v1/audit?action=portal_duty.met").await;
        assert_eq!(trail["items"].as_array().unwrap().len(), 2, "{trail}");
    }
);

storage_test!(
    async fn a_practice_corrects_a_duty_and_bad_values_are_refused(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let (status, duties) = p.get("/api/v1/practice-portals/noridian-nmp/duties").await;
        assert_eq!(status, 200);
        let training = duty(&duties, "security-training");
        assert_eq!(training["window_days"], 45);
        assert_eq!(training["kind"], "training");
        for (bad, status_wanted) in [
            (json!({"every_days": 0}), 422),
            (json!({"every_days": 30, "window_days": 45}), 422),
            (json!({"last_met_at": "2999-01-01"}), 422),
            (json!({"last_met_at": "yesterday"}), 400),
            (json!({"every": 365}), 400),
        ] {
            let (status, problem) = p
                .put(
                    "/api/v1/practice-portals/noridian-nmp/duties/security-training",
                    bad.clone(),
                )
                .await;
            assert_eq!(status, status_wanted, "{bad}: {problem}");
        }
        let (status, _) = p
            .put(
                "/api/v1/practice-portals/noridian-nmp/duties/no-such-duty",
                json!({}),
            )
            .await;
        assert_eq!(status, 404);
        let (status, _) = p.get("/api/v1/practice-portals/cigna-for-hcp/duties").await;
        assert_eq!(status, 404, "a portal the practice does not use");
        let (status, corrected) = p
            .put(
                "/api/v1/practice-portals/noridian-nmp/duties/user-recertification",
                json!({"every_days": 330, "window_days": 60}),
            )
            .await;
        assert_eq!(status, 200, "{corrected}");
        assert_eq!(corrected["every_days"], 330);
        assert_eq!(corrected["catalogue_every_days"], 365);
        let (_, trail) = p.get("/api/v1/audit?action=portal_duty.updated").await;
        assert_eq!(trail["items"].as_array().unwrap().len(), 1, "{trail}");
        // Another practice sees none of it.
        let other = p.app.practice("other").await;
        let token = p.app.token(&other, "admin:read,admin:write").await;
        let response = p
            .app
            .get("/api/v1/practice-portals/noridian-nmp/duties", &token)
            .await;
        assert_eq!(
            response.status(),
            404,
            "the other practice does not use Noridian"
        );
    }
);

storage_test!(
    /// The console: a portal's page lists its duties with their deadlines; "Record as met"
    /// moves the deadline; "Review this portal's accounts" opens a review of that portal in
    /// one click; Home lists what is due in the next 60 days.
    async fn duties_are_shown_met_and_reviewed_in_the_console(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        crate::console::another_admin(&p, "max@acme.example", "manager").await;
        let jo = p.hire("jo@acme.example", "Front Desk").await;
        p.record(&jo, "noridian-nmp", &["eligibility"]).await;
        let session = crate::console::Session::sign_in(&p.app, "acme", "max@acme.example").await;
        let (_, home) = session.get("/console").await;
        assert!(
            home.contains("No recertification or training is due in the next 60 days"),
            "{home}"
        );
        let (status, page) = session.get("/console/portals/noridian-nmp").await;
        assert_eq!(status, 200);
        assert!(page.contains("Recertify every user"), "{page}");
        assert!(page.contains("never recorded"), "{page}");

        // 310 days on, Noridian's deadlines are within 60 days.
        p.app.clock.advance(Duration::days(310));
        let session = crate::console::Session::sign_in(&p.app, "acme", "max@acme.example").await;
        let (_, home) = session.get("/console").await;
        assert!(home.contains("Security awareness training"), "{home}");

        let vic = crate::console::Session::sign_in(&p.app, "acme", "vic@acme.example").await;
        let (status, to) = vic
            .post(
                "/console/portals/noridian-nmp/duties/user-recertification",
                &[("met_on", "someday")],
            )
            .await;
        assert_eq!(status, 303);
        let (_, page) = vic.get(&to).await;
        assert!(page.contains("Not recorded: write the date"), "{page}");
        let today = p.app.clock.now_utc().date_naive().to_string();
        let (_, to) = vic
            .post(
                "/console/portals/noridian-nmp/duties/user-recertification",
                &[("met_on", today.as_str())],
            )
            .await;
        let (_, page) = vic.get(&to).await;
        assert!(
            page.contains("Recorded: Recertify every user met."),
            "{page}"
        );
        assert!(page.contains("recorded by vic"), "{page}");

        // One click: the form on the portal's page opens a review of the portal's accounts.
        let (_, page) = session.get("/console/portals/noridian-nmp").await;
        let form = page
            .split("<form method=\"post\" action=\"/console/reviews\" class=\"decide\">")
            .nth(1)
            .unwrap_or_else(|| panic!("no review form: {page}"));
        let form = &form[..form.find("</form>").unwrap()];
        let value = |name: &str| {
            let marker = format!("name=\"{name}\" value=\"");
            let start = form.find(&marker).unwrap() + marker.len();
            form[start..start + form[start..].find('"').unwrap()].to_owned()
        };
        assert_eq!(value("portal"), "noridian-nmp");
        let (name, deadline) = (value("name"), value("deadline"));
        let (_, to) = session
            .post(
                "/console/reviews",
                &[
                    ("name", name.as_str()),
                    ("deadline", deadline.as_str()),
                    ("no_answer", "keep_and_flag"),
                    ("portal", "noridian-nmp"),
                ],
            )
            .await;
        assert!(to.starts_with("/console/reviews/"), "{to}");
        let (_, reviews) = p.get("/api/v1/reviews").await;
        assert_eq!(
            reviews["items"][0]["scope"]["portals"],
            json!(["noridian-nmp"])
        );
        assert_eq!(reviews["items"][0]["items"], 1);
    }
);
