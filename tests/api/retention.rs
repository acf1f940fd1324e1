//! Retention: the housekeeping loop prunes finished deliveries, spent outbox events and
//! expired sessions and sign-in links once old enough, audited as counts; what is still owed
//! a delivery, and the audit trail itself, stay.

use chrono::Duration;
use serde_json::{Value, json};

use crate::alerts::Receiver;
use crate::console::sign_in_link;
use crate::helpers::{spawn_app, storage_test};
use crate::lifecycle::Practice;

impl Practice {
    async fn delivery_states(&self, hook: &str) -> Vec<String> {
        let (_, body) = self
            .get(&format!("/api/v1/webhooks/{hook}/deliveries"))
            .await;
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["state"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn pruned_records(&self) -> Vec<Value> {
        let (status, audit) = self.get("/api/v1/audit?action=retention.pruned").await;
        assert_eq!(status, 200, "{audit}");
        audit["items"].as_array().unwrap().clone()
    }
}

storage_test!(
    async fn old_deliveries_and_expired_sign_ins_are_pruned_and_counted(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let receiver = Receiver::start().await;
        let (status, hook) = p
            .post(
                "/api/v1/webhooks",
                json!({"name": "alerts", "url": receiver.url, "event_types": ["task.*"],
                       "format": "json", "secret": "test-signing-secret-0123456789"}),
            )
            .await;
        assert_eq!(status, 201, "{hook}");
        let hook = hook["id"].as_str().unwrap().to_owned();
        let policy = json!({"reminders_at_percent": [50], "chain": ["assignee"],
                            "interval": "1h", "digest_at": null});
        assert_eq!(p.put("/api/v1/escalation-policy", policy).await.0, 200);

        // One alert delivered; then the receiver goes away, and the next two (Dana's task
        // overdue, Eve's reminder) wait for a retry.
        p.leaver("dana@acme.example").await;
        p.app.clock.advance(Duration::minutes(31));
        p.app.sweep().await;
        p.app.deliver().await;
        assert_eq!(receiver.received().len(), 1);
        receiver.stop().await;
        let (_, eve_task) = p.leaver("eve@acme.example").await;
        p.app.clock.advance(Duration::minutes(31));
        p.app.sweep().await;
        p.app.deliver().await;
        // Eve's task is done before her reminder's retry: that delivery is cancelled.
        let (status, body) = p
            .post(
                &format!("/api/v1/tasks/{eve_task}/complete"),
                json!({"note": "removed"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        p.app.clock.advance(Duration::minutes(5));
        p.app.deliver().await;
        let mut states = p.delivery_states(&hook).await;
        states.sort();
        assert_eq!(states, ["cancelled", "delivered", "pending"]);

        // A sign-in link that expires unused, and a session that is signed out.
        sign_in_link(&p.app, "acme", "pat@acme.example", Duration::minutes(15)).await;
        let secret = sign_in_link(&p.app, "acme", "pat@acme.example", Duration::minutes(15)).await;
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let used = browser
            .post(p.app.url(&format!("/console/sign-in/{secret}")))
            .header("origin", &p.app.address)
            .send()
            .await
            .unwrap();
        assert_eq!(used.status(), 303);

        // Within the 90 days the deliveries stay; the expired link and the idle session go.
        p.app.clock.advance(Duration::days(89));
        p.app.jobs.housekeeping.run_once().await;
        let records = p.pruned_records().await;
        assert_eq!(records.len(), 1, "{records:?}");
        let detail = &records[0]["detail"];
        assert_eq!(detail["deliveries"], 0, "{detail}");
        assert_eq!(detail["sign_in_links"], 2, "{detail}");
        assert_eq!(detail["sessions"], 1, "{detail}");
        assert_eq!(records[0]["actor"], "system");

        // Past them, the delivered and the cancelled one go with their attempts and events;
        // the one still pending keeps its event. Nothing is left to prune on the next pass.
        p.app.clock.advance(Duration::days(2));
        p.app.jobs.housekeeping.run_once().await;
        p.app.jobs.housekeeping.run_once().await;
        let records = p.pruned_records().await;
        assert_eq!(records.len(), 2, "{records:?}");
        let detail = records
            .iter()
            .map(|r| &r["detail"])
            .find(|d| d["deliveries"] == 2)
            .expect("a record of the finished deliveries' pruning");
        assert_eq!(detail["attempts"], 2, "{detail}");
        assert_eq!(detail["outbox_events"], 2, "{detail}");
        assert_eq!(p.delivery_states(&hook).await, ["pending"]);

        // The audit trail is whole, and still verifies.
        let (status, verified) = p.get("/api/v1/audit/verify").await;
        assert_eq!(status, 200, "{verified}");
        assert_eq!(verified["ok"], true, "{verified}");
    }
);
