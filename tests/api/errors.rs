//! Every error answers in its protocol's format: SCIM error schema under /scim/v2,
//! problem+json elsewhere. Never actix's default text or HTML.

use crate::helpers::{
    Backend, assert_problem, assert_scim_error, spawn_app, spawn_app_with, storage_test,
};

storage_test!(
    async fn unknown_paths_get_404_in_the_protocols_format(backend: Backend) {
        let app = spawn_app(&backend).await;
        let practice = app.practice("acme").await;
        let token = app.token(&practice, "scim,admin:read").await;

        assert_scim_error(app.get("/scim/v2/NoSuchEndpoint", &token).await, 404).await;
        assert_scim_error(app.get("/scim/v2/Users/x/y/z", &token).await, 404).await;
        assert_problem(app.get("/api/v1/no-such-thing", &token).await, 404).await;
        let root = app
            .client
            .get(app.url("/no/such/page"))
            .send()
            .await
            .unwrap();
        assert_problem(root, 404).await;
    }
);

storage_test!(
    async fn wrong_methods_get_405_with_allow(backend: Backend) {
        let app = spawn_app(&backend).await;
        let practice = app.practice("acme").await;
        let token = app.token(&practice, "scim,admin:read,admin:write").await;

        let health = app.client.post(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.headers()["allow"], "GET, HEAD");
        assert_problem(health, 405).await;

        let whoami = app
            .client
            .delete(app.url("/api/v1/whoami"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(whoami.headers()["allow"], "GET, HEAD");
        assert_problem(whoami, 405).await;
    }
);

storage_test!(
    async fn oversized_bodies_get_413(backend: Backend) {
        let app = spawn_app_with(&backend, |s| s.body_limit_bytes = 64 * 1024).await;
        let practice = app.practice("acme").await;
        let token = app.token(&practice, "scim,admin:write").await;
        let big = vec![b'x'; 64 * 1024 + 1];

        let scim = app
            .client
            .post(app.url("/scim/v2/Users"))
            .bearer_auth(&token)
            .header("Content-Type", "application/scim+json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        let body = assert_scim_error(scim, 413).await;
        assert!(body["detail"].as_str().unwrap().contains("65536"));

        let api = app
            .client
            .post(app.url("/api/v1/whoami"))
            .bearer_auth(&token)
            .body(big)
            .send()
            .await
            .unwrap();
        assert_problem(api, 413).await;
    }
);

/// The default limit is 1 MiB.
#[tokio::test]
async fn the_default_body_limit_is_one_mebibyte() {
    let app = spawn_app(&Backend::Sqlite).await;
    let just_over = app
        .client
        .post(app.url("/healthz"))
        .body(vec![b'x'; 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_problem(just_over, 413).await;
    let at_limit = app
        .client
        .post(app.url("/healthz"))
        .body(vec![b'x'; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_problem(at_limit, 405).await;
}

/// Problem bodies carry the request id, so a user can quote it.
#[tokio::test]
async fn problem_bodies_carry_the_request_id() {
    let app = spawn_app(&Backend::Sqlite).await;
    let response = app.client.get(app.url("/nowhere")).send().await.unwrap();
    let header = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = assert_problem(response, 404).await;
    assert_eq!(body["request_id"], header);
}

storage_test!(
    /// Issue 14, defects 3 and 4: an instant PostgreSQL cannot hold is a 400 naming its
    /// parameter on both backends (it was a 500 on PostgreSQL), and the audit export refuses it
    /// before the first byte instead of stopping mid-stream.
    async fn out_of_range_instants_are_refused_naming_the_parameter(backend: Backend) {
        let app = spawn_app(&backend).await;
        let practice = app.practice("acme").await;
        let token = app.token(&practice, "admin:read").await;
        let id = "0190a1b2-0000-7000-8000-000000000001";
        for (path, parameter) in [
            (
                format!("/api/v1/tasks?cursor=-300000000000000000.{id}"),
                "cursor",
            ),
            (
                "/api/v1/audit?from=-5000-01-01T00:00:00Z".to_owned(),
                "from",
            ),
            ("/api/v1/audit?to=-5000-01-01T00:00:00Z".to_owned(), "to"),
            (
                "/api/v1/audit/export?from=-5000-01-01T00:00:00Z".to_owned(),
                "from",
            ),
            (
                "/api/v1/audit/export?format=csv&to=-5000-01-01T00:00:00Z".to_owned(),
                "to",
            ),
            (
                "/api/v1/reports/leavers?from=-5000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"
                    .to_owned(),
                "from",
            ),
            (
                "/api/v1/reports/leavers?from=2026-01-01T00:00:00Z&to=-5000-01-01T00:00:00Z"
                    .to_owned(),
                "to",
            ),
        ] {
            let body = assert_problem(app.get(&path, &token).await, 400).await;
            let detail = body["detail"].as_str().unwrap();
            assert!(
                detail.contains(&format!("`{parameter}`")),
                "{path}: {detail}"
            );
        }
        // In range, the same requests answer.
        let ok = app
            .get("/api/v1/audit/export?from=2020-01-01T00:00:00Z", &token)
            .await;
        assert_eq!(ok.status(), 200);
    }
);

storage_test!(
    /// Issue 14, defect 7: every field has a size that fits it, refused with a problem naming
    /// it (422), and headers have one too (431); the limits are in openapi.yaml.
    async fn oversized_fields_and_headers_are_refused(backend: Backend) {
        let p = crate::lifecycle::Practice::new(spawn_app(&backend).await, "acme").await;
        let huge = "a".repeat(100 * 1024);
        let (status, problem) = p
            .post(
                "/api/v1/webhooks",
                serde_json::json!({"name": "big", "url": format!("https://example.com/{huge}")}),
            )
            .await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("`url`"));

        let (status, problem) = p
            .put(
                "/api/v1/policy",
                serde_json::json!({"rules": [{"name": "n".repeat(900 * 1024 / 2),
                    "grant": {"availity-essentials": ["eligibility-benefits"]}}]}),
            )
            .await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("rule name"));
        assert_eq!(p.get("/api/v1/policy").await.1["version"], 1);

        let person = p.hire("size@acme.example", "Front Desk").await;
        let task = p.tasks(&person, "open").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, problem) = p
            .post(
                &format!("/api/v1/tasks/{task}/complete"),
                serde_json::json!({"confirmation_number": "c".repeat(201)}),
            )
            .await;
        assert_eq!(status, 422, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("confirmation_number")
        );
        assert_eq!(
            p.get(&format!("/api/v1/tasks/{task}")).await.1["state"],
            "open"
        );

        let response = p
            .app
            .client
            .get(p.app.url("/api/v1/tasks"))
            .bearer_auth(&p.admin)
            .header("X-Padding", huge.as_str())
            .send()
            .await
            .unwrap();
        assert_problem(response, 431).await;

        let spec = std::fs::read_to_string(format!("{}/openapi.yaml", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
        for stated in ["maxLength: 2048", "maxLength: 200", "maxItems: 500", "431"] {
            assert!(spec.contains(stated), "openapi.yaml states {stated}");
        }
    }
);
