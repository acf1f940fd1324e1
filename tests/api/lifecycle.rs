//! The lifecycle engine end to end: SCIM in, tasks out through the admin API, on both backends.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, NowUtc, Scim, TestApp, fixture, spawn_app, spawn_app_with, storage_test,
};

const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A practice using Availity and Noridian, with the README's example policy: the IdP's
/// scope-only token drives SCIM; two named portal administrators work the queue (`admin`
/// completes, `verifier` is the second pair of eyes).
pub(crate) struct Practice {
    pub app: TestApp,
    pub scim: Scim,
    pub admin: String,
    pub verifier: String,
}

impl Practice {
    pub(crate) async fn new(app: TestApp, slug: &str) -> Self {
        let practice = app.practice(slug).await;
        let idp = app.token(&practice, "scim").await;
        let scim = app.scim(&idp);
        let admin = app
            .admin_token(&practice, &format!("pat@{slug}.example"), "portal_admin")
            .await;
        let verifier = app
            .admin_token(&practice, &format!("vic@{slug}.example"), "portal_admin")
            .await;
        let this = Self {
            app,
            scim,
            admin,
            verifier,
        };
        for portal in ["availity-essentials", "noridian-nmp"] {
            let added = this
                .post(
                    "/api/v1/practice-portals",
                    json!({"portal": portal, "org_scope": {"tin": "123456789"}}),
                )
                .await;
            assert_eq!(added.0, 201, "{}", added.1);
        }
        let policy = this.put("/api/v1/policy", json!({
            "rules": [
                {"name": "Front desk", "when": {"title": ["Front Desk", "Receptionist"]},
                 "grant": {"availity-essentials": ["eligibility-benefits"], "noridian-nmp": ["eligibility"]}},
                {"name": "Billing", "when": {"department": ["Billing"], "group": ["Billing Desk"]},
                 "grant": {"availity-essentials": ["claim-status", "remittance-viewer"]}}
            ],
            "third_party": {"employeeType": ["Vendor"]}
        })).await;
        assert_eq!(policy.0, 200, "{}", policy.1);
        this
    }

    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.admin);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub(crate) async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    /// Tasks for a person in a state, as `(kind, portal)` pairs in due order.
    pub(crate) async fn tasks(&self, person: &str, state: &str) -> Vec<Value> {
        let (status, page) = self
            .get(&format!("/api/v1/tasks?person={person}&state={state}"))
            .await;
        assert_eq!(status, 200, "{page}");
        page["items"].as_array().unwrap().clone()
    }

    pub(crate) async fn summary(&self, person: &str, state: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .tasks(person, state)
            .await
            .iter()
            .map(|t| {
                (
                    t["kind"].as_str().unwrap().to_owned(),
                    t["portal"].as_str().unwrap_or("-").to_owned(),
                )
            })
            .collect();
        out.sort();
        out
    }

    pub(crate) async fn hire(&self, user_name: &str, title: &str) -> String {
        let created = self.scim.post("/Users", json!({
            "userName": user_name, "active": true, "displayName": format!("{title} {user_name}"), "title": title,
        })).await;
        created.expect(201)["id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn record(&self, person: &str, portal: &str, roles: &[&str]) {
        let (status, body) = self
            .post(
                &format!("/api/v1/people/{person}/accounts"),
                json!({"portal": portal, "username": format!("u-{portal}"), "roles": roles}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list
        .iter()
        .map(|(k, p)| ((*k).to_owned(), (*p).to_owned()))
        .collect();
    out.sort();
    out
}

storage_test!(
    async fn joiner_gets_one_provision_task_per_portal(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let dana = p.hire("dana@acme.example", "Front Desk").await;

        let tasks = p.tasks(&dana, "open").await;
        assert_eq!(tasks.len(), 2);
        let availity = tasks
            .iter()
            .find(|t| t["portal"] == "availity-essentials")
            .unwrap();
        assert_eq!(availity["kind"], "provision");
        assert_eq!(availity["cause"], "joiner");
        assert_eq!(availity["roles_add"], json!(["eligibility-benefits"]));
        assert_eq!(availity["portal_name"], "Availity Essentials");
        assert!(
            availity["portal_url"]
                .as_str()
                .unwrap()
                .starts_with("https://")
        );
        assert_eq!(availity["person_display"], "Front Desk dana@acme.example");
        assert!(
            availity["action"]
                .as_str()
                .unwrap()
                .contains("Eligibility and Benefits Inquiry")
        );
        assert_eq!(availity["overdue"], false);
        let due =
            chrono::DateTime::parse_from_rfc3339(availity["due_at"].as_str().unwrap()).unwrap();
        assert_eq!(
            due,
            p.app.clock.now_utc() + Duration::hours(72),
            "provision default is 72h"
        );

        // An inactive pre-hire gets nothing; replaying the POST is a 409 and adds nothing.
        let prehire = p
            .scim
            .post(
                "/Users",
                json!({"userName": "later@acme.example", "active": false, "title": "Front Desk"}),
            )
            .await;
        let later = prehire.expect(201)["id"].as_str().unwrap().to_owned();
        assert!(p.tasks(&later, "open").await.is_empty());
        p.scim
            .post(
                "/Users",
                json!({"userName": "dana@acme.example", "title": "Front Desk"}),
            )
            .await
            .expect(409);
        assert_eq!(p.tasks(&dana, "open").await.len(), 2);
    }
);

storage_test!(
    /// A title change swaps roles in one modify task per portal (due on the removal SLA), and
    /// flipping back before anyone acts leaves no task at all.
    async fn mover_swaps_roles_and_flip_back_supersedes(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let id = p.hire("mo@acme.example", "Front Desk").await;
        p.record(&id, "availity-essentials", &["eligibility-benefits"])
            .await;
        p.record(&id, "noridian-nmp", &["eligibility"]).await;
        assert!(
            p.tasks(&id, "open").await.is_empty(),
            "accounts match policy: nothing to do"
        );

        let to_billing = json!({"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "title", "value": "Biller"},
            {"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Billing"}]});
        p.scim
            .patch(&format!("/Users/{id}"), to_billing)
            .await
            .expect(200);
        // Billing needs the Billing Desk group too, so only removals follow from the title.
        assert_eq!(
            p.summary(&id, "open").await,
            pairs(&[
                ("deprovision", "availity-essentials"),
                ("deprovision", "noridian-nmp")
            ])
        );

        let gid = p
            .scim
            .post(
                "/Groups",
                json!({"displayName": "Billing Desk", "members": [{"value": id}]}),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let open = p.tasks(&id, "open").await;
        assert_eq!(
            p.summary(&id, "open").await,
            pairs(&[
                ("deprovision", "noridian-nmp"),
                ("modify", "availity-essentials")
            ])
        );
        let modify = open.iter().find(|t| t["kind"] == "modify").unwrap();
        assert_eq!(
            modify["roles_add"],
            json!(["claim-status", "remittance-viewer"])
        );
        assert_eq!(modify["roles_remove"], json!(["eligibility-benefits"]));
        let due = chrono::DateTime::parse_from_rfc3339(modify["due_at"].as_str().unwrap()).unwrap();
        assert_eq!(
            due,
            p.app.clock.now_utc() + Duration::hours(24),
            "removals are due on modify_removal"
        );
        let cancelled: Vec<Value> = p
            .tasks(&id, "cancelled")
            .await
            .into_iter()
            .filter(|t| t["kind"] == "deprovision")
            .collect();
        assert_eq!(
            cancelled.len(),
            1,
            "the availity deprovision was superseded"
        );
        assert!(
            cancelled[0]["reason"]
                .as_str()
                .unwrap()
                .starts_with("superseded")
        );

        // Back to the front desk, out of the group: everything open is superseded, nothing new.
        p.scim.patch(&format!("/Groups/{gid}"), json!({"schemas": [PATCH], "Operations": [{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]})).await.expect(200);
        p.scim
            .patch(
                &format!("/Users/{id}"),
                json!({"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "title", "value": "Front Desk"},
            {"op": "remove", "path": format!("{ENTERPRISE}:department")}]}),
            )
            .await
            .expect(200);
        assert!(p.tasks(&id, "open").await.is_empty());
    }
);

storage_test!(
    /// Every way IdPs say "leaver" gives one deprovision task per active account, and nothing
    /// more when replayed.
    async fn every_leaver_signal_deprovisions_once(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let okta = fixture("okta/deactivate.json");
        let entra = fixture("entra/disable.json");
        for (i, signal) in ["okta", "entra", "put", "delete"].into_iter().enumerate() {
            let name = format!("leaver{i}@acme.example");
            let id = p.hire(&name, "Front Desk").await;
            p.record(&id, "availity-essentials", &["eligibility-benefits"])
                .await;
            p.record(&id, "noridian-nmp", &["eligibility"]).await;
            let path = format!("/Users/{id}");
            for _replay in 0..2 {
                let status = match signal {
                    "okta" => p.scim.patch(&path, okta.clone()).await.status,
                    "entra" => p.scim.patch(&path, entra.clone()).await.status,
                    "put" => {
                        p.scim
                            .put(
                                &path,
                                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": name, "title": "Front Desk", "active": false}),
                            )
                            .await
                            .status
                    }
                    _ => p.scim.delete(&path).await.status,
                };
                assert!(
                    status == 200 || status == 204 || (signal == "delete" && status == 404),
                    "{signal}: {status}"
                );
            }
            let tasks = p.tasks(&id, "open").await;
            assert_eq!(
                p.summary(&id, "open").await,
                pairs(&[
                    ("deprovision", "availity-essentials"),
                    ("deprovision", "noridian-nmp")
                ]),
                "{signal}"
            );
            assert!(tasks.iter().all(|t| t["cause"] == "leaver"));
            let due =
                chrono::DateTime::parse_from_rfc3339(tasks[0]["due_at"].as_str().unwrap()).unwrap();
            assert_eq!(
                due,
                p.app.clock.now_utc() + Duration::hours(1),
                "{signal}: deprovision is due in 1h"
            );
            // The deprovision names the account and says what to do.
            assert!(
                tasks
                    .iter()
                    .any(|t| t["action"].as_str().unwrap().contains("u-noridian-nmp"))
            );
        }
    }
);

storage_test!(
    /// A leaver's open provision tasks are cancelled; a rehire before the deprovision is done
    /// cancels it (with a reason, never deleted).
    async fn leaver_cancels_provisioning_and_rehire_cancels_deprovisioning(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let id = p.hire("short@acme.example", "Front Desk").await;
        p.scim
            .patch(&format!("/Users/{id}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);
        assert!(p.tasks(&id, "open").await.is_empty());
        assert_eq!(p.tasks(&id, "cancelled").await.len(), 2);

        let back = p.hire("back@acme.example", "Front Desk").await;
        p.record(&back, "noridian-nmp", &["eligibility"]).await;
        p.record(&back, "availity-essentials", &["eligibility-benefits"])
            .await;
        p.scim
            .patch(&format!("/Users/{back}"), fixture("entra/disable.json"))
            .await
            .expect(200);
        assert_eq!(p.tasks(&back, "open").await.len(), 2);
        let rehire = json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "True"}]});
        p.scim
            .patch(&format!("/Users/{back}"), rehire)
            .await
            .expect(200);
        assert!(
            p.tasks(&back, "open").await.is_empty(),
            "accounts still exist: nothing to provision"
        );
        // (The provision tasks were cancelled earlier, when the accounts were recorded.)
        let cancelled: Vec<Value> = p
            .tasks(&back, "cancelled")
            .await
            .into_iter()
            .filter(|t| t["kind"] == "deprovision")
            .collect();
        assert_eq!(cancelled.len(), 2);
        assert!(
            cancelled
                .iter()
                .all(|t| t["kind"] == "deprovision" && t["reason"] == "superseded: rehire change")
        );
    }
);

storage_test!(
    async fn admin_leaver_transfers_first_and_vendor_leaver_is_notified(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let admin = p.hire("admin@acme.example", "Front Desk").await;
        p.record(
            &admin,
            "availity-essentials",
            &["eligibility-benefits", "administrator"],
        )
        .await;
        p.scim
            .patch(&format!("/Users/{admin}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);
        let open = p.tasks(&admin, "open").await;
        let transfer = open
            .iter()
            .find(|t| t["kind"] == "transfer_admin")
            .expect("transfer_admin task");
        let deprovision = open
            .iter()
            .find(|t| t["kind"] == "deprovision" && t["portal"] == "availity-essentials")
            .unwrap();
        assert_eq!(deprovision["blocked_by"], transfer["id"]);
        assert_eq!(transfer["roles_remove"], json!(["administrator"]));
        // Availity accounts span organizations: the wording is about the affiliation.
        assert!(
            deprovision["action"]
                .as_str()
                .unwrap()
                .contains("affiliation"),
            "{}",
            deprovision["action"]
        );

        let vendor = p.scim.post("/Users", json!({"userName": "vendor@billco.example", "userType": "Vendor", "title": "Front Desk"})).await
            .expect(201)["id"].as_str().unwrap().to_owned();
        p.scim.delete(&format!("/Users/{vendor}")).await.expect(204);
        let notify: Vec<Value> = p
            .tasks(&vendor, "open")
            .await
            .into_iter()
            .filter(|t| t["kind"] == "notify_third_party")
            .collect();
        assert_eq!(notify.len(), 1);
        assert!(notify[0]["portal"].is_null());
        let due =
            chrono::DateTime::parse_from_rfc3339(notify[0]["due_at"].as_str().unwrap()).unwrap();
        assert_eq!(due, p.app.clock.now_utc() + Duration::hours(24));
    }
);

storage_test!(
    /// Group Push decides grants: joining and leaving "Billing Desk" adds and removes them.
    async fn group_membership_drives_grants(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let id = p
            .scim
            .post(
                "/Users",
                json!({"userName": "b@acme.example", ENTERPRISE: {"department": "Billing"}}),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(p.tasks(&id, "open").await.is_empty());
        let gid = p
            .scim
            .post("/Groups", fixture("okta/group_create.json"))
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let add = json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]});
        p.scim
            .patch(&format!("/Groups/{gid}"), add)
            .await
            .expect(200);
        let open = p.tasks(&id, "open").await;
        assert_eq!(open.len(), 1);
        assert_eq!(
            open[0]["roles_add"],
            json!(["claim-status", "remittance-viewer"])
        );
        p.scim
            .patch(
                &format!("/Groups/{gid}"),
                fixture("okta/group_push_replace.json"),
            )
            .await
            .expect(200);
        assert!(
            p.tasks(&id, "open").await.is_empty(),
            "the open provision was superseded"
        );
    }
);

storage_test!(
    /// A policy change recomputes everyone, in the same request; a bad policy names the rule.
    async fn policy_changes_recompute_and_are_validated(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let id = p.hire("pol@acme.example", "Receptionist").await;
        p.record(&id, "availity-essentials", &["eligibility-benefits"])
            .await;
        p.record(&id, "noridian-nmp", &["eligibility"]).await;
        // One of the practice's two accounts loses access: above the 20 % guard, confirmed.
        let (status, body) = p.put("/api/v1/policy?confirm_revocations=1", json!({"rules": [
            {"name": "Front desk", "when": {"title": ["Receptionist"]}, "grant": {"availity-essentials": ["eligibility-benefits", "claim-status"]}}
        ]})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["version"], 2);
        let open = p.tasks(&id, "open").await;
        assert_eq!(
            p.summary(&id, "open").await,
            pairs(&[
                ("deprovision", "noridian-nmp"),
                ("modify", "availity-essentials")
            ])
        );
        assert!(
            open.iter()
                .all(|t| t["cause"] == "policy" && t["policy_version"] == 2)
        );

        let (status, problem) = p
            .put(
                "/api/v1/policy",
                json!({"rules": [
            {"name": "Typo", "when": {}, "grant": {"availity-essentials": ["eligibilty"]}}]}),
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(
            problem["detail"],
            "rule `Typo`: portal `availity-essentials` has no role `eligibilty`"
        );
        let (status, problem) = p
            .put(
                "/api/v1/policy",
                json!({"rules": [
            {"name": "Cigna", "when": {}, "grant": {"cigna-for-hcp": ["claims"]}}]}),
            )
            .await;
        assert_eq!(status, 422);
        assert!(problem["detail"].as_str().unwrap().contains("rule `Cigna`"));
        assert_eq!(
            p.get("/api/v1/policy/history").await.1["items"]
                .as_array()
                .unwrap()
                .len(),
            2
        );

        let (status, preview) = p
            .post(
                "/api/v1/policy/preview",
                json!({"person": {"title": "receptionist"}}),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(preview["grants"].as_array().unwrap().len(), 2);
        assert_eq!(preview["grants"][0]["rules"], json!(["Front desk"]));
        let (status, access) = p.get(&format!("/api/v1/people/{id}/access")).await;
        assert_eq!(status, 200);
        assert_eq!(access["open_tasks"].as_array().unwrap().len(), 2);
    }
);

storage_test!(
    /// Business-hours SLAs honour the practice's time zone, weekends and DST.
    async fn deadlines_follow_business_hours(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let (status, body) = p
            .put(
                "/api/v1/settings/sla",
                json!({"deprovision": "same_business_day", "modify_removal": "24h",
            "provision": "8bh", "transfer_admin": "4h", "notify_third_party": "PT2S"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let chicago = chrono_tz::America::Chicago;
        // Friday 2026-10-30 15:00 CDT: 8 business hours run to Monday 14:00 CST (after DST ends).
        p.app.clock.set(
            chicago
                .with_ymd_and_hms(2026, 10, 30, 15, 0, 0)
                .unwrap()
                .with_timezone(&Utc),
        );
        let id = p.hire("dst@acme.example", "Front Desk").await;
        let tasks = p.tasks(&id, "open").await;
        let due =
            chrono::DateTime::parse_from_rfc3339(tasks[0]["due_at"].as_str().unwrap()).unwrap();
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 2, 20, 0, 0).unwrap());
        // Leaving on Friday evening: due by close of business Monday.
        p.record(&id, "noridian-nmp", &["eligibility"]).await;
        p.app.clock.set(
            chicago
                .with_ymd_and_hms(2026, 11, 6, 18, 30, 0)
                .unwrap()
                .with_timezone(&Utc),
        );
        p.scim
            .patch(&format!("/Users/{id}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);
        let deprovision = p
            .tasks(&id, "open")
            .await
            .into_iter()
            .find(|t| t["kind"] == "deprovision")
            .unwrap();
        let due =
            chrono::DateTime::parse_from_rfc3339(deprovision["due_at"].as_str().unwrap()).unwrap();
        assert_eq!(
            due,
            chicago.with_ymd_and_hms(2026, 11, 9, 17, 0, 0).unwrap()
        );
        // Overdue is derived from the clock.
        p.app.clock.set(
            chicago
                .with_ymd_and_hms(2026, 11, 9, 17, 0, 1)
                .unwrap()
                .with_timezone(&Utc),
        );
        let (_, overdue) = p.get("/api/v1/tasks?overdue=true&kind=deprovision").await;
        assert_eq!(overdue["items"][0]["id"], deprovision["id"]);
        assert_eq!(overdue["items"][0]["overdue"], true);
        let (status, problem) = p
            .put(
                "/api/v1/settings/sla",
                json!({"deprovision": "soonish", "modify_removal": "24h",
            "provision": "72h", "transfer_admin": "4h", "notify_third_party": "24h"}),
            )
            .await;
        assert_eq!(status, 400, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("soonish"));
    }
);

storage_test!(
    /// If creating the tasks fails, the SCIM write fails whole: nothing is half-done.
    async fn a_failing_task_insert_rolls_back_the_scim_write(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let id = p.hire("atomic@acme.example", "Front Desk").await;
        p.record(&id, "noridian-nmp", &["eligibility"]).await;
        let db = sea_orm::Database::connect(&p.app.settings.database_url)
            .await
            .unwrap();
        let trigger = match backend {
            Backend::Sqlite => "CREATE TRIGGER fail_tasks BEFORE INSERT ON task BEGIN SELECT RAISE(ABORT, 'injected failure'); END".to_owned(),
            Backend::Postgres(_) => {
                sea_orm::ConnectionTrait::execute_unprepared(&db, "CREATE FUNCTION fail_tasks() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql").await.unwrap();
                "CREATE TRIGGER fail_tasks BEFORE INSERT ON task FOR EACH ROW EXECUTE FUNCTION fail_tasks()".to_owned()
            }
        };
        sea_orm::ConnectionTrait::execute_unprepared(&db, &trigger)
            .await
            .unwrap();

        let before = p
            .scim
            .get(&format!("/Users/{id}"))
            .await
            .expect(200)
            .clone();
        let failed = p
            .scim
            .patch(&format!("/Users/{id}"), fixture("okta/deactivate.json"))
            .await;
        failed.expect(500);
        assert!(
            !failed.body.to_string().contains("injected"),
            "no internals in the body"
        );
        let after = p
            .scim
            .get(&format!("/Users/{id}"))
            .await
            .expect(200)
            .clone();
        assert_eq!(after, before, "the deactivation did not happen");
        let practice = p.app.store.list_practices().await.unwrap().remove(0);
        let changes = p
            .app
            .store
            .tenant(practice.id)
            .changes_after(0, 100)
            .await
            .unwrap();
        assert_eq!(changes.len(), 1, "only the create was recorded");
    }
);

storage_test!(
    /// Practice portals are validated; tasks and portals of one practice are invisible to another.
    async fn practice_portals_and_isolation(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let (status, _) = p
            .post(
                "/api/v1/practice-portals",
                json!({"portal": "availity-essentials"}),
            )
            .await;
        assert_eq!(status, 409);
        for (body, needle) in [
            (json!({"portal": "nope-portal"}), "not in the catalogue"),
            (
                json!({"portal": "cigna-for-hcp", "org_scope": {"tin": "12-345"}}),
                "tin",
            ),
            (
                json!({"portal": "cigna-for-hcp", "org_scope": {"group_npi": "1234567890"}}),
                "check digit",
            ),
            (
                json!({"portal": "cigna-for-hcp", "sla_overrides": {"deprovisoin": "1h"}}),
                "deprovisoin",
            ),
            (
                json!({"portal": "cigna-for-hcp", "min_admins": 3, "max_admins": 2}),
                "min_admins",
            ),
        ] {
            let (status, problem) = p.post("/api/v1/practice-portals", body.clone()).await;
            assert_eq!(status, 422, "{body}");
            assert!(
                problem["detail"].as_str().unwrap().contains(needle),
                "{problem}"
            );
        }
        let (status, _) = p.post("/api/v1/practice-portals", json!({"portal": "cigna-for-hcp", "sla_overrides": {"deprovisoin": "1h"}, "bogus": 1})).await;
        assert_eq!(status, 400);
        let (status, custom) = p.post("/api/v1/practice-portals", json!({"portal": "county-wc", "definition": {
            "slug": "county-wc", "name": "County Workers' Comp Board", "url": "https://wc.county.example", "kind": "workers_comp",
            "roles": [{"slug": "claims", "name": "Claims", "sensitivity": "claims"}]},
            "org_scope": {"tin": "123456789", "group_npi": "1234567893"}, "sla_overrides": {"deprovision": "same_business_day"}})).await;
        assert_eq!(status, 201, "{custom}");
        assert_eq!(custom["custom"], true);
        assert_eq!(
            p.get("/api/v1/practice-portals").await.1["items"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        assert!(
            p.get("/api/v1/portals").await.1["items"]
                .as_array()
                .unwrap()
                .len()
                >= 16
        );

        let dana = p.hire("dana@acme.example", "Front Desk").await;
        let task_id = p.tasks(&dana, "open").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let other = p.app.practice("other").await;
        let other_token = p.app.token(&other, "admin:read,admin:write").await;
        let other_get = |path: String| {
            let client = p.app.client.clone();
            let url = p.app.url(&path);
            let token = other_token.clone();
            async move { client.get(url).bearer_auth(token).send().await.unwrap() }
        };
        assert_eq!(
            other_get(format!("/api/v1/tasks/{task_id}")).await.status(),
            404
        );
        let page: Value = other_get("/api/v1/tasks".into())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["items"], json!([]));
        assert_eq!(
            other_get(format!("/api/v1/people/{dana}/access"))
                .await
                .status(),
            404
        );
        let theirs: Value = other_get("/api/v1/practice-portals".into())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(theirs, json!({"items": [], "next_cursor": null}));
        // A read-only token cannot change policy.
        let reader = p.app.token(&other, "admin:read").await;
        let denied = p
            .app
            .client
            .put(p.app.url("/api/v1/policy"))
            .bearer_auth(reader)
            .json(&json!({"rules": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(denied.status(), 403);
    }
);

storage_test!(
    /// An existing account that policy does not grant gets its task when recorded; the task
    /// list pages by cursor without repeats.
    async fn recorded_accounts_and_task_paging(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let id = p.hire("extra@acme.example", "Front Desk").await;
        p.record(
            &id,
            "availity-essentials",
            &["eligibility-benefits", "remittance-viewer"],
        )
        .await;
        let open = p.tasks(&id, "open").await;
        let modify = open
            .iter()
            .find(|t| t["portal"] == "availity-essentials")
            .unwrap();
        assert_eq!(modify["kind"], "modify");
        assert_eq!(modify["cause"], "account_record");
        assert_eq!(modify["roles_remove"], json!(["remittance-viewer"]));

        for i in 0..4 {
            p.hire(&format!("page{i}@acme.example"), "Front Desk").await;
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/tasks?state=open&limit=3&cursor={c}"),
                None => "/api/v1/tasks?state=open&limit=3".to_owned(),
            };
            let (status, page) = p.get(&path).await;
            assert_eq!(status, 200, "{page}");
            seen.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["id"].as_str().unwrap().to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let unique: std::collections::BTreeSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no repeats");
        assert_eq!(seen.len(), 2 + 4 * 2);
        assert_eq!(p.get("/api/v1/tasks?cursor=nonsense").await.0, 400);
        assert_eq!(p.get("/api/v1/tasks?state=finished").await.0, 400);
    }
);

storage_test!(
    /// Findings of the lifecycle review, each pinned.
    async fn lifecycle_review_regressions(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let (status, _) = p.put("/api/v1/policy", json!({"rules": [
            {"name": "Front desk", "when": {"title": ["Front Desk"]}, "grant": {"availity-essentials": ["eligibility-benefits"], "noridian-nmp": ["eligibility"]}}
        ], "third_party": {"group": ["Billing Company"]}})).await;
        assert_eq!(status, 200);
        let act = |task: String, action: &'static str, body: Option<Value>| {
            let p = &p;
            // A completion needs evidence.
            let body = match (action, body) {
                ("complete", None) => Some(json!({"note": "done in the portal"})),
                (_, body) => body,
            };
            async move {
                p.send(
                    reqwest::Method::POST,
                    &format!("/api/v1/tasks/{task}/{action}"),
                    body,
                )
                .await
            }
        };

        // 1. The careful deprovision (after a claimed provision) survives later changes.
        let id = p.hire("half@acme.example", "Front Desk").await;
        let nmp_provision = p
            .tasks(&id, "open")
            .await
            .into_iter()
            .find(|t| t["portal"] == "noridian-nmp")
            .unwrap();
        act(
            nmp_provision["id"].as_str().unwrap().to_owned(),
            "claim",
            None,
        )
        .await;
        p.scim
            .patch(&format!("/Users/{id}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);
        p.scim.delete(&format!("/Users/{id}")).await.expect(204);
        let open = p.tasks(&id, "open").await;
        assert_eq!(open.len(), 1, "{open:?}");
        assert!(
            open[0]["action"]
                .as_str()
                .unwrap()
                .contains("may have been created")
        );

        // 2. An account recorded with no roles is still an account: a leaver loses it.
        let bare = p.hire("bare@acme.example", "Front Desk").await;
        p.post(
            &format!("/api/v1/people/{bare}/accounts"),
            json!({"portal": "availity-essentials", "username": "bare", "roles": []}),
        )
        .await;
        p.scim
            .patch(&format!("/Users/{bare}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);
        assert!(
            p.tasks(&bare, "open")
                .await
                .iter()
                .any(|t| t["kind"] == "deprovision" && t["portal"] == "availity-essentials")
        );

        // 3 and 4. A vendor known by their group is notified once, even when deleted later.
        let vendor = p.hire("vendor@billco.example", "Front Desk").await;
        p.scim
            .post(
                "/Groups",
                json!({"displayName": "Billing Company", "members": [{"value": vendor}]}),
            )
            .await
            .expect(201);
        p.scim
            .patch(&format!("/Users/{vendor}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);
        let notify = p
            .tasks(&vendor, "open")
            .await
            .into_iter()
            .find(|t| t["kind"] == "notify_third_party")
            .expect("notify");
        act(notify["id"].as_str().unwrap().to_owned(), "complete", None).await;
        p.scim.delete(&format!("/Users/{vendor}")).await.expect(204);
        assert!(
            !p.tasks(&vendor, "open")
                .await
                .iter()
                .any(|t| t["kind"] == "notify_third_party"),
            "not twice"
        );
        let deleted_vendor = p.hire("vendor2@billco.example", "Front Desk").await;
        let gid = p
            .scim
            .find("/Groups", "displayName eq \"Billing Company\"")
            .await
            .body["Resources"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        p.scim.patch(&format!("/Groups/{gid}"), json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": deleted_vendor}]}]})).await.expect(200);
        p.scim
            .delete(&format!("/Users/{deleted_vendor}"))
            .await
            .expect(204);
        assert!(
            p.tasks(&deleted_vendor, "open")
                .await
                .iter()
                .any(|t| t["kind"] == "notify_third_party"),
            "known by group at deletion"
        );

        // 5. A rehire cancels the open hand-over of the earlier departure.
        let boss = p.hire("boss@acme.example", "Front Desk").await;
        p.record(
            &boss,
            "availity-essentials",
            &["administrator", "eligibility-benefits"],
        )
        .await;
        p.scim
            .patch(&format!("/Users/{boss}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);
        p.scim
            .patch(
                &format!("/Users/{boss}"),
                json!({"Operations": [{"op": "replace", "value": {"active": true}}]}),
            )
            .await
            .expect(200);
        let open = p.tasks(&boss, "open").await;
        assert!(
            !open.iter().any(|t| t["kind"] == "transfer_admin"),
            "{open:?}"
        );

        // 6. A failed task is superseded like an open one; it cannot come back as a duplicate.
        let mover = p.hire("fails@acme.example", "Front Desk").await;
        p.record(&mover, "noridian-nmp", &["eligibility"]).await;
        p.scim
            .patch(&format!("/Users/{mover}"), fixture("okta/deactivate.json"))
            .await
            .expect(200);
        let deprovision = p
            .tasks(&mover, "open")
            .await
            .into_iter()
            .find(|t| t["portal"] == "noridian-nmp")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        act(
            deprovision.clone(),
            "fail",
            Some(json!({"reason": "portal down"})),
        )
        .await;
        p.scim
            .patch(
                &format!("/Users/{mover}"),
                json!({"Operations": [{"op": "replace", "path": "title", "value": "Biller"}]}),
            )
            .await
            .expect(200);
        assert_eq!(
            act(deprovision, "reopen", None).await.0,
            200,
            "still the one deprovision"
        );
        assert_eq!(
            p.tasks(&mover, "open")
                .await
                .iter()
                .filter(|t| t["portal"] == "noridian-nmp")
                .count(),
            1
        );

        // 7. SLAs store exactly and within bounds: no lock-out, no panic.
        let mut sla = json!({"deprovision": "PT0.5S", "modify_removal": "24h", "provision": "72h", "transfer_admin": "4h", "notify_third_party": "24h"});
        assert_eq!(p.put("/api/v1/settings/sla", sla.clone()).await.0, 200);
        assert_eq!(p.get("/api/v1/whoami").await.0, 200);
        assert_eq!(
            p.get("/api/v1/settings/sla").await.1["deprovision"],
            "PT0.500S"
        );
        for bad in [
            "P400D",
            "P100000000WT1S",
            "P99999999999999999999W99999999999999999999D",
        ] {
            sla["provision"] = json!(bad);
            assert_eq!(
                p.put("/api/v1/settings/sla", sla.clone()).await.0,
                400,
                "{bad}"
            );
        }
        p.hire("after-sla@acme.example", "Front Desk").await;

        // 9. A NUL in free text is never a 500 (PostgreSQL cannot store it: 400).
        let person = p.hire("nul@acme.example", "Front Desk").await;
        let task = p.tasks(&person, "open").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, _) = act(task, "fail", Some(json!({"reason": "a\u{0}b"}))).await;
        assert!(status == 200 || status == 400, "{status}");
    }
);

storage_test!(
    /// An HR system that marks leavers by employeeType instead of deactivating them.
    async fn termination_marker_is_a_leaver(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let (status, body) = p.put("/api/v1/policy", json!({"rules": [
            {"name": "Front desk", "when": {"title": ["Front Desk"]}, "grant": {"noridian-nmp": ["eligibility"]}}
        ], "terminated": {"employeeType": ["Terminated"]}})).await;
        assert_eq!(status, 200, "{body}");
        let id = p.hire("marked@acme.example", "Front Desk").await;
        p.record(&id, "noridian-nmp", &["eligibility"]).await;
        p.scim.patch(&format!("/Users/{id}"), json!({"Operations": [{"op": "replace", "path": "userType", "value": "Terminated"}]})).await.expect(200);
        let open = p.tasks(&id, "open").await;
        assert_eq!(open.len(), 1);
        assert_eq!(open[0]["kind"], "deprovision");
        assert_eq!(open[0]["cause"], "leaver");
    }
);

storage_test!(
    async fn a_policy_loaded_by_another_process_plans_the_next_write(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        // The first writes remember the practice's policy and portals.
        let dana = p.hire("dana@acme.example", "Front Desk").await;
        assert_eq!(p.tasks(&dana, "open").await.len(), 2);

        // The CLI, another process, loads a policy that grants front desk staff Availity only.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("policy.json");
        std::fs::write(
            &file,
            json!({"rules": [{"name": "Front desk", "when": {"title": ["Front Desk"]},
                              "grant": {"availity-essentials": ["eligibility-benefits"]}}]})
            .to_string(),
        )
        .unwrap();
        crate::cli::run(
            crate::cli::portcullis(dir.path(), &p.app.settings.database_url)
                .args(["policy", "load", "--practice", "acme"])
                .arg(&file),
        );

        // The very next hire is planned against it: no stale copy of the old policy is used.
        let eve = p.hire("eve@acme.example", "Front Desk").await;
        let tasks = p.tasks(&eve, "open").await;
        assert_eq!(tasks.len(), 1, "{tasks:?}");
        assert_eq!(tasks[0]["portal"], "availity-essentials");
        assert_eq!(tasks[0]["policy_version"], 2);
    }
);

storage_test!(
    /// One group push reaching more people than the engine plans at once (500) and more tasks
    /// than one insert writes (500): everyone is planned exactly once, against what they
    /// already have, and the audit chain stays whole.
    async fn a_group_push_to_hundreds_plans_each_member_once(backend: Backend) {
        // An IdP's initial push: faster than the default per-credential rate limit allows.
        let app = spawn_app_with(&backend, |s| {
            s.rate_limit.per_second = 100_000;
            s.rate_limit.burst = 100_000;
        })
        .await;
        let p = Practice::new(app, "acme").await;
        let mut billers = Vec::new();
        for i in 0..620 {
            let created = p
                .scim
                .post(
                    "/Users",
                    json!({
                        "userName": format!("biller{i:03}@acme.example"), "active": true,
                        ENTERPRISE: {"department": "Billing"},
                    }),
                )
                .await;
            billers.push(created.expect(201)["id"].as_str().unwrap().to_owned());
        }
        // Two of them already have what the group will grant: one an open task from an
        // earlier push, one a recorded account.
        let desk = p
            .scim
            .post(
                "/Groups",
                json!({"displayName": "Billing Desk",
            "members": [{"value": billers[3]}]}),
            )
            .await;
        let desk = desk.expect(201)["id"].as_str().unwrap().to_owned();
        assert_eq!(
            p.summary(&billers[3], "open").await,
            pairs(&[("provision", "availity-essentials")])
        );
        p.record(
            &billers[600],
            "availity-essentials",
            &["claim-status", "remittance-viewer"],
        )
        .await;

        let members: Vec<Value> = billers.iter().map(|id| json!({"value": id})).collect();
        p.scim
            .patch(
                &format!("/Groups/{desk}"),
                json!({"schemas": [PATCH],
                "Operations": [{"op": "add", "path": "members", "value": members}]}),
            )
            .await
            .expect(200);

        let mut per_person: std::collections::HashMap<String, Vec<String>> = Default::default();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/tasks?state=open&limit=200&cursor={c}"),
                None => "/api/v1/tasks?state=open&limit=200".to_owned(),
            };
            let (status, page) = p.get(&path).await;
            assert_eq!(status, 200, "{page}");
            for task in page["items"].as_array().unwrap() {
                per_person
                    .entry(task["person_id"].as_str().unwrap().to_owned())
                    .or_default()
                    .push(format!(
                        "{} {}",
                        task["kind"].as_str().unwrap(),
                        task["portal"].as_str().unwrap()
                    ));
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        for (i, id) in billers.iter().enumerate() {
            let tasks = per_person.remove(id).unwrap_or_default();
            let want: &[&str] = if i == 600 {
                &[]
            } else {
                &["provision availity-essentials"]
            };
            assert_eq!(tasks, want, "biller {i}");
        }
        assert!(
            per_person.is_empty(),
            "tasks for no one in the push: {per_person:?}"
        );
        let (_, verify) = p.get("/api/v1/audit/verify").await;
        assert_eq!(verify["ok"], true, "{verify}");
    }
);
