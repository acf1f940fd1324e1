//! The console's Settings page over HTTP: deadlines, four-eyes, the escalation ladder,
//! webhooks ("Send test" and the delivery log against a real receiver), administrators
//! (added with a role, taken off the practice) and the identity provider's tokens (shown
//! once, revoked), each change audited under the person's name; read-only for others.

use crate::alerts::Receiver;
use crate::console::{Session, another_admin};
use crate::helpers::{spawn_app, status_within_auth_ttl, storage_test};
use crate::lifecycle::Practice;

/// The practice's administrator with `email`, as `GET /api/v1/admins` lists them.
async fn admin_row(p: &Practice, email: &str) -> serde_json::Value {
    let (_, admins) = p.get("/api/v1/admins").await;
    admins["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {admins}"))
        .clone()
}

/// The text of the `<code id="shown-secret">` on a page.
fn shown_secret(page: &str) -> String {
    let at = page
        .find("<code id=\"shown-secret\">")
        .expect("a secret shown once")
        + 24;
    page[at..at + page[at..].find("</code>").unwrap()].to_owned()
}

storage_test!(
    async fn deadlines_verification_and_escalation_are_set_in_the_console(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let pat = Session::sign_in(&p.app, "acme", "pat@acme.example").await;
        let (status, page) = pat.get("/console/settings").await;
        assert_eq!(status, 200, "{page}");
        for shown in [
            "Remove a leaver&#39;s access",
            "name=\"deprovision\" value=\"1h\"",
            "id=\"four-eyes\" name=\"four_eyes\" value=\"on\" checked",
            ">assignee\nrole:manager</textarea>",
            "The built-in ladder applies.",
        ] {
            assert!(page.contains(shown), "{shown:?} in {page}");
        }
        let deadlines = |deprovision: &'static str| {
            vec![
                ("deprovision", deprovision),
                ("modify_removal", "24h"),
                ("provision", "3d"),
                ("transfer_admin", "4bh"),
                ("notify_third_party", "same_business_day"),
            ]
        };
        let (status, to) = pat.post("/console/settings/sla", &deadlines("2h")).await;
        assert_eq!(status, 303, "{to}");
        assert!(to.ends_with("#deadlines"), "{to}");
        let (_, sla) = p.get("/api/v1/settings/sla").await;
        assert_eq!(sla["deprovision"], "2h");
        assert_eq!(sla["provision"], "72h");
        assert_eq!(sla["transfer_admin"], "4bh");
        let (status, refused) = pat.post("/console/settings/sla", &deadlines("soon")).await;
        assert_eq!(status, 422);
        assert!(
            refused.contains("Remove a leaver&#39;s access: `soon`"),
            "{refused}"
        );
        let (_, sla) = p.get("/api/v1/settings/sla").await;
        assert_eq!(sla["deprovision"], "2h", "a refused form changes nothing");

        // Four-eyes stays on while the practice has two portal administrators.
        let (status, refused) = pat.post("/console/settings/verification", &[]).await;
        assert_eq!(status, 422, "{refused}");
        assert!(refused.contains("role=\"alert\""), "{refused}");
        let (_, verification) = p.get("/api/v1/settings/verification").await;
        assert_eq!(verification["four_eyes"], true);

        let ladder = |chain: &'static str| {
            vec![
                ("version", "0"),
                ("reminders", "25, 75"),
                ("chain", chain),
                ("interval", "2h"),
                ("quiet_hours", "20:00-07:00"),
                ("digest_at", ""),
            ]
        };
        let (status, to) = pat
            .post(
                "/console/settings/escalation",
                &ladder("assignee\r\nrole:portal_admin\r\ncompliance@acme.example"),
            )
            .await;
        assert_eq!(status, 303, "{to}");
        let (_, escalation) = p.get("/api/v1/escalation-policy").await;
        assert_eq!(escalation["version"], 1, "{escalation}");
        let document = &escalation["document"];
        assert_eq!(
            document["reminders_at_percent"],
            serde_json::json!([25, 75])
        );
        assert_eq!(
            document["chain"],
            serde_json::json!(["assignee", "role:portal_admin", "compliance@acme.example"])
        );
        assert_eq!(document["interval"], "2h");
        assert_eq!(document["quiet_hours"], "20:00-07:00");
        assert!(document["digest_at"].is_null(), "{document}");
        assert!(
            escalation["actor"]
                .as_str()
                .unwrap()
                .contains("pat@acme.example")
        );
        let (status, refused) = pat
            .post("/console/settings/escalation", &ladder("role:boss"))
            .await;
        assert_eq!(status, 422);
        assert!(refused.contains("role:boss"), "{refused}");
        let (_, page) = pat.get("/console/settings").await;
        assert!(page.contains("Version 1, saved by pat"), "{page}");

        // A manager reads the settings and cannot change them.
        another_admin(&p, "max@acme.example", "manager").await;
        let max = Session::sign_in(&p.app, "acme", "max@acme.example").await;
        let (status, page) = max.get("/console/settings").await;
        assert_eq!(status, 200);
        assert!(
            page.contains("Only portal administrators change settings"),
            "{page}"
        );
        assert!(!page.contains("Save deadlines"), "{page}");
        let (status, _) = max.post("/console/settings/sla", &deadlines("5h")).await;
        assert_eq!(status, 403);
        let (_, sla) = p.get("/api/v1/settings/sla").await;
        assert_eq!(sla["deprovision"], "2h");
    }
);

storage_test!(
    async fn webhooks_are_added_tested_and_logged_in_the_console(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let receiver = Receiver::start().await;
        let pat = Session::sign_in(&p.app, "acme", "pat@acme.example").await;
        let (status, page) = pat
            .post(
                "/console/settings/webhooks",
                &[
                    ("name", "Front office Slack"),
                    ("url", receiver.url.as_str()),
                    ("format", "json"),
                    ("events", ""),
                ],
            )
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Front office Slack&#34; added."), "{page}");
        let secret = shown_secret(&page);
        assert_eq!(secret.len(), 64, "{secret}");
        let (_, hooks) = p.get("/api/v1/webhooks").await;
        let id = hooks["items"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(hooks["items"][0]["event_types"][0], "task.*");
        let (_, page) = pat.get("/console/settings").await;
        assert!(!page.contains(&secret), "the secret is shown once");

        let (status, to) = pat
            .post(&format!("/console/settings/webhooks/{id}/test"), &[])
            .await;
        assert_eq!(status, 303, "{to}");
        assert!(to.starts_with(&format!("/console/settings/webhooks/{id}?notice=")));
        p.app.deliver().await;
        let received = receiver.received();
        assert_eq!(received.len(), 1);
        assert_eq!(
            received[0].json["type"], "webhook.test",
            "{:?}",
            received[0].json
        );
        let (status, log) = pat.get(&to).await;
        assert_eq!(status, 200, "{log}");
        for shown in [
            "Test event sent",
            "webhook.test",
            "delivered",
            "HTTP 200",
            "answer 200",
        ] {
            assert!(log.contains(shown), "{shown:?} in {log}");
        }

        // Refusals name the field and keep the page.
        let (status, refused) = pat
            .post(
                "/console/settings/webhooks",
                &[
                    ("name", "bad"),
                    ("url", "ftp://example.com/x"),
                    ("format", "json"),
                    ("events", ""),
                ],
            )
            .await;
        assert_eq!(status, 422, "{refused}");
        assert!(refused.contains("id=\"webhooks\""), "{refused}");

        let (status, _) = pat
            .post(&format!("/console/settings/webhooks/{id}/delete"), &[])
            .await;
        assert_eq!(status, 303);
        let (_, hooks) = p.get("/api/v1/webhooks").await;
        assert!(hooks["items"].as_array().unwrap().is_empty(), "{hooks}");
        let (_, audit) = p.get("/api/v1/audit?actor=pat@acme.example").await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        for action in ["webhook.created", "webhook.test", "webhook.deleted"] {
            assert!(
                actions.iter().any(|a| a == &action),
                "{action} in {actions:?}"
            );
        }
        receiver.stop().await;
    }
);

storage_test!(
    async fn administrators_and_tokens_are_managed_in_the_console(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let pat = Session::sign_in(&p.app, "acme", "pat@acme.example").await;

        let (status, to) = pat
            .post(
                "/console/settings/admins",
                &[
                    ("email", "nia@acme.example"),
                    ("name", "Nia Manager"),
                    ("role", "manager"),
                ],
            )
            .await;
        assert_eq!(status, 303, "{to}");
        let nia = admin_row(&p, "nia@acme.example").await;
        assert_eq!(nia["role"], "manager");
        // Nia can sign in at once, with the role given here.
        let nia_session = Session::sign_in(&p.app, "acme", "nia@acme.example").await;
        let (_, home) = nia_session.get("/console").await;
        assert!(home.contains("Nia Manager"), "{home}");
        let (status, refused) = pat
            .post(
                "/console/settings/admins",
                &[
                    ("email", "not-an-address"),
                    ("name", "X"),
                    ("role", "manager"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(refused.contains("is not an e-mail address"), "{refused}");

        // Vic is taken off the practice: his token stops working, his session ends.
        let vic = Session::sign_in(&p.app, "acme", "vic@acme.example").await;
        let vic_id = admin_row(&p, "vic@acme.example").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, to) = pat
            .post(&format!("/console/settings/admins/{vic_id}/remove"), &[])
            .await;
        assert_eq!(status, 303, "{to}");
        let (status, _) = vic.get("/console").await;
        assert_eq!(status, 303, "Vic's session ended");
        let status = status_within_auth_ttl(401, || async {
            p.app
                .get("/api/v1/whoami", &p.verifier)
                .await
                .status()
                .as_u16()
        })
        .await;
        assert_eq!(status, 401);
        let vic_row = admin_row(&p, "vic@acme.example").await;
        assert_eq!(vic_row["active"], false, "{vic_row}");
        assert!(vic_row["removed_at"].is_string(), "{vic_row}");
        let (_, page) = pat.get("/console/settings").await;
        assert!(page.contains("removed "), "{page}");

        // Nobody changes their own role.
        let (status, refused) = pat
            .post(
                "/console/settings/admins",
                &[
                    ("email", "pat@acme.example"),
                    ("name", "Pat"),
                    ("role", "auditor"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            refused.contains("you cannot change your own role"),
            "{refused}"
        );
        let pat_row = admin_row(&p, "pat@acme.example").await;
        assert_eq!(pat_row["role"], "portal_admin", "{pat_row}");

        // Nobody removes themselves.
        let pat_id = pat_row["id"].as_str().unwrap().to_owned();
        let (status, refused) = pat
            .post(&format!("/console/settings/admins/{pat_id}/remove"), &[])
            .await;
        assert_eq!(status, 422);
        assert!(refused.contains("you cannot remove yourself"), "{refused}");

        // An identity provider token: shown once, works for SCIM, then revoked.
        let (status, page) = pat
            .post("/console/settings/tokens", &[("name", "okta")])
            .await;
        assert_eq!(status, 200, "{page}");
        let token = shown_secret(&page);
        assert!(token.starts_with("pcl_"), "{token}");
        assert!(page.contains("/scim/v2"), "{page}");
        let scim = |token: String| {
            let app = &p.app;
            async move { app.get("/scim/v2/Users", &token).await.status().as_u16() }
        };
        assert_eq!(scim(token.clone()).await, 200);
        let (_, tokens) = p.get("/api/v1/tokens").await;
        let okta = tokens["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "okta")
            .unwrap()
            .clone();
        assert_eq!(okta["scopes"], serde_json::json!(["scim"]));
        let okta_id = okta["id"].as_str().unwrap().to_owned();
        let (status, _) = pat
            .post(&format!("/console/settings/tokens/{okta_id}/revoke"), &[])
            .await;
        assert_eq!(status, 303);
        let status = status_within_auth_ttl(401, || scim(token.clone())).await;
        assert_eq!(status, 401);

        let (_, audit) = p.get("/api/v1/audit?actor=pat@acme.example").await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        for action in [
            "admin.added",
            "admin.removed",
            "token.created",
            "token.revoke",
        ] {
            assert!(
                actions.iter().any(|a| a == &action),
                "{action} in {actions:?}"
            );
        }
    }
);
