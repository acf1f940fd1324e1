//! Reminders, overdue alerts and escalation, delivered by webhook to real HTTP receivers on
//! 127.0.0.1: exactly once, signed, retried, dead-lettered, across restarts and instances.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

use sea_orm::ConnectionTrait;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::Duration;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Backend, fixture, spawn_app, spawn_app_with, storage_test};
use crate::lifecycle::Practice;

const SECRET: &str = "test-signing-secret-0123456789";

/// One request a receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub json: Value,
    /// What the receiver answered.
    pub status: u16,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    /// Checks `X-Portcullis-Signature` the way a receiver would.
    fn signature_valid(&self, secret: &str) -> bool {
        let Some(hex_sig) = self
            .header("x-portcullis-signature")
            .strip_prefix("sha256=")
        else {
            return false;
        };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&self.body);
        mac.verify_slice(&hex::decode(hex_sig).unwrap_or_default())
            .is_ok()
    }
}

#[derive(Default)]
struct ReceiverState {
    received: Mutex<Vec<Received>>,
    /// Statuses to answer with, in order; 200 once they run out.
    script: Mutex<VecDeque<u16>>,
}

/// A webhook receiver: a real HTTP server on 127.0.0.1 that records what it gets.
pub(crate) struct Receiver {
    pub url: String,
    state: Arc<ReceiverState>,
    server: actix_web::dev::ServerHandle,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<ReceiverState>,
) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let status = state.script.lock().unwrap().pop_front().unwrap_or(200);
    state.received.lock().unwrap().push(Received {
        headers,
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        body: body.to_vec(),
        status,
    });
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .body(format!("answer {status}"))
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let state = Arc::new(ReceiverState::default());
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            state,
            server: handle,
        }
    }

    pub(crate) fn answer_with(&self, statuses: &[u16]) {
        self.state.script.lock().unwrap().extend(statuses);
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    pub(crate) async fn stop(&self) {
        self.server.stop(false).await;
    }
}

impl Practice {
    /// Subscribes `url` to `types`; returns the webhook's id.
    pub(crate) async fn webhook(&self, url: &str, types: &[&str], format: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/webhooks",
                json!({"name": "queue alerts", "url": url, "event_types": types, "format": format, "secret": SECRET}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// A person with an Availity account who then leaves: one open deprovision task (1h SLA).
    pub(crate) async fn leaver(&self, user_name: &str) -> (String, String) {
        let person = self.hire(user_name, "Front Desk").await;
        self.record(&person, "availity-essentials", &["eligibility-benefits"])
            .await;
        self.scim
            .patch(&format!("/Users/{person}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);
        let pending: Vec<Value> = self
            .tasks(&person, "open")
            .await
            .into_iter()
            .filter(|t| t["kind"] == "deprovision")
            .collect();
        assert_eq!(pending.len(), 1, "{pending:?}");
        (person, pending[0]["id"].as_str().unwrap().to_owned())
    }
}

/// A ladder with three contacts an hour apart, and no digest (it would be one more request).
fn ladder() -> Value {
    json!({
        "reminders_at_percent": [50, 90],
        "chain": ["assignee", "backup@acme.example", "role:manager"],
        "interval": "1h",
        "digest_at": null
    })
}

storage_test!(
    /// The ladder fires in order and exactly once; completing a task stops its alerts; every
    /// request is signed and carries the event's id as its idempotency key.
    async fn the_ladder_fires_in_order_exactly_once_until_the_task_is_done(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let receiver = Receiver::start().await;
        p.webhook(&receiver.url, &["task.*"], "json").await;
        let (status, body) = p.put("/api/v1/escalation-policy", ladder()).await;
        assert_eq!((status, body["version"].as_i64()), (200, Some(1)), "{body}");

        let (_, dana_task) = p.leaver("dana@acme.example").await;
        let (_, eve_task) = p.leaver("eve@acme.example").await;

        // (minutes to advance, what each task is owed then)
        let steps = [
            (0, None),
            (29, None),
            (1, Some("reminder:1")),  // 50 % of 60 minutes
            (24, Some("reminder:2")), // 90 %
            (6, Some("overdue")),
            (60, Some("escalation:2")),
            (60, Some("escalation:3")),
            (300, None),
        ];
        let mut expected_dana = Vec::new();
        for (minutes, step) in steps {
            p.app.clock.advance(Duration::minutes(minutes));
            if step == Some("reminder:2") {
                // Eve's task is done after her first reminder: nothing more for it.
                let (status, body) = p
                    .post(
                        &format!("/api/v1/tasks/{eve_task}/complete"),
                        json!({"note": "removed"}),
                    )
                    .await;
                assert_eq!(status, 200, "{body}");
            }
            p.app.sweep().await;
            p.app.sweep().await; // a second pass at the same instant adds nothing
            p.app.deliver().await;
            expected_dana.extend(step);
        }

        let received = receiver.received();
        let for_task = |task: &str| -> Vec<String> {
            received
                .iter()
                .filter(|r| r.json["task"]["id"] == task)
                .map(|r| r.json["step"]["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(for_task(&dana_task), expected_dana);
        assert_eq!(for_task(&eve_task), vec!["reminder:1"]);
        let keys: BTreeSet<&str> = received
            .iter()
            .map(|r| r.header("idempotency-key"))
            .collect();
        assert_eq!(keys.len(), received.len(), "one request per event");
        for r in &received {
            assert!(r.signature_valid(SECRET), "signature of {}", r.json);
            assert_eq!(r.header("idempotency-key"), r.json["id"].as_str().unwrap());
            assert_eq!(
                r.header("x-portcullis-event"),
                r.json["type"].as_str().unwrap()
            );
            assert_eq!(r.json["practice"]["slug"], "acme");
        }
        let overdue = received
            .iter()
            .find(|r| r.json["type"] == "task.overdue")
            .unwrap();
        assert_eq!(overdue.json["task"]["kind"], "deprovision");
        assert_eq!(overdue.json["task"]["portal"], "availity-essentials");
        assert!(
            overdue.json["task"]["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/api/v1/tasks/{dana_task}"))
        );
        let last = received
            .iter()
            .rfind(|r| r.json["task"]["id"] == dana_task)
            .unwrap();
        assert_eq!(last.json["notify"]["contact"], "role:manager");
        assert_eq!(last.json["task"]["escalation_level"], 3);
        assert_eq!(last.json["task"]["overdue_seconds"], 2 * 3600);

        // The task API shows where the task stands and every alert with its delivery.
        let (_, task) = p.get(&format!("/api/v1/tasks/{dana_task}")).await;
        assert_eq!(task["escalation_level"], 3);
        assert_eq!(task["reminders_sent"], 2);
        assert!(task["next_alert_at"].is_null(), "ladder finished: {task}");
        let alerts = task["alerts"].as_array().unwrap();
        assert_eq!(alerts.len(), 5);
        assert!(
            alerts
                .iter()
                .all(|a| a["deliveries"][0]["state"] == "delivered"),
            "{alerts:?}"
        );
        assert_eq!(alerts[2]["type"], "task.overdue");

        // And so does the audit trail: each alert recorded, each delivery confirmed.
        let (_, audit) = p
            .get(&format!("/api/v1/audit?target={dana_task}&limit=1000"))
            .await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| a.starts_with("notify.task."))
                .count(),
            5,
            "{actions:?}"
        );
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "webhook.delivered")
                .count(),
            5,
            "{actions:?}"
        );
        let (_, verify) = p.get("/api/v1/audit/verify").await;
        assert_eq!(verify["ok"], true);
        receiver.stop().await;
    }
);

storage_test!(
    /// A receiver answering 500 and then 200 gets the same event twice (same idempotency
    /// key) and exactly one delivery is recorded as accepted; the attempts are visible.
    async fn a_failed_attempt_is_retried_with_backoff_and_accepted_once(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let receiver = Receiver::start().await;
        let hook = p.webhook(&receiver.url, &["*"], "slack").await;
        receiver.answer_with(&[500]);

        let (status, queued) = p
            .post(&format!("/api/v1/webhooks/{hook}/test"), json!({}))
            .await;
        assert_eq!(status, 202, "{queued}");
        // The test event wakes the worker at once; this pass waits for it (or does it).
        p.app.deliver().await;
        assert_eq!(receiver.received().len(), 1);
        // Not due again until the backoff has passed.
        assert_eq!(p.app.deliver().await, 0);
        p.app.clock.advance(Duration::seconds(11)); // base 10 s, jitter within it
        assert_eq!(p.app.deliver().await, 1);
        assert_eq!(p.app.deliver().await, 0);

        let received = receiver.received();
        assert_eq!(received.len(), 2);
        assert_eq!(
            received[0].header("idempotency-key"),
            received[1].header("idempotency-key")
        );
        assert_eq!(
            received[0].header("idempotency-key"),
            queued["event_id"].as_str().unwrap()
        );
        assert!(received[1].signature_valid(SECRET));
        assert!(
            received[1].json["text"]
                .as_str()
                .unwrap()
                .contains("test notification"),
            "slack text: {}",
            received[1].json
        );

        let (status, deliveries) = p.get(&format!("/api/v1/webhooks/{hook}/deliveries")).await;
        assert_eq!(status, 200, "{deliveries}");
        let delivery = &deliveries["items"][0];
        assert_eq!(delivery["state"], "delivered");
        assert_eq!(delivery["attempts"], 2);
        assert_eq!(delivery["event_type"], "webhook.test");
        let history = delivery["history"].as_array().unwrap();
        assert_eq!(
            history
                .iter()
                .map(|a| a["status"].as_i64().unwrap())
                .collect::<Vec<_>>(),
            vec![200, 500]
        );
        assert_eq!(history[1]["response"], "answer 500");
        receiver.stop().await;
    }
);

storage_test!(
    /// A receiver that stays down past the give-up horizon: the delivery is dead-lettered,
    /// and that is itself alerted through the practice's other webhooks and audited.
    async fn a_receiver_down_past_the_horizon_dead_letters(backend: Backend) {
        let app = spawn_app_with(&backend, |s| {
            s.webhook_give_up_after = std::time::Duration::from_secs(3600);
            s.webhook_retry_max = std::time::Duration::from_secs(600);
        })
        .await;
        let p = Practice::new(app, "acme").await;
        let _ = p.put("/api/v1/escalation-policy", ladder()).await;
        let down = Receiver::start().await;
        down.stop().await; // nobody listens on its port any more
        let watcher = Receiver::start().await;
        let dead_hook = p.webhook(&down.url, &["task.*"], "json").await;
        p.webhook(&watcher.url, &["webhook.dead_lettered"], "json")
            .await;

        let (_, task) = p.leaver("dana@acme.example").await;
        p.app.clock.advance(Duration::minutes(30));
        p.app.sweep().await;
        let mut rounds = 0;
        loop {
            p.app.deliver().await;
            let (_, deliveries) = p
                .get(&format!("/api/v1/webhooks/{dead_hook}/deliveries"))
                .await;
            if deliveries["items"][0]["state"] == "dead" {
                let error = deliveries["items"][0]["last_error"].as_str().unwrap();
                assert!(!error.is_empty());
                assert!(
                    deliveries["items"][0]["attempts"].as_i64().unwrap() >= 5,
                    "{deliveries}"
                );
                break;
            }
            assert_eq!(deliveries["items"][0]["state"], "pending");
            rounds += 1;
            assert!(rounds < 100, "never dead-lettered: {deliveries}");
            p.app.clock.advance(Duration::minutes(10));
        }
        // The dead letter reaches the other webhook (and never the dead one).
        p.app.deliver().await;
        let alerts = watcher.received();
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].json["type"], "webhook.dead_lettered");
        assert_eq!(alerts[0].json["webhook"]["id"], dead_hook.as_str());
        assert_eq!(alerts[0].json["event"]["type"], "task.reminder");

        let (_, detail) = p.get(&format!("/api/v1/tasks/{task}")).await;
        let alerts = detail["alerts"].as_array().unwrap();
        assert_eq!(alerts[0]["deliveries"][0]["state"], "dead", "{detail}");
        assert!(alerts.iter().any(|a| a["type"] == "webhook.dead_lettered"));
        let (_, audit) = p.get("/api/v1/audit?action=webhook.dead_lettered").await;
        assert_eq!(audit["items"].as_array().unwrap().len(), 1);
        watcher.stop().await;
    }
);

storage_test!(
    /// Stopping the app while a delivery waits for its retry loses nothing: the next instance
    /// on the same database sends it, once.
    async fn a_restart_mid_backoff_resumes_without_loss(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let receiver = Receiver::start().await;
        let hook = p.webhook(&receiver.url, &["task.*"], "teams").await;
        let _ = p.put("/api/v1/escalation-policy", ladder()).await;
        let (_, task) = p.leaver("dana@acme.example").await;
        receiver.answer_with(&[503]);
        p.app.clock.advance(Duration::minutes(30));
        assert_eq!(p.app.sweep().await.alerts, 1);
        p.app.deliver().await;
        assert_eq!(receiver.received().len(), 1);

        let Practice {
            app,
            scim,
            admin,
            verifier,
        } = p;
        let p = Practice {
            app: app.restart().await,
            scim,
            admin,
            verifier,
        };
        p.app.clock.advance(Duration::minutes(1));
        assert_eq!(p.app.deliver().await, 1);
        assert_eq!(p.app.deliver().await, 0);

        let received = receiver.received();
        assert_eq!(received.len(), 2);
        assert_eq!(
            received[0].header("idempotency-key"),
            received[1].header("idempotency-key")
        );
        let card = &received[1].json["attachments"][0]["content"];
        assert_eq!(card["type"], "AdaptiveCard", "{}", received[1].json);
        assert!(card["actions"][0]["url"].as_str().unwrap().contains(&task));
        let (_, deliveries) = p.get(&format!("/api/v1/webhooks/{hook}/deliveries")).await;
        assert_eq!(deliveries["items"][0]["state"], "delivered");
        assert_eq!(deliveries["items"][0]["attempts"], 2);
        receiver.stop().await;
    }
);

/// Two instances on one PostgreSQL database, sweeping and delivering on their own timers,
/// with a few hundred tasks due: every alert arrives exactly once.
#[tokio::test]
async fn two_instances_on_one_postgres_deliver_each_alert_exactly_once() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let fast = |s: &mut portcullis::config::Settings| {
        s.sweep_interval = std::time::Duration::from_millis(100);
        s.webhook_poll_interval = std::time::Duration::from_millis(100);
    };
    let first = spawn_app_with(&backend, fast).await;
    let mut settings = first.settings.clone();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    let second = crate::helpers::start_app(
        settings,
        first.clock.clone(),
        tempfile::tempdir().unwrap(),
        first.database.clone(),
    )
    .await;
    let p = Practice::new(first, "acme").await;
    let receiver = Receiver::start().await;
    p.webhook(&receiver.url, &["task.*"], "json").await;
    let _ = p
        .put("/api/v1/escalation-policy", json!({"reminders_at_percent": [], "chain": ["assignee", "role:manager"], "interval": "1h", "digest_at": null}))
        .await;

    // 150 joiners, two provision tasks each (72 h).
    let hires = (0..150).map(|i| p.hire_later(format!("p{i:03}@acme.example")));
    futures_util::future::join_all(hires).await;
    let (_, page) = p.get("/api/v1/tasks?state=open&limit=200").await;
    let mut tasks = page["items"].as_array().unwrap().len();
    let mut cursor = page["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let (_, page) = p
            .get(&format!("/api/v1/tasks?state=open&limit=200&cursor={c}"))
            .await;
        tasks += page["items"].as_array().unwrap().len();
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(tasks, 300);

    // Past due and past the one escalation: two alerts per task, from whichever instance.
    // The receiver fails the first 50 requests: those are retried once the backoff passes.
    receiver.answer_with(&[500; 50]);
    p.app.clock.advance(Duration::hours(74));
    let expected = tasks * 2;
    let accepted = |received: &[Received]| received.iter().filter(|r| r.status == 200).count();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let mut advanced = false;
    while accepted(&receiver.received()) < expected && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if !advanced && receiver.received().len() >= expected && !in_flight(&p).await {
            // Every alert has been tried once and every attempt recorded: let the retries
            // fall due. (Jumping the clock while a send is still being recorded would expire
            // its lease, as if its instance had hung for two hours: the other instance would
            // rightly send it again, with the same idempotency key.)
            p.app.clock.advance(Duration::hours(2));
            advanced = true;
        }
    }
    // A little longer: a duplicate would arrive now.
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let received = receiver.received();
    let mut accepted_per_key: BTreeMap<&str, usize> = BTreeMap::new();
    for r in received.iter().filter(|r| r.status == 200) {
        *accepted_per_key
            .entry(r.header("idempotency-key"))
            .or_default() += 1;
    }
    let steps: BTreeSet<(String, String)> = received
        .iter()
        .map(|r| {
            (
                r.json["task"]["id"].as_str().unwrap().to_owned(),
                r.json["step"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(accepted_per_key.len(), expected, "every alert accepted");
    assert!(
        accepted_per_key.values().all(|n| *n == 1),
        "none accepted twice"
    );
    assert_eq!(
        received.len(),
        expected + 50,
        "each failed attempt retried exactly once"
    );
    assert_eq!(steps.len(), expected);
    drop(second);
    receiver.stop().await;
}

/// Whether any delivery is claimed and not yet recorded (or not yet tried).
async fn in_flight(p: &Practice) -> bool {
    let db = sea_orm::Database::connect(&p.app.settings.database_url)
        .await
        .unwrap();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM webhook_delivery WHERE lease_until IS NOT NULL OR attempts = 0",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap() > 0
}

impl Practice {
    async fn hire_later(&self, user_name: String) -> String {
        self.hire(&user_name, "Front Desk").await
    }
}

storage_test!(
    /// Subscriptions are checked, their secrets shown once, and they belong to one practice;
    /// auditors cannot change them.
    async fn webhooks_are_validated_scoped_and_secret(backend: Backend) {
        let app = spawn_app_with(&backend, |s| s.webhook_allow_private = false).await;
        let p = Practice::new(app, "acme").await;
        for (body, status, needle) in [
            (
                json!({"name": "x", "url": "http://127.0.0.1:9/hook"}),
                422,
                "private",
            ),
            (
                json!({"name": "x", "url": "http://169.254.169.254/latest"}),
                422,
                "private",
            ),
            (
                json!({"name": "x", "url": "ftp://example.com/"}),
                422,
                "http",
            ),
            (
                json!({"name": "x", "url": "https://example.com/h", "format": "xml"}),
                422,
                "format",
            ),
            (
                json!({"name": "x", "url": "https://example.com/h", "event_types": ["task.nope"]}),
                422,
                "event type",
            ),
            (
                json!({"name": "x", "url": "https://example.com/h", "secret": "short"}),
                422,
                "secret",
            ),
            (
                json!({"name": "", "url": "https://example.com/h"}),
                422,
                "name",
            ),
            (
                json!({"name": "x", "url": "https://example.com/h", "surprise": 1}),
                400,
                "surprise",
            ),
        ] {
            let (got, problem) = p.post("/api/v1/webhooks", body.clone()).await;
            assert_eq!(got, status, "{body}: {problem}");
            assert!(
                problem["detail"].as_str().unwrap().contains(needle),
                "{body}: {problem}"
            );
        }
        let (status, created) = p
            .post("/api/v1/webhooks", json!({"name": "Slack #portal-admins", "url": "https://hooks.example.com/services/T0/B0/XYZ", "format": "slack"}))
            .await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["secret"].as_str().unwrap().len(), 64);
        assert_eq!(
            created["event_types"],
            json!([
                "task.*",
                "review.*",
                "digest.daily",
                "practice_portal.*",
                "webhook.dead_lettered"
            ])
        );
        let id = created["id"].as_str().unwrap();
        let (_, listed) = p.get("/api/v1/webhooks").await;
        assert!(listed[0].get("secret").is_none(), "{listed}");
        let (status, one) = p
            .send(
                reqwest::Method::PATCH,
                &format!("/api/v1/webhooks/{id}"),
                Some(json!({"enabled": false})),
            )
            .await;
        assert_eq!((status, &one["enabled"]), (200, &json!(false)), "{one}");
        // The audit trail never holds the URL's token or the secret.
        let (_, audit) = p.get("/api/v1/audit?action=webhook.created").await;
        let text = audit.to_string();
        assert!(
            !text.contains("XYZ") && !text.contains(created["secret"].as_str().unwrap()),
            "{text}"
        );

        // Another practice sees none of it.
        let other = p.app.practice("other").await;
        let token = p.app.token(&other, "admin:read,admin:write").await;
        for path in [
            format!("/api/v1/webhooks/{id}"),
            format!("/api/v1/webhooks/{id}/deliveries"),
        ] {
            let response = p.app.get(&path, &token).await;
            assert_eq!(response.status(), 404, "{path}");
        }
        let response = p
            .app
            .client
            .post(p.app.url(&format!("/api/v1/webhooks/{id}/test")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        let response = p.app.get("/api/v1/webhooks", &token).await;
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"items": [], "next_cursor": null})
        );

        // Read-only credentials cannot change subscriptions.
        let acme = p
            .app
            .store
            .practice_by_slug(&portcullis::domain::practice::PracticeSlug::parse("acme").unwrap())
            .await
            .unwrap();
        let reader = p.app.token(&acme, "admin:read").await;
        let response = p
            .app
            .client
            .post(p.app.url("/api/v1/webhooks"))
            .bearer_auth(&reader)
            .json(&json!({"name": "x", "url": "https://example.com/h"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);

        let (status, _) = p
            .send(
                reqwest::Method::DELETE,
                &format!("/api/v1/webhooks/{id}"),
                None,
            )
            .await;
        assert_eq!(status, 204);
        assert_eq!(p.get(&format!("/api/v1/webhooks/{id}")).await.0, 404);
    }
);

storage_test!(
    /// The escalation policy is versioned, checked, and shared by the API and the command line.
    async fn the_escalation_policy_is_versioned_and_checked(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let (_, current) = p.get("/api/v1/escalation-policy").await;
        assert_eq!(current["version"], 0);
        assert_eq!(current["document"]["reminders_at_percent"], json!([50, 90]));
        assert_eq!(
            current["document"]["chain"],
            json!(["assignee", "role:manager"])
        );
        for (body, status) in [
            (json!({"reminders_at_percent": [90, 50]}), 422),
            (json!({"chain": []}), 422),
            (json!({"chain": ["role:boss"]}), 400),
            (json!({"interval": "soon"}), 400),
            (json!({"quiet_hours": "22:00"}), 400),
        ] {
            let (got, problem) = p.put("/api/v1/escalation-policy", body.clone()).await;
            assert_eq!(got, status, "{body}: {problem}");
        }
        let (status, stored) = p
            .put("/api/v1/escalation-policy", json!({"chain": ["assignee", "compliance@acme.example"], "quiet_hours": "20:00-07:00", "interval": "PT2H"}))
            .await;
        assert_eq!(status, 200, "{stored}");
        assert_eq!(stored["version"], 1);
        assert_eq!(stored["document"]["interval"], "2h");
        assert_eq!(stored["document"]["quiet_hours"], "20:00-07:00");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("escalation.json");
        std::fs::write(&file, ladder().to_string()).unwrap();
        crate::cli::run(
            crate::cli::portcullis(dir.path(), &p.app.settings.database_url).args([
                "escalation",
                "load",
                "--practice",
                "acme",
                file.to_str().unwrap(),
            ]),
        );
        let (_, history) = p.get("/api/v1/escalation-policy/history").await;
        assert_eq!(history["items"].as_array().unwrap().len(), 2);
        assert_eq!(
            history["items"][0]["document"]["chain"][1],
            "backup@acme.example"
        );
        assert_eq!(history["items"][0]["actor"], "cli");
        let (_, audit) = p
            .get("/api/v1/audit?action=escalation_policy.updated")
            .await;
        assert_eq!(audit["items"].as_array().unwrap().len(), 2);
    }
);

storage_test!(
    /// A daily digest per practice (once a day, with the audit head and a signed checkpoint), and an alert when a
    /// portal falls below its minimum administrator count, re-armed once it recovers.
    async fn digests_and_administrator_counts(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let receiver = Receiver::start().await;
        p.webhook(
            &receiver.url,
            &["digest.daily", "practice_portal.*"],
            "json",
        )
        .await;
        let (status, body) = p
            .put("/api/v1/practice-portals/availity-essentials", json!({"portal": "availity-essentials", "org_scope": {"tin": "123456789"}, "min_admins": 1}))
            .await;
        assert_eq!(status, 200, "{body}");

        // 06:00 in Chicago: no digest yet; Availity has no administrator at all.
        p.app.sweep().await;
        p.app.sweep().await;
        p.app.deliver().await;
        let got = receiver.received();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].json["type"], "practice_portal.below_min_admins");
        assert_eq!(got[0].json["practice_portal"]["admins"], 0);

        let boss = p.hire("boss@acme.example", "Front Desk").await;
        p.record(&boss, "availity-essentials", &["administrator"])
            .await;
        p.app.sweep().await;
        p.app.deliver().await;
        assert_eq!(
            receiver.received()[1].json["type"],
            "practice_portal.admins_restored"
        );

        // 07:00 local: the digest, once.
        p.app.clock.advance(Duration::hours(1));
        p.app.sweep().await;
        p.app.clock.advance(Duration::hours(3));
        p.app.sweep().await;
        p.app.deliver().await;
        let digests: Vec<Received> = receiver
            .received()
            .into_iter()
            .filter(|r| r.json["type"] == "digest.daily")
            .collect();
        assert_eq!(digests.len(), 1);
        let digest = &digests[0].json["digest"];
        assert_eq!(digest["date"], "2026-11-24");
        assert!(digest["open"].as_u64().unwrap() >= 2, "{digest}");
        assert_eq!(digest["audit_head"]["hash"].as_str().unwrap().len(), 64);
        // The head it carries anchors the chain.
        let head = &digest["audit_head"];
        let (_, verify) = p
            .get(&format!(
                "/api/v1/audit/verify?anchor_seq={}&anchor_hash={}",
                head["seq"],
                head["hash"].as_str().unwrap()
            ))
            .await;
        assert_eq!(verify["ok"], true, "{verify}");
        // And it carries the chain's latest signed checkpoint, made with it: the record just
        // before the digest's own.
        let checkpoint = &digest["audit_checkpoint"];
        assert_eq!(checkpoint["reason"], "daily", "{digest}");
        assert_eq!(checkpoint["signature"].as_str().unwrap().len(), 128);
        assert_eq!(checkpoint["count"], checkpoint["seq"]);
        assert_eq!(verify["checkpoint"]["seq"], checkpoint["seq"], "{verify}");
        receiver.stop().await;
    }
);

storage_test!(
    /// The README's drill, with the background loops running on their own timers: an SLA of
    /// PT2S, a leaver over SCIM, and the overdue alert reaches the webhook by itself.
    async fn the_drill_overdue_alert_arrives_by_itself(backend: Backend) {
        let app = spawn_app_with(&backend, |s| {
            s.sweep_interval = std::time::Duration::from_millis(200);
            s.webhook_poll_interval = std::time::Duration::from_millis(200);
        })
        .await;
        let p = Practice::new(app, "drill").await;
        let receiver = Receiver::start().await;
        p.webhook(&receiver.url, &["task.overdue"], "json").await;
        let (status, body) = p
            .put(
                "/api/v1/settings/sla",
                json!({
                    "deprovision": "PT2S", "modify_removal": "24h", "provision": "72h",
                    "transfer_admin": "4h", "notify_third_party": "24h"
                }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, task) = p.leaver("dana@drill.example").await;
        p.app.clock.advance(Duration::seconds(3));

        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while receiver.received().is_empty() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let received = receiver.received();
        assert_eq!(received.len(), 1, "{received:?}");
        assert_eq!(received[0].json["type"], "task.overdue");
        assert_eq!(received[0].json["task"]["id"], task.as_str());
        assert_eq!(received[0].json["task"]["overdue_seconds"], 1);
        receiver.stop().await;
    }
);

storage_test!(
    /// An alert waiting for its retry is not sent once its task is done; a paused webhook
    /// holds its deliveries until it is enabled again.
    async fn finished_tasks_and_paused_webhooks_send_nothing(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let receiver = Receiver::start().await;
        let hook = p.webhook(&receiver.url, &["task.*"], "json").await;
        let _ = p.put("/api/v1/escalation-policy", ladder()).await;
        let (_, dana_task) = p.leaver("dana@acme.example").await;
        let (_, eve_task) = p.leaver("eve@acme.example").await;
        receiver.answer_with(&[500, 500]);
        p.app.clock.advance(Duration::minutes(30));
        assert_eq!(p.app.sweep().await.alerts, 2); // a reminder for each
        p.app.deliver().await;
        assert_eq!(receiver.received().len(), 2);

        // Dana's task is done while its reminder waits; then the webhook is paused.
        let (status, body) = p
            .post(
                &format!("/api/v1/tasks/{dana_task}/complete"),
                json!({"note": "removed"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = p
            .send(
                reqwest::Method::PATCH,
                &format!("/api/v1/webhooks/{hook}"),
                Some(json!({"enabled": false})),
            )
            .await;
        assert_eq!(status, 200);
        let (status, problem) = p
            .post(&format!("/api/v1/webhooks/{hook}/test"), json!({}))
            .await;
        assert_eq!(status, 409, "{problem}");
        p.app.clock.advance(Duration::minutes(5));
        p.app.deliver().await;
        assert_eq!(receiver.received().len(), 2, "paused: nothing sent");

        // Enabled again: Eve's reminder goes; Dana's is cancelled, never sent.
        let _ = p
            .send(
                reqwest::Method::PATCH,
                &format!("/api/v1/webhooks/{hook}"),
                Some(json!({"enabled": true})),
            )
            .await;
        p.app.deliver().await;
        let received = receiver.received();
        assert_eq!(received.len(), 3);
        assert_eq!(received[2].json["task"]["id"], eve_task.as_str());
        let (_, detail) = p.get(&format!("/api/v1/tasks/{dana_task}")).await;
        assert_eq!(
            detail["alerts"][0]["deliveries"][0]["state"], "cancelled",
            "{detail}"
        );
        let (_, detail) = p.get(&format!("/api/v1/tasks/{eve_task}")).await;
        assert_eq!(
            detail["alerts"][0]["deliveries"][0]["state"], "delivered",
            "{detail}"
        );

        // A read-only credential sees the webhook's host, never its path (Slack keeps its
        // token there).
        let acme = p
            .app
            .store
            .practice_by_slug(&portcullis::domain::practice::PracticeSlug::parse("acme").unwrap())
            .await
            .unwrap();
        let reader = p.app.token(&acme, "admin:read").await;
        let listed: Value = p
            .app
            .get("/api/v1/webhooks", &reader)
            .await
            .json()
            .await
            .unwrap();
        assert!(
            listed["items"][0]["url"].as_str().unwrap().ends_with("/…"),
            "{listed}"
        );
        receiver.stop().await;
    }
);

storage_test!(
    /// A task knows its first alert when it is created, so the sweeper does not have to visit
    /// (under the practice's lock) every task a bulk import just made.
    async fn a_new_task_knows_its_first_alert(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let (status, body) = p.put("/api/v1/escalation-policy", ladder()).await;
        assert_eq!(status, 200, "{body}");
        let (_, task) = p.leaver("dana@acme.example").await;

        let (_, created) = p.get(&format!("/api/v1/tasks/{task}")).await;
        let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        let window = at(&created["due_at"]) - at(&created["created_at"]);
        assert_eq!(
            at(&created["next_alert_at"]),
            at(&created["created_at"]) + window / 2,
            "the first reminder, at 50 % of the window: {created}"
        );

        // Nothing is due yet: a sweep leaves the task where it is.
        p.app.sweep().await;
        let (_, swept) = p.get(&format!("/api/v1/tasks/{task}")).await;
        assert_eq!(swept["next_alert_at"], created["next_alert_at"]);
        assert_eq!(swept["reminders_sent"], 0);
    }
);
