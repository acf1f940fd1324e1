//! Health, readiness, metrics and request ids.

use serde_json::Value;

use crate::helpers::{Backend, assert_problem, spawn_app, spawn_app_with, storage_test};

const METRICS_TOKEN: &str = "a-metrics-token-for-tests";

storage_test!(
    async fn health_and_readiness_answer_without_credentials(backend: Backend) {
        let app = spawn_app(&backend).await;
        for path in ["/healthz", "/readyz"] {
            let response = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["status"], "ok");
        }
    }
);

/// Readiness reports the database going away; liveness does not.
#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(&backend).await;
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let url = &app.settings.database_url;
    let (server, name) = url.rsplit_once('/').unwrap();
    let admin = sea_orm::Database::connect(format!("{server}/postgres"))
        .await
        .unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(
        &admin,
        &format!("DROP DATABASE \"{name}\" WITH (FORCE)"),
    )
    .await
    .unwrap();

    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert!(ready.headers().contains_key("retry-after"));
    let body = assert_problem(ready, 503).await;
    assert!(
        !body["detail"].as_str().unwrap().contains("postgres"),
        "no internals: {body}"
    );
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app(&Backend::Sqlite).await;
    let ok = app.client.get(app.url("/healthz")).send().await.unwrap();
    let missing = app.client.get(app.url("/nope")).send().await.unwrap();
    let unauthorized = app
        .client
        .get(app.url("/scim/v2/Users"))
        .send()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for response in [ok, missing, unauthorized] {
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "each request gets its own id");

    // A well-formed incoming id is kept (it ties our log to the caller's); others are replaced.
    let kept = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "okta-req-1234")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "okta-req-1234");
    let replaced = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(replaced.headers()["x-request-id"], "bad id with spaces");
}

#[tokio::test]
async fn metrics_need_the_metrics_token_and_count_requests_by_route() {
    let app = spawn_app_with(&Backend::Sqlite, |s| {
        s.metrics_token = Some(METRICS_TOKEN.into());
    })
    .await;
    app.client.get(app.url("/healthz")).send().await.unwrap();
    app.client.get(app.url("/healthz")).send().await.unwrap();
    app.client
        .get(app.url("/scim/v2/Users"))
        .send()
        .await
        .unwrap();

    assert_problem(
        app.client.get(app.url("/metrics")).send().await.unwrap(),
        401,
    )
    .await;
    assert_problem(app.get("/metrics", "not-the-metrics-token").await, 401).await;

    let response = app.get("/metrics", METRICS_TOKEN).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            r#"portcullis_http_requests_total{method="GET",route="/healthz",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"status="401""#), "{text}");
    assert!(
        text.contains("portcullis_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"));
}

#[tokio::test]
async fn metrics_are_off_without_a_token() {
    let app = spawn_app(&Backend::Sqlite).await;
    let body = assert_problem(
        app.client.get(app.url("/metrics")).send().await.unwrap(),
        404,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("PORTCULLIS_METRICS_TOKEN")
    );
}
