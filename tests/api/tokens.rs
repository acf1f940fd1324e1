//! API tokens: authentication, scopes, revocation, expiry, tenancy, storage at rest.

use chrono::Duration;
use serde_json::Value;

use crate::helpers::{
    Backend, NowUtc, assert_problem, assert_scim_error, spawn_app, spawn_app_with,
    status_within_auth_ttl, storage_test,
};

storage_test!(
    async fn whoami_names_the_tokens_practice_and_scopes(backend: Backend) {
        let app = spawn_app(&backend).await;
        let practice = app.practice("acme").await;
        let token = app.token(&practice, "scim,admin:read").await;

        let response = app.get("/api/v1/whoami", &token).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["practice"]["slug"], "acme");
        assert_eq!(body["practice"]["id"], practice.id.to_string());
        assert_eq!(body["scopes"], serde_json::json!(["scim", "admin:read"]));
        assert_eq!(body["credential"]["kind"], "api_token");
        assert_eq!(body["credential"]["name"], "test scim,admin:read");
    }
);

storage_test!(
    async fn missing_malformed_and_wrong_tokens_get_401(backend: Backend) {
        let app = spawn_app(&backend).await;
        let practice = app.practice("acme").await;
        let token = app.token(&practice, "scim,admin:read").await;
        // Same id, different secret: must not authenticate.
        let (id_part, secret) = token.rsplit_once('_').unwrap();
        let flipped = if secret.starts_with('0') { "1" } else { "0" };
        let forged = format!("{id_part}_{flipped}{}", &secret[1..]);
        let unknown_id = format!("pcl_{}_{secret}", uuid::Uuid::now_v7().simple());

        for bad in [
            forged.as_str(),
            unknown_id.as_str(),
            "pcl_nonsense",
            "garbage",
            "a.b.c",
        ] {
            let api = app.get("/api/v1/whoami", bad).await;
            assert_eq!(
                api.headers()["www-authenticate"],
                "Bearer realm=\"Portcullis\""
            );
            assert_problem(api, 401).await;
            let scim = app.get("/scim/v2/Users", bad).await;
            assert_eq!(scim.headers()["www-authenticate"], "Bearer realm=\"SCIM\"");
            assert_scim_error(scim, 401).await;
        }
        // No header at all, and the wrong scheme (Okta's SPEC test sends `non-token`).
        let none = app
            .client
            .get(app.url("/scim/v2/Users"))
            .send()
            .await
            .unwrap();
        assert_scim_error(none, 401).await;
        for header in ["non-token", &format!("Basic {token}"), "Bearer "] {
            let response = app
                .client
                .get(app.url("/api/v1/whoami"))
                .header("Authorization", header)
                .send()
                .await
                .unwrap();
            assert_problem(response, 401).await;
        }
    }
);

storage_test!(
    async fn revoked_tokens_stop_working_at_once(backend: Backend) {
        let app = spawn_app(&backend).await;
        let practice = app.practice("acme").await;
        let token = app.token(&practice, "admin:read").await;
        assert_eq!(app.get("/api/v1/whoami", &token).await.status(), 200);

        // Revoked through the serving process: its credential cache forgets the token at once.
        let id = app.store.tenant(practice.id).list_tokens().await.unwrap()[0].id;
        let revoked = app
            .state
            .store
            .revoke_token(id, app.clock.now_utc())
            .await
            .unwrap();
        assert_eq!(revoked.revoked_at, Some(app.clock.now_utc()));

        let body = assert_problem(app.get("/api/v1/whoami", &token).await, 401).await;
        assert_eq!(body["detail"], "this token has been revoked");
    }
);

storage_test!(
    async fn revoked_elsewhere_stops_within_the_cache_lifetime(backend: Backend) {
        let app = spawn_app(&backend).await;
        let practice = app.practice("acme").await;
        let token = app.token(&practice, "admin:read").await;
        assert_eq!(app.get("/api/v1/whoami", &token).await.status(), 200);
        // Cached now: the next request does not read the token again.
        assert_eq!(app.get("/api/v1/whoami", &token).await.status(), 200);

        // `app.store` is a second pool, as the CLI or another instance would be.
        let id = app.store.tenant(practice.id).list_tokens().await.unwrap()[0].id;
        app.store
            .revoke_token(id, app.clock.now_utc())
            .await
            .unwrap();
        let whoami = || async { app.get("/api/v1/whoami", &token).await.status().as_u16() };
        assert_eq!(status_within_auth_ttl(401, whoami).await, 401);

        // With the cache off, revocation from anywhere is seen by the very next request.
        let uncached = spawn_app_with(&backend, |s| {
            s.auth_cache_ttl = std::time::Duration::ZERO;
        })
        .await;
        let practice = uncached.practice("acme").await;
        let token = uncached.token(&practice, "admin:read").await;
        assert_eq!(uncached.get("/api/v1/whoami", &token).await.status(), 200);
        let id = uncached
            .store
            .tenant(practice.id)
            .list_tokens()
            .await
            .unwrap()[0]
            .id;
        uncached
            .store
            .revoke_token(id, uncached.clock.now_utc())
            .await
            .unwrap();
        assert_problem(uncached.get("/api/v1/whoami", &token).await, 401).await;
    }
);

storage_test!(
    async fn expired_tokens_get_401(backend: Backend) {
        let app = spawn_app(&backend).await;
        let practice = app.practice("acme").await;
        let expires = app.clock.now_utc() + Duration::hours(1);
        let token = app
            .token_expiring(&practice, "admin:read", Some(expires))
            .await;
        assert_eq!(app.get("/api/v1/whoami", &token).await.status(), 200);

        app.clock.advance(Duration::hours(1));
        let body = assert_problem(app.get("/api/v1/whoami", &token).await, 401).await;
        assert_eq!(body["detail"], "this token has expired");
    }
);

storage_test!(
    async fn scopes_decide_what_a_token_may_call(backend: Backend) {
        let app = spawn_app(&backend).await;
        let practice = app.practice("acme").await;
        let scim_only = app.token(&practice, "scim").await;
        let read_only = app.token(&practice, "admin:read").await;

        // whoami answers any valid credential.
        assert_eq!(app.get("/api/v1/whoami", &scim_only).await.status(), 200);
        // The SCIM scope is needed under /scim/v2, in SCIM's error format.
        let body = assert_scim_error(app.get("/scim/v2/Users", &read_only).await, 403).await;
        assert!(body["detail"].as_str().unwrap().contains("`scim` scope"));
        // A SCIM token reaches SCIM routing (nothing there yet: 404, not 401/403).
        assert_scim_error(app.get("/scim/v2/NoSuchThing", &scim_only).await, 404).await;
        // Admin API reads need admin:read; writes need admin:write.
        assert_problem(app.get("/api/v1/tasks", &scim_only).await, 403).await;
        let write = app
            .client
            .post(app.url("/api/v1/tasks"))
            .bearer_auth(&read_only)
            .send()
            .await
            .unwrap();
        let body = assert_problem(write, 403).await;
        assert!(body["detail"].as_str().unwrap().contains("admin:write"));
    }
);

storage_test!(
    async fn a_token_only_ever_sees_its_own_practice(backend: Backend) {
        let app = spawn_app(&backend).await;
        let a = app.practice("practice-a").await;
        let b = app.practice("practice-b").await;
        let token_a = app.token(&a, "admin:read").await;
        let token_b = app.token(&b, "admin:read,scim").await;

        let who_a: Value = app
            .get("/api/v1/whoami", &token_a)
            .await
            .json()
            .await
            .unwrap();
        let who_b: Value = app
            .get("/api/v1/whoami", &token_b)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(who_a["practice"]["slug"], "practice-a");
        assert_eq!(who_b["practice"]["slug"], "practice-b");

        // The store scopes by practice: A's view holds A's token and nothing of B's.
        let tokens_a = app.store.tenant(a.id).list_tokens().await.unwrap();
        let tokens_b = app.store.tenant(b.id).list_tokens().await.unwrap();
        assert_eq!(tokens_a.len(), 1);
        assert_eq!(tokens_b.len(), 1);
        assert!(tokens_a.iter().all(|t| t.practice_id == a.id));
        assert!(tokens_b.iter().all(|t| t.practice_id == b.id));
        assert_eq!(tokens_a[0].name, "test admin:read");
    }
);

storage_test!(
    async fn last_use_is_recorded_at_most_once_a_minute(backend: Backend) {
        let app = spawn_app(&backend).await;
        let practice = app.practice("acme").await;
        let token = app.token(&practice, "admin:read").await;
        let last_used =
            || async { app.store.tenant(practice.id).list_tokens().await.unwrap()[0].last_used_at };
        assert_eq!(last_used().await, None);

        let first = app.clock.now_utc();
        app.get("/api/v1/whoami", &token).await;
        assert_eq!(last_used().await, Some(first));

        app.clock.advance(Duration::seconds(30));
        app.get("/api/v1/whoami", &token).await;
        assert_eq!(last_used().await, Some(first), "no write within the minute");

        app.clock.advance(Duration::seconds(31));
        app.get("/api/v1/whoami", &token).await;
        assert_eq!(last_used().await, Some(app.clock.now_utc()));
    }
);

/// Only a hash is kept: the secret is nowhere in the database file or its WAL.
#[tokio::test]
async fn secrets_are_not_stored_in_clear() {
    let app = spawn_app(&Backend::Sqlite).await;
    let practice = app.practice("acme").await;
    let token = app.token(&practice, "scim").await;
    let secret = token.rsplit_once('_').unwrap().1;

    let stored = &app.store.tenant(practice.id).list_tokens().await.unwrap()[0];
    assert_eq!(stored.secret_sha256.len(), 32);
    let mut found = false;
    for entry in std::fs::read_dir(app.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        found |= bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
    }
    assert!(!found, "the token secret must not be written to disk");
}
