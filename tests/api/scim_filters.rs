//! The filter table: every operator on string, boolean, dateTime and multi-valued attributes,
//! logical precedence, and invalid filters, on SQLite and PostgreSQL.

use chrono::Duration;
use serde_json::json;

use crate::helpers::{Scim, TestApp, spawn_app, storage_test};

/// Three users with known attributes; returns their ids (ann, bob, cy).
async fn people(app: &TestApp, scim: &Scim) -> [String; 3] {
    let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let ann = scim
        .post(
            "/Users",
            json!({
                "userName": "Ann.Lee@Example.com", "displayName": "Ann Lee", "title": "Front Desk",
                "userType": "Employee", "active": true,
                "name": {"givenName": "Ann", "familyName": "Lee"},
                "emails": [{"value": "ann@example.com", "type": "work", "primary": true},
                           {"value": "ann@home.example", "type": "home"}],
                ext: {"department": "Patient Access", "costCenter": "100"}
            }),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.clock.advance(Duration::minutes(10));
    let bob = scim
        .post(
            "/Users",
            json!({
                "userName": "bob@example.com", "displayName": "Bob O'Malley", "title": "Biller",
                "userType": "Contractor", "active": false,
                "name": {"givenName": "Bob", "familyName": "O'Malley"},
                "emails": [{"value": "bob@billing.example", "type": "work"}],
                ext: {"department": "Billing"}
            }),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.clock.advance(Duration::minutes(10));
    let cy = scim
        .post(
            "/Users",
            json!({"userName": "cy@example.org", "active": true, "externalId": "EXT-Cy"}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    [ann, bob, cy]
}

storage_test!(
    async fn every_operator_on_every_kind_of_attribute(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let [ann, bob, cy] = people(&app, &scim).await;
        let created_bob = scim.get(&format!("/Users/{bob}")).await.body["meta"]["created"]
            .as_str()
            .unwrap()
            .to_owned();
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let none: Vec<&String> = vec![];

        let cases: Vec<(String, Vec<&String>)> = vec![
            // Strings: case-insensitive (caseExact=false), every operator.
            ("userName eq \"ann.lee@example.com\"".into(), vec![&ann]),
            ("USERNAME EQ \"BOB@EXAMPLE.COM\"".into(), vec![&bob]),
            ("userName ne \"bob@example.com\"".into(), vec![&ann, &cy]),
            ("userName co \"EXAMPLE.\"".into(), vec![&ann, &bob, &cy]),
            ("userName sw \"ann\"".into(), vec![&ann]),
            ("userName ew \".org\"".into(), vec![&cy]),
            ("userName gt \"b\"".into(), vec![&bob, &cy]),
            ("userName ge \"bob@example.com\"".into(), vec![&bob, &cy]),
            ("userName lt \"b\"".into(), vec![&ann]),
            ("userName le \"bob@example.com\"".into(), vec![&ann, &bob]),
            ("name.familyName co \"o'mal\"".into(), vec![&bob]),
            ("displayName sw \"ann\"".into(), vec![&ann]),
            ("title pr".into(), vec![&ann, &bob]),
            ("title eq null".into(), vec![&cy]),
            ("title ne \"Biller\"".into(), vec![&ann, &cy]),
            // externalId is caseExact.
            ("externalId eq \"EXT-Cy\"".into(), vec![&cy]),
            ("externalId eq \"ext-cy\"".into(), none.clone()),
            // Booleans, including strings some IdPs send.
            ("active eq true".into(), vec![&ann, &cy]),
            ("active eq false".into(), vec![&bob]),
            ("active ne true".into(), vec![&bob]),
            ("active eq \"False\"".into(), vec![&bob]),
            // dateTime.
            (format!("meta.created eq \"{created_bob}\""), vec![&bob]),
            (format!("meta.created gt \"{created_bob}\""), vec![&cy]),
            (
                format!("meta.created ge \"{created_bob}\""),
                vec![&bob, &cy],
            ),
            (
                format!("meta.lastModified lt \"{created_bob}\""),
                vec![&ann],
            ),
            (
                format!("meta.lastModified le \"{created_bob}\""),
                vec![&ann, &bob],
            ),
            (
                "meta.created gt \"2000-01-01T00:00:00+02:00\"".into(),
                vec![&ann, &bob, &cy],
            ),
            // Multi-valued: any element; bare attribute means its value.
            ("emails co \"home.example\"".into(), vec![&ann]),
            ("emails.type eq \"work\"".into(), vec![&ann, &bob]),
            ("emails.value ew \"billing.example\"".into(), vec![&bob]),
            ("emails pr".into(), vec![&ann, &bob]),
            (
                "emails[type eq \"work\" and value sw \"ann\"]".into(),
                vec![&ann],
            ),
            (
                "emails[type eq \"home\" and value co \"bob\"]".into(),
                none.clone(),
            ),
            ("emails[primary eq true]".into(), vec![&ann]),
            (
                "emails[type eq \"work\"].value eq \"BOB@billing.example\"".into(),
                vec![&bob],
            ),
            ("not (emails pr)".into(), vec![&cy]),
            // Enterprise extension, URN-qualified, and the core URN prefix.
            (format!("{ext}:department eq \"billing\""), vec![&bob]),
            (format!("{ext}:costCenter pr"), vec![&ann]),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"CY\"".into(),
                vec![&cy],
            ),
            // id.
            (format!("id eq \"{ann}\""), vec![&ann]),
            (format!("id ne \"{ann}\""), vec![&bob, &cy]),
            ("id eq \"not-a-uuid\"".into(), none.clone()),
            // Logic and precedence: not > and > or.
            (
                "userType eq \"Employee\" or userType eq \"Contractor\" and active eq true".into(),
                vec![&ann],
            ),
            (
                "(userType eq \"Employee\" or userType eq \"Contractor\") and active eq false"
                    .into(),
                vec![&bob],
            ),
            (
                "not (active eq true) or userName sw \"cy\"".into(),
                vec![&bob, &cy],
            ),
            ("not (title eq \"Biller\")".into(), vec![&ann, &cy]),
            (
                "title pr and not (userType eq \"Employee\")".into(),
                vec![&bob],
            ),
        ];
        for (filter, expected) in cases {
            let found = scim.filter_users(&filter).await;
            let expected: Vec<String> = expected.into_iter().cloned().collect();
            assert_eq!(found, expected, "filter: {filter}");
        }
    }
);

storage_test!(
    async fn group_filters_and_membership(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let [ann, bob, _] = people(&app, &scim).await;
        let desk = scim
            .post(
                "/Groups",
                json!({"displayName": "Front Desk", "members": [{"value": ann}]}),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let billing = scim.post("/Groups", json!({"displayName": "Billing", "externalId": "g-2", "members": [{"value": bob}, {"value": ann}]}))
            .await.expect(201)["id"].as_str().unwrap().to_owned();
        let ids = |body: &serde_json::Value| -> Vec<String> {
            body["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned())
                .collect()
        };
        for (filter, expected) in [
            ("displayName eq \"front desk\"", vec![desk.clone()]),
            ("displayName sw \"B\"", vec![billing.clone()]),
            ("externalId eq \"g-2\"", vec![billing.clone()]),
            (
                &*format!("members[value eq \"{bob}\"]"),
                vec![billing.clone()],
            ),
            (
                &*format!("members.value eq \"{ann}\""),
                vec![desk.clone(), billing.clone()],
            ),
            (
                &*format!("members eq \"{ann}\" and displayName co \"desk\""),
                vec![desk.clone()],
            ),
        ] {
            assert_eq!(
                ids(scim.find("/Groups", filter).await.expect(200)),
                expected,
                "{filter}"
            );
        }
        assert_eq!(
            scim.filter_users(&format!("groups.value eq \"{billing}\""))
                .await,
            vec![ann.clone(), bob.clone()]
        );
        assert_eq!(
            scim.filter_users(&format!("groups eq \"{desk}\"")).await,
            vec![ann.clone()]
        );
        assert_eq!(scim.filter_users("groups pr").await, vec![ann, bob]);
    }
);

storage_test!(
    async fn sorting(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let [ann, bob, cy] = people(&app, &scim).await;
        let order = |path: &'static str| {
            let scim = scim.clone();
            async move {
                scim.get(path).await.expect(200)["Resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["id"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            order("/Users?sortBy=userName&sortOrder=descending").await,
            vec![cy.clone(), bob.clone(), ann.clone()]
        );
        assert_eq!(
            order("/Users?sortBy=meta.created").await,
            vec![ann.clone(), bob.clone(), cy.clone()]
        );
        assert_eq!(
            order("/Users?sortBy=meta.lastModified&sortOrder=DESCENDING").await,
            vec![cy.clone(), bob.clone(), ann.clone()]
        );
        assert_eq!(
            scim.get("/Users?sortBy=title").await.expect(400)["scimType"],
            "invalidValue"
        );
    }
);

storage_test!(
    /// Unparseable or unknown filters are 400 invalidFilter, never "everything".
    async fn bad_filters_are_refused(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        people(&app, &scim).await;
        for filter in [
            "userName",
            "userName eq",
            "userName eq \"a\" or",
            "(userName eq \"a\"",
            "userName zz \"a\"",
            "nosuchattribute eq \"x\"",
            "name.nosuch eq \"x\"",
            "active co \"tr\"",
            "active eq \"maybe\"",
            "meta.created gt \"yesterday\"",
            "meta.created co \"2026\"",
            "emails[nosuch eq \"x\"]",
            "urn:example:other:1.0:User:foo eq \"x\"",
            "title[value eq \"x\"]",
            &format!("{}userName eq \"a\"{}", "(".repeat(50), ")".repeat(50)),
        ] {
            let response = scim.find("/Users", filter).await;
            assert_eq!(
                response.expect(400)["scimType"],
                "invalidFilter",
                "{filter}"
            );
        }
        let search = scim.post("/Users/.search", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName eq"})).await;
        assert_eq!(search.expect(400)["scimType"], "invalidFilter");
    }
);

storage_test!(
    /// POST /.search bodies, on Users and across resource types.
    async fn search_requests(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let [ann, bob, _] = people(&app, &scim).await;
        scim.post("/Groups", json!({"displayName": "Anesthesia"}))
            .await
            .expect(201);
        let found = scim
            .post(
                "/Users/.search",
                json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": "userType pr", "attributes": ["userName"], "sortBy": "userName",
                    "startIndex": 2, "count": 5
                }),
            )
            .await;
        let body = found.expect(200);
        assert_eq!(body["totalResults"], 2);
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        assert_eq!(
            body["Resources"],
            json!([{"id": bob, "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ext], "userName": "bob@example.com"}])
        );

        let all = scim
            .post(
                "/.search",
                json!({"filter": "displayName sw \"an\"", "attributes": ["displayName"]}),
            )
            .await;
        let body = all.expect(200);
        assert_eq!(body["totalResults"], 2, "{body}");
        assert_eq!(body["Resources"][0]["id"], ann);
        assert_eq!(body["Resources"][1]["displayName"], "Anesthesia");
        let users_only = scim
            .post("/.search", json!({"filter": "userName sw \"bob\""}))
            .await;
        assert_eq!(users_only.expect(200)["totalResults"], 1);
    }
);
