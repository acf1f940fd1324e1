//! The request sequences Okta and Microsoft Entra ID really send (SCIM.md §2, §3), replayed
//! from fixtures through the real server.

use serde_json::json;

use crate::helpers::{filled, fixture, spawn_app, storage_test, urlencode};

storage_test!(
    /// Save/test connector, then assign a user: lookup by userName, create, 409 on repeat,
    /// case-insensitive lookup that preserves case.
    async fn okta_connector_test_and_joiner(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;

        for path in [
            "/Users?startIndex=1&count=2",
            "/Groups?startIndex=1&count=100",
        ] {
            let list = scim.get(path).await;
            let body = list.expect(200);
            assert_eq!(
                body["schemas"][0],
                "urn:ietf:params:scim:api:messages:2.0:ListResponse"
            );
            assert!(
                body["totalResults"].is_u64()
                    && body["startIndex"].is_u64()
                    && body["itemsPerPage"].is_u64()
            );
            assert!(body["Resources"].is_array());
        }

        let name = "Dana.Whitfield@Acme-Clinic.example";
        let lookup = format!(
            "/Users?filter={}&startIndex=1&count=100",
            urlencode(&format!("userName eq \"{name}\""))
        );
        assert_eq!(scim.get(&lookup).await.expect(200)["totalResults"], 0);

        let created = scim
            .post(
                "/Users",
                filled("okta/create_user.json", &[("USER_NAME", name)]),
            )
            .await;
        let user = created.expect(201).clone();
        let id = user["id"].as_str().unwrap();
        assert_eq!(user["userName"], name, "case preserved");
        assert_eq!(user["active"], true);
        assert!(user.get("password").is_none(), "password is never returned");
        assert!(user.get("groups").is_none(), "no groups yet");
        assert_eq!(
            created.header("location"),
            user["meta"]["location"].as_str()
        );
        assert_eq!(created.header("etag"), user["meta"]["version"].as_str());
        assert!(
            user["meta"]["location"]
                .as_str()
                .unwrap()
                .starts_with("http://127.0.0.1:")
        );

        let upper = format!(
            "/Users?filter={}",
            urlencode(&format!("userName eq \"{}\"", name.to_uppercase()))
        );
        let found = scim.get(&upper).await;
        assert_eq!(found.expect(200)["Resources"][0]["id"], id);
        assert_eq!(found.body["Resources"][0]["userName"], name);

        let again = scim
            .post(
                "/Users",
                filled(
                    "okta/create_user.json",
                    &[("USER_NAME", &name.to_lowercase())],
                ),
            )
            .await;
        assert_eq!(again.expect(409)["scimType"], "uniqueness");
        assert_eq!(
            scim.get(&format!("/Users/{id}")).await.expect(200)["id"],
            id
        );
        scim.get("/Users/010101001010101011001010101011")
            .await
            .expect(404);
    }
);

storage_test!(
    /// Leaver by PATCH without a path; the user stays readable and filterable; reactivation.
    async fn okta_deactivate_and_reactivate(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let created = scim
            .post(
                "/Users",
                filled(
                    "okta/create_user.json",
                    &[("USER_NAME", "leaver@acme.example")],
                ),
            )
            .await;
        let id = created.expect(201)["id"].as_str().unwrap().to_owned();

        let patched = scim
            .patch(&format!("/Users/{id}"), fixture("okta/deactivate.json"))
            .await;
        assert_eq!(patched.expect(200)["active"], false);
        assert_eq!(patched.body["meta"]["version"], "W/\"2\"");
        assert_eq!(
            scim.get(&format!("/Users/{id}")).await.expect(200)["active"],
            false
        );
        assert_eq!(scim.filter_users("active eq false").await, vec![id.clone()]);
        assert_eq!(
            scim.filter_users("userName eq \"leaver@acme.example\"")
                .await,
            vec![id.clone()]
        );

        // Replayed (IdPs retry): same state, no new version.
        let replay = scim
            .patch(&format!("/Users/{id}"), fixture("okta/deactivate.json"))
            .await;
        assert_eq!(replay.expect(200)["meta"]["version"], "W/\"2\"");

        let reactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": true}}]});
        assert_eq!(
            scim.patch(&format!("/Users/{id}"), reactivate)
                .await
                .expect(200)["active"],
            true
        );
    }
);

storage_test!(
    /// AIW custom apps GET then PUT the whole user, `id`, `meta` and `groups` included.
    async fn okta_aiw_put_round_trips(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let name = "aiw@acme.example";
        let id = scim
            .post(
                "/Users",
                filled("okta/create_user.json", &[("USER_NAME", name)]),
            )
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();

        let put = scim
            .put(
                &format!("/Users/{id}"),
                filled(
                    "okta/put_user.json",
                    &[("USER_ID", &id), ("USER_NAME", name)],
                ),
            )
            .await;
        let body = put.expect(200);
        assert_eq!(body["title"], "Billing Specialist");
        assert_eq!(body["name"]["familyName"], "Whitfield-Ortiz");
        assert_eq!(body["active"], true);
        assert_eq!(body["id"], id);

        // A PUT with active:false is a leaver (Okta AIW deactivates this way) ...
        let mut inactive = filled(
            "okta/put_user.json",
            &[("USER_ID", &id), ("USER_NAME", name)],
        );
        inactive["active"] = json!(false);
        assert_eq!(
            scim.put(&format!("/Users/{id}"), inactive)
                .await
                .expect(200)["active"],
            false
        );
        // ... and a PUT that leaves `active` out neither deactivates nor reactivates.
        let mut without_active = filled(
            "okta/put_user.json",
            &[("USER_ID", &id), ("USER_NAME", name)],
        );
        without_active.as_object_mut().unwrap().remove("active");
        assert_eq!(
            scim.put(&format!("/Users/{id}"), without_active)
                .await
                .expect(200)["active"],
            false
        );
    }
);

storage_test!(
    /// Group Push: create, link by displayName, membership add+remove in one PATCH, rename
    /// with the group id in the value, "Push now" with an empty member list, delete.
    async fn okta_group_push(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let (a, b) = (
            scim.create_user("a@acme.example").await,
            scim.create_user("b@acme.example").await,
        );

        let group = scim
            .post("/Groups", fixture("okta/group_create.json"))
            .await;
        let gid = group.expect(201)["id"].as_str().unwrap().to_owned();
        let linked = scim
            .get(&format!(
                "/Groups?filter={}&startIndex=1&count=100",
                urlencode("displayName eq \"Billing Desk\"")
            ))
            .await;
        assert_eq!(linked.expect(200)["Resources"][0]["id"], gid);

        let add_a = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": a}]}]});
        scim.patch(&format!("/Groups/{gid}"), add_a)
            .await
            .expect(200);
        let swap = scim
            .patch(
                &format!("/Groups/{gid}"),
                filled(
                    "okta/group_membership.json",
                    &[("REMOVE_ID", &a), ("ADD_ID", &b)],
                ),
            )
            .await;
        let members: Vec<_> = swap.expect(200)["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].clone())
            .collect();
        assert_eq!(members, vec![json!(b)]);
        // The user side shows the membership.
        assert_eq!(
            scim.get(&format!("/Users/{b}")).await.expect(200)["groups"][0]["value"],
            gid
        );

        let renamed = scim
            .patch(
                &format!("/Groups/{gid}"),
                filled("okta/group_rename.json", &[("GROUP_ID", &gid)]),
            )
            .await;
        assert_eq!(renamed.expect(200)["displayName"], "Billing Desk East");
        // Okta sends the rename again with every membership update: a no-op.
        let again = scim
            .patch(
                &format!("/Groups/{gid}"),
                filled("okta/group_rename.json", &[("GROUP_ID", &gid)]),
            )
            .await;
        assert_eq!(
            again.expect(200)["meta"]["version"],
            renamed.body["meta"]["version"]
        );
        // A different id in the value is refused.
        let wrong = scim
            .patch(
                &format!("/Groups/{gid}"),
                filled("okta/group_rename.json", &[("GROUP_ID", &a)]),
            )
            .await;
        assert_eq!(wrong.expect(400)["scimType"], "mutability");

        let emptied = scim
            .patch(
                &format!("/Groups/{gid}"),
                fixture("okta/group_push_replace.json"),
            )
            .await;
        assert!(emptied.expect(200).get("members").is_none());
        scim.delete(&format!("/Groups/{gid}")).await.expect(204);
        scim.get(&format!("/Groups/{gid}")).await.expect(404);
    }
);

storage_test!(
    /// Test Connection with a random GUID, the joiner POST with nulls, capitalised ops, a work
    /// e-mail upsert, the flag-style value map, and "False".
    async fn entra_user_lifecycle(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let random = uuid::Uuid::new_v4();
        let probe = scim
            .find("/Users", &format!("userName eq \"{random}\""))
            .await;
        assert_eq!(probe.expect(200)["totalResults"], 0);
        assert_eq!(probe.body["Resources"], json!([]));

        let name = "kofi.mensah@acme.example";
        let created = scim
            .post(
                "/Users",
                filled("entra/create_user.json", &[("USER_NAME", name)]),
            )
            .await;
        let user = created.expect(201).clone();
        let id = user["id"].as_str().unwrap().to_owned();
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        assert_eq!(
            user["schemas"],
            json!(["urn:ietf:params:scim:schemas:core:2.0:User", ext])
        );
        assert_eq!(user[ext]["department"], "Patient Access");
        assert!(user.get("addresses").is_none() && user.get("roles").is_none());
        assert!(user[ext].get("manager").is_none());
        assert_eq!(
            scim.filter_users("externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\"")
                .await,
            vec![id.clone()]
        );
        assert_eq!(
            scim.filter_users(&format!(
                "emails[type eq \"work\"].value eq \"{}\"",
                name.to_uppercase()
            ))
            .await,
            vec![id.clone()]
        );

        let updated = scim
            .patch(
                &format!("/Users/{id}"),
                filled(
                    "entra/update_user.json",
                    &[("NEW_EMAIL", "kofi@acme.example")],
                ),
            )
            .await;
        let body = updated.expect(200);
        assert_eq!(
            body["emails"],
            json!([{"primary": true, "type": "work", "value": "kofi@acme.example"}])
        );
        assert_eq!(body["name"]["familyName"], "Mensah-Owusu");
        assert_eq!(body[ext]["employeeNumber"], "5520");
        assert_eq!(body["title"], "Billing Lead");

        let flagged = scim
            .patch(&format!("/Users/{id}"), fixture("entra/update_flag.json"))
            .await;
        let body = flagged.expect(200);
        assert_eq!(body["displayName"], "Kofi A. Mensah");
        assert_eq!(body["name"]["givenName"], "Kofi Ato");
        assert_eq!(
            body["name"]["familyName"], "Mensah-Owusu",
            "other name parts stay"
        );
        assert_eq!(body[ext]["department"], "Revenue Cycle");

        let disabled = scim
            .patch(&format!("/Users/{id}"), fixture("entra/disable.json"))
            .await;
        assert_eq!(disabled.expect(200)["active"], false);
        for value in ["false", "True"] {
            let op = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "REPLACE", "path": "active", "value": value}]});
            let response = scim.patch(&format!("/Users/{id}"), op).await;
            assert_eq!(
                response.expect(200)["active"],
                value.eq_ignore_ascii_case("true")
            );
        }
    }
);

storage_test!(
    /// A work e-mail replace on a user without one creates it (Entra expects success).
    async fn entra_work_email_upsert(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let id = scim.create_user("no-email@acme.example").await;
        let upsert = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@acme.example"}]});
        let body = scim
            .patch(&format!("/Users/{id}"), upsert)
            .await
            .expect(200)
            .clone();
        assert_eq!(
            body["emails"],
            json!([{"type": "work", "value": "new@acme.example"}])
        );
    }
);

storage_test!(
    /// Manager: add as a bare id, replace as an object, clear with "": dangling ids allowed.
    async fn entra_manager_sequence(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let id = scim.create_user("report@acme.example").await;
        let boss = scim.create_user("boss@acme.example").await;
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

        let added = scim
            .patch(
                &format!("/Users/{id}"),
                filled("entra/manager_add.json", &[("MANAGER", &boss)]),
            )
            .await;
        assert_eq!(added.expect(200)[ext]["manager"], json!({"value": boss}));
        let dangling = uuid::Uuid::new_v4().to_string();
        let replaced = scim
            .patch(
                &format!("/Users/{id}"),
                filled("entra/manager_replace.json", &[("MANAGER", &dangling)]),
            )
            .await;
        assert_eq!(replaced.expect(200)[ext]["manager"]["value"], dangling);
        assert_eq!(
            scim.filter_users(&format!("{ext}:manager.value eq \"{dangling}\""))
                .await,
            vec![id.clone()]
        );
        let cleared = scim
            .patch(&format!("/Users/{id}"), fixture("entra/manager_clear.json"))
            .await;
        assert!(cleared.expect(200).get(ext).is_none(), "{}", cleared.body);

        // Old Entra: the unprefixed `manager` path (Example 5), and the `manager eq` shorthand
        // Entra uses to check the current manager.
        let unprefixed = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Add", "path": "manager", "value": [{"$ref": null, "value": boss}]}]});
        scim.patch(&format!("/Users/{id}"), unprefixed)
            .await
            .expect(200);
        assert_eq!(
            scim.filter_users(&format!("id eq \"{id}\" and manager eq \"{boss}\""))
                .await,
            vec![id.clone()]
        );
        // The other shapes: an array with one object, and a string in a POST.
        let array = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": format!("{ext}:manager"), "value": [{"value": boss}]}]});
        assert_eq!(
            scim.patch(&format!("/Users/{id}"), array).await.expect(200)[ext]["manager"]["value"],
            boss
        );
        let posted = scim
            .post(
                "/Users",
                json!({"userName": "other@acme.example", ext: {"manager": boss}}),
            )
            .await;
        assert_eq!(posted.expect(201)[ext]["manager"], json!({"value": boss}));
    }
);

storage_test!(
    /// Group provisioning: create, add several members, legacy remove with a value list
    /// removes only those, GET with excludedAttributes=members.
    async fn entra_groups(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let a = scim.create_user("a@acme.example").await;
        let b = scim.create_user("b@acme.example").await;
        let c = scim.create_user("c@acme.example").await;
        let gid = scim
            .post("/Groups", fixture("entra/group_create.json"))
            .await
            .expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned();

        scim.patch(
            &format!("/Groups/{gid}"),
            filled(
                "entra/group_add_members.json",
                &[("A", &a), ("B", &b), ("C", &c)],
            ),
        )
        .await
        .expect(200);
        let removed = scim
            .patch(
                &format!("/Groups/{gid}"),
                filled("entra/group_remove_members_legacy.json", &[("B", &b)]),
            )
            .await;
        let mut members: Vec<String> = removed.expect(200)["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap().to_owned())
            .collect();
        members.sort();
        let mut expected = vec![a.clone(), c.clone()];
        expected.sort();
        assert_eq!(members, expected, "only the listed member is removed");

        let slim = scim
            .get(&format!("/Groups/{gid}?excludedAttributes=members"))
            .await;
        assert!(slim.expect(200).get("members").is_none());
        assert_eq!(slim.body["displayName"], "Revenue Cycle");
        let listed = scim
            .get(&format!(
                "/Groups?excludedAttributes=members&filter={}",
                urlencode("displayName eq \"revenue cycle\"")
            ))
            .await;
        assert_eq!(listed.expect(200)["totalResults"], 1);
        assert!(listed.body["Resources"][0].get("members").is_none());
        // Group displayName is unique per practice.
        assert_eq!(
            scim.post("/Groups", fixture("entra/group_create.json"))
                .await
                .expect(409)["scimType"],
            "uniqueness"
        );
    }
);

storage_test!(
    /// SCIM_User_Pagination_Test: 11 users, count=5, startIndex honoured on every page.
    async fn entra_pagination(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let mut ids = Vec::new();
        for i in 0..11 {
            ids.push(scim.create_user(&format!("user{i:02}@acme.example")).await);
        }
        let mut seen = Vec::new();
        for start in [1, 6, 11] {
            let page = scim
                .get(&format!("/Users?startIndex={start}&count=5"))
                .await;
            let body = page.expect(200);
            assert_eq!(body["startIndex"], start);
            assert_eq!(body["totalResults"], 11);
            let items = body["Resources"].as_array().unwrap();
            assert_eq!(body["itemsPerPage"], items.len());
            seen.extend(items.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        }
        assert_eq!(seen, ids, "stable order, every user exactly once");
        let beyond = scim.get("/Users?startIndex=50&count=5").await;
        assert_eq!(beyond.expect(200)["Resources"], json!([]));
        // count=0 gives the total only; startIndex below 1 means 1; negative count means 0.
        assert_eq!(
            scim.get("/Users?count=0").await.expect(200)["totalResults"],
            11
        );
        assert_eq!(
            scim.get("/Users?startIndex=0&count=1").await.expect(200)["Resources"][0]["id"],
            ids[0]
        );
        assert_eq!(
            scim.get("/Users?count=-3").await.expect(200)["itemsPerPage"],
            0
        );
        assert_eq!(
            scim.get("/Users?count=many").await.expect(400)["scimType"],
            "invalidValue"
        );
    }
);

storage_test!(
    /// SCIM_Null_Update_Test: "" then null clear attributes.
    async fn empty_string_and_null_clear(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let id = scim.create_user("clear@acme.example").await;
        for value in [
            json!("Charge Nurse"),
            json!(""),
            json!("Charge Nurse"),
            json!(null),
        ] {
            let op = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "title", "value": value.clone()}]});
            let body = scim
                .patch(&format!("/Users/{id}"), op)
                .await
                .expect(200)
                .clone();
            let read = scim.get(&format!("/Users/{id}")).await.expect(200).clone();
            if value.as_str().is_some_and(|s| !s.is_empty()) {
                assert_eq!(read["title"], value);
            } else {
                assert!(
                    body.get("title").is_none() && read.get("title").is_none(),
                    "{value} clears"
                );
            }
        }
    }
);

storage_test!(
    /// DELETE answers 204, then 404; the userName is free for a new POST.
    async fn delete_then_recreate(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let id = scim.create_user("gone@acme.example").await;
        scim.delete(&format!("/Users/{id}")).await.expect(204);
        scim.get(&format!("/Users/{id}")).await.expect(404);
        scim.delete(&format!("/Users/{id}")).await.expect(404);
        scim.patch(&format!("/Users/{id}"), fixture("okta/deactivate.json"))
            .await
            .expect(404);
        assert!(
            scim.filter_users("userName eq \"gone@acme.example\"")
                .await
                .is_empty()
        );
        let again = scim.create_user("GONE@acme.example").await;
        assert_ne!(again, id);
    }
);

storage_test!(
    /// RFC 7643 §8.2's full user: stored attributes round-trip, the rest (ims, photos,
    /// x509Certificates, password, groups, id, meta) are ignored.
    async fn rfc_full_user_round_trips(backend: Backend) {
        let app = spawn_app(&backend).await;
        let scim = app.scim_client("acme").await;
        let sent = filled(
            "rfc/user_full.json",
            &[("USER_NAME", "bjensen@example.com")],
        );
        let created = scim.post("/Users", sent.clone()).await;
        let body = created.expect(201).clone();
        assert_ne!(body["id"], sent["id"], "id is ours");
        for key in [
            "name",
            "displayName",
            "nickName",
            "profileUrl",
            "emails",
            "addresses",
            "phoneNumbers",
            "userType",
            "title",
            "preferredLanguage",
            "locale",
            "timezone",
            "externalId",
        ] {
            assert_eq!(body[key], sent[key], "{key}");
        }
        for key in ["ims", "photos", "x509Certificates", "password", "groups"] {
            assert!(body.get(key).is_none(), "{key} is not kept");
        }
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        assert_eq!(body[ext]["costCenter"], "4130");
        assert_eq!(
            body[ext]["manager"],
            json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d", "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d"})
        );
        assert_ne!(body["meta"]["created"], sent["meta"]["created"]);
    }
);
