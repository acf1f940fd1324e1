//! SCIM protocol rules beyond the IdP sequences: discovery, methods, ETags, projection, content
//! types, bad input, atomic PATCH, concurrency, tenancy, and the change records.

use serde_json::{Value, json};

use crate::helpers::{spawn_app, storage_test, urlencode};

const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

storage_test!(
    async fn discovery_is_truthful(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;

        let spc = scim.get("/ServiceProviderConfig").await;
        let body = spc.expect(200);
        assert_eq!(body["patch"]["supported"], true);
        assert_eq!(body["bulk"]["supported"], false);
        assert_eq!(body["etag"]["supported"], true);
        assert_eq!(body["filter"]["maxResults"], 1000);
        assert!(
            body.get("Resources").is_none(),
            "a single object, not a list"
        );

        let types = scim.get("/ResourceTypes").await;
        let body = types.expect(200);
        assert_eq!(body["Resources"][0]["endpoint"], "/Users");
        assert_eq!(
            body["Resources"][0]["schemaExtensions"],
            json!([{"schema": ENTERPRISE, "required": false}])
        );
        assert_eq!(
            scim.get("/ResourceTypes/Group").await.expect(200)["endpoint"],
            "/Groups"
        );
        scim.get("/ResourceTypes/Printer").await.expect(404);

        let schemas = scim.get("/Schemas").await;
        let body = schemas.expect(200).clone();
        let ids: Vec<&str> = body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            vec![
                "urn:ietf:params:scim:schemas:core:2.0:User",
                ENTERPRISE,
                "urn:ietf:params:scim:schemas:core:2.0:Group"
            ]
        );
        let user_attrs: Vec<&str> = body["Resources"][0]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert!(user_attrs.contains(&"emails") && user_attrs.contains(&"active"));
        for absent in [
            "password",
            "ims",
            "photos",
            "entitlements",
            "roles",
            "x509Certificates",
        ] {
            assert!(
                !user_attrs.contains(&absent),
                "{absent} is not stored, so not advertised"
            );
        }
        assert!(!body.to_string().contains("null"), "no nulls (Entra)");
        assert_eq!(
            scim.get(&format!("/Schemas/{ENTERPRISE}"))
                .await
                .expect(200)["name"],
            "EnterpriseUser"
        );
        scim.get("/Schemas/urn:nope").await.expect(404);

        for path in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"] {
            for method in [
                reqwest::Method::POST,
                reqwest::Method::PUT,
                reqwest::Method::PATCH,
                reqwest::Method::DELETE,
            ] {
                let response = scim.send(method.clone(), path, Some(json!({})), &[]).await;
                response.expect(405);
                assert_eq!(
                    response.header("allow"),
                    Some("GET, HEAD"),
                    "{method} {path}"
                );
            }
        }
        scim.get("/Me").await.expect(501);
        scim.post("/Bulk", json!({})).await.expect(501);
        scim.get("/NoSuchEndpoint").await.expect(404);
    }
);

storage_test!(
    async fn etags_and_preconditions(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let id = scim.create_user("etag@acme.example").await;
        let path = format!("/Users/{id}");
        let read = scim.get(&path).await;
        assert_eq!(read.header("etag"), Some("W/\"1\""));
        assert_eq!(read.body["meta"]["version"], "W/\"1\"");

        let unchanged = scim
            .send(
                reqwest::Method::GET,
                &path,
                None,
                &[("If-None-Match", "W/\"1\"")],
            )
            .await;
        assert_eq!(unchanged.status, 304);
        let title = |t: &str| json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "title", "value": t}]});
        let stale = scim
            .send(
                reqwest::Method::PATCH,
                &path,
                Some(title("Nurse")),
                &[("If-Match", "W/\"7\"")],
            )
            .await;
        stale.expect(412);
        let fresh = scim
            .send(
                reqwest::Method::PATCH,
                &path,
                Some(title("Nurse")),
                &[("If-Match", "W/\"1\"")],
            )
            .await;
        assert_eq!(fresh.expect(200)["meta"]["version"], "W/\"2\"");
        assert_eq!(fresh.header("etag"), Some("W/\"2\""));
        scim.send(
            reqwest::Method::PUT,
            &path,
            Some(json!({"userName": "etag@acme.example"})),
            &[("If-Match", "W/\"1\"")],
        )
        .await
        .expect(412);
        scim.send(
            reqwest::Method::DELETE,
            &path,
            None,
            &[("If-Match", "\"1\"")],
        )
        .await
        .expect(412);
        let changed = scim
            .send(
                reqwest::Method::GET,
                &path,
                None,
                &[("If-None-Match", "W/\"1\"")],
            )
            .await;
        changed.expect(200);
        assert_eq!(
            scim.send(reqwest::Method::DELETE, &path, None, &[("If-Match", "*")])
                .await
                .status,
            204
        );
    }
);

storage_test!(
    async fn attributes_and_excluded_attributes(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let created = scim.post("/Users?attributes=userName", json!({
            "userName": "proj@acme.example", "title": "Coder",
            "name": {"givenName": "Pat", "familyName": "Roe"}, ENTERPRISE: {"department": "IT", "division": "Ops"}
        })).await;
        let body = created.expect(201).clone();
        let id = body["id"].as_str().unwrap();
        assert_eq!(
            body.as_object().unwrap().len(),
            3,
            "schemas, id, userName: {body}"
        );

        let narrowed = scim
            .get(&format!(
                "/Users/{id}?attributes=name.givenName,{ENTERPRISE}:department"
            ))
            .await;
        let body = narrowed.expect(200);
        assert_eq!(body["name"], json!({"givenName": "Pat"}));
        assert_eq!(body[ENTERPRISE], json!({"department": "IT"}));
        assert!(body.get("title").is_none() && body.get("meta").is_none());

        let excluded = scim
            .get(&format!(
                "/Users?excludedAttributes=title,name,meta&filter={}",
                urlencode("userName eq \"proj@acme.example\"")
            ))
            .await;
        let user = &excluded.expect(200)["Resources"][0];
        assert!(
            user.get("title").is_none() && user.get("name").is_none() && user.get("meta").is_none()
        );
        assert_eq!(user["id"], id);
        assert_eq!(user["userName"], "proj@acme.example");
    }
);

storage_test!(
    /// Bodies are JSON whatever the content type says; anything else is a clear 400.
    async fn content_types_and_bad_input(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ct@acme.example"}).to_string();
        for (i, content_type) in [Some("application/json"), None, Some("text/plain")]
            .into_iter()
            .enumerate()
        {
            let mut request = app
                .client
                .post(format!("{}/Users", scim.base))
                .bearer_auth(scim.token());
            if let Some(ct) = content_type {
                request = request.header("Content-Type", ct);
            }
            let user = body.replace("ct@", &format!("ct{i}@"));
            let response = request.body(user).send().await.unwrap();
            assert_eq!(response.status(), 201, "{content_type:?}");
            assert!(
                response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/scim+json")
            );
        }

        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        for (bad, scim_type) in [
            ("{not json", "invalidSyntax"),
            ("", "invalidSyntax"),
            (deep.as_str(), "invalidSyntax"),
            ("[1, 2]", "invalidSyntax"),
            (r#"{"not": "a scim resource"}"#, "invalidValue"),
            (r#"{"userName": "x@y"}"#, "invalidValue"),
            (
                r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "x@y"}"#,
                "invalidValue",
            ),
            (
                r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": 42, "active": "maybe"}"#,
                "invalidValue",
            ),
            (
                r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "name": {"givenName": "No userName"}}"#,
                "invalidValue",
            ),
            (
                r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x@y", "emails": 42}"#,
                "invalidValue",
            ),
            (
                r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x@y", "name": "a string"}"#,
                "invalidValue",
            ),
        ] {
            let response = app
                .client
                .post(format!("{}/Users", scim.base))
                .bearer_auth(scim.token())
                .header("Content-Type", "application/scim+json")
                .body(bad.to_owned())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400, "{bad:.40}");
            let error: Value = response.json().await.unwrap();
            assert_eq!(error["scimType"], scim_type, "{bad:.40}: {error}");
        }
        assert_eq!(
            scim.filter_users("userName sw \"x\"").await.len(),
            0,
            "nothing partial was written"
        );

        let id = scim.create_user("patch-bad@acme.example").await;
        for (ops, scim_type) in [
            (json!({"Operations": "no"}), "invalidSyntax"),
            (
                json!({"Operations": [{"op": "frobnicate", "path": "title", "value": "x"}]}),
                "invalidSyntax",
            ),
            (json!({"Operations": [{"op": "remove"}]}), "noTarget"),
            (
                json!({"Operations": [{"op": "replace", "value": "not an object"}]}),
                "invalidSyntax",
            ),
            (
                json!({"Operations": [{"op": "add", "path": "title"}]}),
                "invalidSyntax",
            ),
            (
                json!({"Operations": [{"op": "replace", "path": "nosuch", "value": "x"}]}),
                "invalidPath",
            ),
            (
                json!({"Operations": [{"op": "replace", "path": "emails[type eq", "value": "x"}]}),
                "invalidPath",
            ),
            (
                json!({"Operations": [{"op": "remove", "path": "userName"}]}),
                "mutability",
            ),
            (
                json!({"Operations": [{"op": "replace", "path": "id", "value": "x"}]}),
                "mutability",
            ),
            (
                json!({"Operations": [{"op": "replace", "path": "active", "value": "perhaps"}]}),
                "invalidValue",
            ),
            (
                json!({"Operations": [{"op": "replace", "path": "emails[value co \"x\"].value", "value": "a@b"}]}),
                "noTarget",
            ),
        ] {
            let response = scim.patch(&format!("/Users/{id}"), ops.clone()).await;
            assert_eq!(response.expect(400)["scimType"], scim_type, "{ops}");
        }
        // Operations: [] (the Entra validator) is a successful no-op.
        let empty = scim
            .patch(
                &format!("/Users/{id}"),
                json!({"schemas": [PATCH], "Operations": []}),
            )
            .await;
        assert_eq!(empty.expect(200)["meta"]["version"], "W/\"1\"");
    }
);

storage_test!(
    /// All operations of a PATCH apply, or none do.
    async fn patch_is_atomic(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let id = scim.create_user("atomic@acme.example").await;
        let ops = json!({"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "title", "value": "Should Not Stick"},
            {"op": "replace", "path": "active", "value": false},
            {"op": "remove", "path": "userName"}
        ]});
        scim.patch(&format!("/Users/{id}"), ops).await.expect(400);
        let user = scim.get(&format!("/Users/{id}")).await.expect(200).clone();
        assert!(user.get("title").is_none());
        assert_eq!(user["active"], true);
        assert_eq!(user["meta"]["version"], "W/\"1\"");

        // A userName change into a taken one fails whole, with 409.
        scim.create_user("taken@acme.example").await;
        let rename = json!({"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "title", "value": "Nope"},
            {"op": "replace", "path": "userName", "value": "TAKEN@acme.example"}
        ]});
        assert_eq!(
            scim.patch(&format!("/Users/{id}"), rename)
                .await
                .expect(409)["scimType"],
            "uniqueness"
        );
        assert!(
            scim.get(&format!("/Users/{id}"))
                .await
                .body
                .get("title")
                .is_none()
        );
    }
);

storage_test!(
    /// 20 PATCHes adding different members to one group, in parallel: all survive.
    async fn concurrent_member_adds_all_survive(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let gid = scim
            .post("/Groups", json!({"displayName": "Everyone"}))
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut users = Vec::new();
        for i in 0..20 {
            users.push(scim.create_user(&format!("member{i}@acme.example")).await);
        }
        let patches = users.iter().map(|user| {
            let scim = scim.clone();
            let path = format!("/Groups/{gid}");
            let body = json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": user}]}]});
            tokio::spawn(async move { scim.patch(&path, body).await.status })
        });
        for status in futures_util::future::join_all(patches).await {
            assert_eq!(status.unwrap(), 200);
        }
        let group = scim
            .get(&format!("/Groups/{gid}"))
            .await
            .expect(200)
            .clone();
        let mut members: Vec<String> = group["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap().to_owned())
            .collect();
        members.sort();
        users.sort();
        assert_eq!(members, users);
        assert_eq!(group["meta"]["version"], "W/\"21\"");
    }
);

storage_test!(
    /// One practice's SCIM token never sees or touches another practice's people or groups.
    async fn practices_are_isolated(backend: Backend) {
        let app = spawn_app(&backend).await;
        let a = app.scim_client("practice-a").await;
        let b = app.scim_client("practice-b").await;
        let ann = a.create_user("ann@shared.example").await;
        let group_a = a
            .post("/Groups", json!({"displayName": "Billing"}))
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();

        b.get(&format!("/Users/{ann}")).await.expect(404);
        b.get(&format!("/Groups/{group_a}")).await.expect(404);
        assert_eq!(b.get("/Users").await.expect(200)["totalResults"], 0);
        assert!(
            b.filter_users("userName eq \"ann@shared.example\"")
                .await
                .is_empty()
        );
        b.patch(
            &format!("/Users/{ann}"),
            json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}),
        )
        .await
        .expect(404);
        b.delete(&format!("/Users/{ann}")).await.expect(404);
        b.delete(&format!("/Groups/{group_a}")).await.expect(404);
        // The same userName and group name are free in practice B.
        let bob = b.create_user("ann@shared.example").await;
        let group_b = b
            .post(
                "/Groups",
                json!({"displayName": "Billing", "members": [{"value": ann}]}),
            )
            .await;
        assert!(
            group_b.expect(201).get("members").is_none(),
            "A's user is not a member candidate in B"
        );
        let gb = group_b.body["id"].as_str().unwrap();
        b.patch(&format!("/Groups/{gb}"), json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": ann}, {"value": bob}]}]})).await.expect(200);
        let members = b.get(&format!("/Groups/{gb}")).await.body["members"].clone();
        assert_eq!(members.as_array().unwrap().len(), 1);
        assert_eq!(members[0]["value"], bob);
        assert_eq!(
            a.get(&format!("/Users/{ann}")).await.expect(200)["active"],
            true
        );
    }
);

storage_test!(
    /// Every write leaves a change record in the same transaction, with who and what.
    async fn writes_record_changes(backend: Backend) {
        let app = spawn_app(&backend).await;
        let practice = app.practice("acme").await;
        let token = app.token(&practice, "scim").await;
        let scim = app.scim(&token);
        let id = scim
            .post(
                "/Users",
                json!({"userName": "mover@acme.example", "title": "Front Desk",
            ENTERPRISE: {"department": "Patient Access"}}),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        scim.patch(
            &format!("/Users/{id}"),
            json!({"Operations": [{"op": "replace", "path": "title", "value": "Biller"}]}),
        )
        .await
        .expect(200);
        // A no-op write records nothing.
        scim.patch(
            &format!("/Users/{id}"),
            json!({"Operations": [{"op": "replace", "path": "title", "value": "Biller"}]}),
        )
        .await
        .expect(200);
        let gid = scim
            .post(
                "/Groups",
                json!({"displayName": "Billing Desk", "members": [{"value": id}]}),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        scim.patch(
            &format!("/Users/{id}"),
            json!({"Operations": [{"op": "replace", "value": {"active": false}}]}),
        )
        .await
        .expect(200);
        scim.delete(&format!("/Users/{id}")).await.expect(204);

        let changes = app
            .store
            .tenant(practice.id)
            .changes_after(0, 100)
            .await
            .unwrap();
        let summary: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| (c.resource_type.as_str(), c.action.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("User", "created"),
                ("User", "updated"),
                ("Group", "created"),
                ("User", "updated"),
                ("User", "deleted")
            ]
        );
        assert_eq!(
            changes[0].after.as_ref().unwrap()["department"],
            "Patient Access"
        );
        assert_eq!(changes[1].before.as_ref().unwrap()["title"], "Front Desk");
        assert_eq!(changes[1].after.as_ref().unwrap()["title"], "Biller");
        assert_eq!(changes[2].after.as_ref().unwrap()["added"], json!([id]));
        assert_eq!(changes[3].after.as_ref().unwrap()["active"], false);
        assert_eq!(
            changes[4].after.as_ref().unwrap()["groupsLeft"],
            json!([gid])
        );
        assert!(
            changes
                .iter()
                .all(|c| c.actor.starts_with("token test scim") && c.request_id.is_some())
        );
        // Nothing of another practice.
        let other = app.practice("other").await;
        assert!(
            app.store
                .tenant(other.id)
                .changes_after(0, 100)
                .await
                .unwrap()
                .is_empty()
        );
    }
);

storage_test!(
    /// Bugs found in review, each pinned: a non-ASCII attribute name, clearing `active`, a
    /// group PUT without members, NUL and oversized values, a wrapped externalId, empty
    /// needles, and where missing values sort.
    async fn review_regressions(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;

        // Once panicked a worker (byte slicing inside a multi-byte character).
        assert_eq!(
            scim.find("/Users", "abcé eq 1").await.expect(400)["scimType"],
            "invalidFilter"
        );
        scim.patch(
            "/Users/00000000-0000-0000-0000-000000000000",
            json!({"Operations": [{"op": "replace", "path": "abcé", "value": 1}]}),
        )
        .await;
        assert_eq!(scim.get("/Users?attributes=abcé").await.status, 400);

        // Clearing `active` never reactivates a leaver.
        let id = scim.create_user("leaver@acme.example").await;
        let path = format!("/Users/{id}");
        scim.patch(
            &path,
            json!({"Operations": [{"op": "replace", "path": "active", "value": "False"}]}),
        )
        .await
        .expect(200);
        for op in [
            json!({"op": "replace", "path": "active", "value": ""}),
            json!({"op": "remove", "path": "active"}),
            json!({"op": "replace", "value": {"active": null}}),
        ] {
            scim.patch(&path, json!({"Operations": [op]}))
                .await
                .expect(200);
            assert!(
                scim.filter_users("active eq true").await.is_empty(),
                "still a leaver"
            );
            assert_eq!(scim.filter_users("active eq false").await, vec![id.clone()]);
        }

        // A group PUT that leaves `members` out keeps them.
        let gid = scim
            .post(
                "/Groups",
                json!({"displayName": "Keep", "members": [{"value": id}]}),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let renamed = scim.put(&format!("/Groups/{gid}"), json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Kept"})).await;
        assert_eq!(renamed.expect(200)["members"][0]["value"], id);
        let emptied = scim.put(&format!("/Groups/{gid}"), json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Kept", "members": []})).await;
        assert!(emptied.expect(200).get("members").is_none());

        // NUL characters and oversized values are 400, on both backends, never 500.
        for body in [
            json!({"userName": "a\u{0}b"}),
            json!({"userName": "x".repeat(2000)}),
            json!({"userName": "ok@acme.example", "title": "a\u{0}b"}),
            json!({"userName": "ok@acme.example", "externalId": "e".repeat(2000)}),
        ] {
            assert_eq!(
                scim.post("/Users", body).await.expect(400)["scimType"],
                "invalidValue"
            );
        }
        assert_eq!(
            scim.find("/Users", "userName eq \"a\u{0}b\"")
                .await
                .expect(400)["scimType"],
            "invalidFilter"
        );
        assert_eq!(
            scim.find("/Users", "meta.created gt \"9999-12-31T23:59:59-23:59\"")
                .await
                .expect(400)["scimType"],
            "invalidFilter"
        );

        // Old Entra wraps single values, externalId included.
        let wrapped = json!({"Operations": [{"op": "Replace", "path": "externalId", "value": [{"$ref": null, "value": "ext1"}]}]});
        assert_eq!(
            scim.patch(&path, wrapped).await.expect(200)["externalId"],
            "ext1"
        );

        // "" is in every string: co/sw/ew "" match whoever has the attribute, on both backends.
        let titled = scim
            .post(
                "/Users",
                json!({"userName": "titled@acme.example", "title": "Nurse", "displayName": "Zed"}),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for op in ["co", "sw", "ew"] {
            assert_eq!(
                scim.filter_users(&format!("title {op} \"\"")).await,
                vec![titled.clone()],
                "{op}"
            );
        }
        // Missing displayName sorts last ascending, first descending.
        let order = |body: &Value| {
            body["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            order(scim.get("/Users?sortBy=displayName").await.expect(200)),
            vec![titled.clone(), id.clone()]
        );
        assert_eq!(
            order(
                scim.get("/Users?sortBy=displayName&sortOrder=descending")
                    .await
                    .expect(200)
            ),
            vec![id.clone(), titled.clone()]
        );
    }
);

storage_test!(
    /// `totalResults` of an unfiltered listing comes from the practice's tally (kept by
    /// triggers); it must agree with the rows through creates, deletes, re-creates and
    /// deactivations, per practice, for users and groups.
    async fn total_results_follow_every_create_and_delete(backend: Backend) {
        let app = spawn_app(&backend).await;
        let acme = app.scim_client("acme").await;
        let beta = app.scim_client("beta").await;
        let ann = acme.create_user("ann@acme.example").await;
        acme.create_user("bob@acme.example").await;
        let cat = acme.create_user("cat@acme.example").await;
        beta.create_user("dan@beta.example").await;
        acme.delete(&format!("/Users/{ann}")).await.expect(204);
        acme.delete(&format!("/Users/{ann}")).await.expect(404);
        acme.create_user("ann@acme.example").await;
        acme.patch(
            &format!("/Users/{cat}"),
            json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}),
        )
        .await
        .expect(200);
        let mut groups = Vec::new();
        for name in ["Billing", "Front desk", "Clinical"] {
            let created = acme.post("/Groups", json!({"displayName": name})).await;
            groups.push(created.expect(201)["id"].as_str().unwrap().to_owned());
        }
        acme.delete(&format!("/Groups/{}", groups[1]))
            .await
            .expect(204);

        for path in ["/Users?count=0", "/Users?count=2", "/Users"] {
            let body = acme.get(path).await;
            assert_eq!(body.expect(200)["totalResults"], 3, "{path}");
        }
        // A full page past the first still reports the whole.
        let second = acme.get("/Users?startIndex=3&count=1").await;
        assert_eq!(second.expect(200)["totalResults"], 3);
        assert_eq!(second.expect(200)["Resources"].as_array().unwrap().len(), 1);
        // A filter counts its own matches.
        let active = acme
            .get(&format!(
                "/Users?count=1&filter={}",
                urlencode("active eq true")
            ))
            .await;
        assert_eq!(active.expect(200)["totalResults"], 2);
        assert_eq!(
            acme.get("/Groups?count=0").await.expect(200)["totalResults"],
            2
        );
        assert_eq!(
            acme.get("/Groups?count=1").await.expect(200)["totalResults"],
            2
        );
        let search = acme.post("/.search", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 1})).await;
        assert_eq!(search.expect(200)["totalResults"], 5);
        assert_eq!(
            beta.get("/Users?count=0").await.expect(200)["totalResults"],
            1
        );
        assert_eq!(
            beta.get("/Groups?count=0").await.expect(200)["totalResults"],
            0
        );
    }
);

storage_test!(
    /// Pages past the first keep the listing's order and carry each user's groups (PostgreSQL
    /// reads them through a different statement there: ids first, then rows).
    async fn later_pages_keep_their_order_and_their_groups(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let mut ids = Vec::new();
        for name in ["eve", "ann", "dan", "bob", "cat"] {
            ids.push(scim.create_user(&format!("{name}@acme.example")).await);
        }
        let members: Vec<Value> = ids[1..4].iter().map(|id| json!({"value": id})).collect();
        scim.post(
            "/Groups",
            json!({"displayName": "Billing", "members": members}),
        )
        .await
        .expect(201);
        let names_and_groups = |page: &Value| -> Vec<(String, usize)> {
            page["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|user| {
                    let groups = user
                        .get("groups")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len);
                    (user["userName"].as_str().unwrap().to_owned(), groups)
                })
                .collect()
        };
        for sort in ["", "&sortBy=userName&sortOrder=descending"] {
            let whole = scim.get(&format!("/Users?count=10{sort}")).await;
            let whole = names_and_groups(whole.expect(200));
            let mut paged = Vec::new();
            for start in [1, 3, 5] {
                let page = scim
                    .get(&format!("/Users?startIndex={start}&count=2{sort}"))
                    .await;
                let page = page.expect(200);
                assert_eq!(page["totalResults"], 5, "{sort} from {start}");
                paged.extend(names_and_groups(page));
            }
            assert_eq!(paged, whole, "{sort}");
            assert_eq!(whole.iter().filter(|(_, groups)| *groups == 1).count(), 3);
        }
        let last = scim
            .get("/Users?startIndex=2&count=10&sortBy=userName&sortOrder=descending")
            .await;
        let names: Vec<String> = names_and_groups(last.expect(200))
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            names,
            ["dan", "cat", "bob", "ann"].map(|n| format!("{n}@acme.example"))
        );
        let scim = &scim;
        let page_of = |path: String| async move {
            let page = scim.get(&path).await;
            names_and_groups(page.expect(200))
                .into_iter()
                .map(|(name, _)| name.trim_end_matches("@acme.example").to_owned())
                .collect::<Vec<_>>()
        };
        // A filter with an offset: the ids subquery filters too.
        let filter = urlencode("userName ne \"eve@acme.example\"");
        assert_eq!(
            page_of(format!(
                "/Users?filter={filter}&sortBy=userName&startIndex=2&count=2"
            ))
            .await,
            ["bob", "cat"]
        );
        // Users without the sort attribute come last ascending, in id (creation) order.
        for (user, name) in [(&ids[1], "Zed"), (&ids[4], "Amy")] {
            scim.patch(
                &format!("/Users/{user}"),
                json!({"Operations": [{"op": "replace", "path": "displayName", "value": name}]}),
            )
            .await
            .expect(200);
        }
        assert_eq!(
            page_of("/Users?sortBy=displayName&startIndex=2&count=3".into()).await,
            ["ann", "eve", "dan"]
        );
    }
);

storage_test!(
    /// A user's read-only `groups`: every group, in id order, with display name and reference,
    /// on every read (GET, list, filter, .search) and in a PATCH response; gone when excluded
    /// or when the membership ends; renames show at once.
    async fn a_users_groups_appear_on_every_read(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let ann = scim.create_user("ann@acme.example").await;
        let bob = scim.create_user("bob@acme.example").await;
        let mut groups = Vec::new();
        for name in ["Billing", "Front desk"] {
            let created = scim
                .post(
                    "/Groups",
                    json!({"displayName": name, "members": [{"value": ann}]}),
                )
                .await;
            groups.push(created.expect(201)["id"].as_str().unwrap().to_owned());
        }
        groups.sort();
        let display = |id: &str| {
            if id == groups[0] {
                "Billing"
            } else {
                "Front desk"
            }
        };
        let expected: Vec<Value> = groups
            .iter()
            .map(|id| {
                json!({"value": id, "display": display(id), "type": "direct",
                       "$ref": app.url(&format!("/scim/v2/Groups/{id}"))})
            })
            .collect();
        let expected = Value::Array(expected);

        let got = scim.get(&format!("/Users/{ann}")).await;
        assert_eq!(got.expect(200)["groups"], expected);
        let filter = urlencode("userName eq \"ann@acme.example\"");
        let listed = scim.get(&format!("/Users?filter={filter}")).await;
        assert_eq!(listed.expect(200)["Resources"][0]["groups"], expected);
        let page = scim.get("/Users?count=10").await;
        let page = page.expect(200)["Resources"].as_array().unwrap().clone();
        assert_eq!(page.len(), 2);
        for user in &page {
            if user["id"] == ann {
                assert_eq!(user["groups"], expected);
            } else {
                assert_eq!(user["id"], bob);
                assert!(
                    user.get("groups").is_none(),
                    "no groups, no attribute: {user}"
                );
            }
        }
        let search = scim
            .post("/.search", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName eq \"ann@acme.example\""}))
            .await;
        assert_eq!(search.expect(200)["Resources"][0]["groups"], expected);
        let patched = scim
            .patch(
                &format!("/Users/{ann}"),
                json!({"Operations": [{"op": "replace", "path": "title", "value": "Biller"}]}),
            )
            .await;
        assert_eq!(patched.expect(200)["groups"], expected);
        let projected = scim.get(&format!("/Users/{ann}?attributes=userName")).await;
        assert!(projected.expect(200).get("groups").is_none());
        let excluded = scim
            .get(&format!("/Users?excludedAttributes=groups&filter={filter}"))
            .await;
        assert!(excluded.expect(200)["Resources"][0].get("groups").is_none());

        scim.patch(
            &format!("/Groups/{}", groups[0]),
            json!({"Operations": [{"op": "replace", "path": "displayName", "value": "Billing office"}]}),
        )
        .await
        .expect(200);
        scim.patch(
            &format!("/Groups/{}", groups[1]),
            json!({"Operations": [{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]}),
        )
        .await
        .expect(200);
        let after = scim.get(&format!("/Users/{ann}")).await;
        let after = &after.expect(200)["groups"];
        assert_eq!(after.as_array().unwrap().len(), 1, "{after}");
        assert_eq!(after[0]["value"], groups[0].as_str());
        assert_eq!(after[0]["display"], "Billing office");
    }
);

storage_test!(
    /// Issue 14, defect 2: an ill-typed `members` (PUT, or PATCH replace/add/remove) is a 400
    /// `invalidValue` that changes nothing; it never empties the group.
    async fn ill_typed_members_are_refused_and_change_nothing(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let ann = scim.create_user("ann@acme.example").await;
        let gid = scim
            .post(
                "/Groups",
                json!({"displayName": "Billing", "members": [{"value": ann}]}),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/Groups/{gid}");
        let bad = [
            json!({"a": 1}),
            json!("x"),
            json!([{"value": 5}]),
            json!([{"display": "Ann"}]),
            json!([{"value": "ann"}, 7]),
        ];
        for members in &bad {
            let put = scim
                .put(&path, json!({"displayName": "Billing", "members": members}))
                .await;
            assert_eq!(put.status, 400, "PUT members {members}: {}", put.body);
            assert_eq!(put.body["scimType"], "invalidValue", "{}", put.body);
            for op in ["replace", "add", "remove"] {
                let patch = scim
                    .patch(
                        &path,
                        json!({"schemas": [PATCH], "Operations": [{"op": op, "path": "members", "value": members}]}),
                    )
                    .await;
                assert_eq!(patch.status, 400, "{op} members {members}: {}", patch.body);
                assert_eq!(patch.body["scimType"], "invalidValue");
            }
        }
        let group = scim.get(&path).await.expect(200).clone();
        assert_eq!(group["members"][0]["value"], ann.as_str());
        assert_eq!(group["meta"]["version"], "W/\"1\"", "nothing was written");
        // The lenient forms IdPs send still work: `Value` in any case, and null as none.
        let patch = scim
            .patch(
                &path,
                json!({"schemas": [PATCH], "Operations": [{"op": "remove", "path": "members", "value": [{"Value": ann}]}]}),
            )
            .await;
        assert_eq!(patch.status, 200, "{}", patch.body);
        assert!(
            scim.get(&path)
                .await
                .expect(200)
                .get("members")
                .is_none_or(|m| m.as_array().is_some_and(Vec::is_empty))
        );
    }
);

storage_test!(
    /// Issue 14, defect 6: values of the wrong type are refused with `invalidValue` and change
    /// nothing, while the leniency real IdPs need stays (`"True"`, a bare manager id, a
    /// member given as a single id, old Entra's `[{"value": …}]` wrapper).
    async fn ill_typed_values_are_refused_not_coerced(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let user = |extra: Value| {
            let mut body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                  "userName": "typed@acme.example"});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        for (bad, attr) in [
            (json!({"userName": 123}), "userName"),
            (json!({"title": ["Biller"]}), "title"),
            (json!({"title": 7}), "title"),
            (json!({"emails": "typed@acme.example"}), "emails"),
            (json!({"emails": [{"value": 5}]}), "value"),
            (json!({"name": [{"givenName": "A"}]}), "name"),
            (json!({"externalId": 42}), "externalId"),
            (json!({"active": 1}), "active"),
        ] {
            let response = scim.post("/Users", user(bad.clone())).await;
            let error = response.expect(400);
            assert_eq!(error["scimType"], "invalidValue", "{bad}: {error}");
            assert!(
                error["detail"].as_str().unwrap().contains(attr),
                "{bad}: {error}"
            );
        }
        assert_eq!(
            scim.filter_users("userName pr").await.len(),
            0,
            "nothing stored"
        );
        let group = scim
            .post(
                "/Groups",
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": 123}),
            )
            .await;
        assert_eq!(group.expect(400)["scimType"], "invalidValue");

        // What real IdPs send still works.
        let created = scim
            .post(
                "/Users",
                user(json!({"active": "True", "title": [{"$ref": null, "value": "Biller"}],
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "1b0c5b9e-0000-4000-8000-000000000001"}})),
            )
            .await;
        let created = created.expect(201).clone();
        assert_eq!(created["active"], true);
        assert_eq!(created["title"], "Biller");
        let id = created["id"].as_str().unwrap();
        let group = scim
            .post(
                "/Groups",
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Typed"}),
            )
            .await;
        let gid = group.expect(201)["id"].as_str().unwrap().to_owned();
        scim.patch(
            &format!("/Groups/{gid}"),
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "add", "path": "members", "value": id}]}),
        )
        .await
        .expect(200);
        let patched = scim
            .patch(
                &format!("/Users/{id}"),
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "title", "value": ["Boss"]}]}),
            )
            .await;
        assert_eq!(patched.expect(400)["scimType"], "invalidValue");
        assert_eq!(
            scim.get(&format!("/Users/{id}")).await.expect(200)["title"],
            "Biller"
        );
    }
);
