//! Named administrators: roles decide what their tokens may do; every write names them.

use serde_json::{Value, json};

use crate::cli::{portcullis, run};
use crate::helpers::{spawn_app, status_within_auth_ttl, storage_test};
use crate::lifecycle::Practice;

/// `portcullis admin create` + `token create --admin`, against the app's database.
fn admin_token(p: &Practice, practice: &str, email: &str, role: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let db = &p.app.settings.database_url;
    run(portcullis(dir.path(), db).args([
        "admin",
        "create",
        "--practice",
        practice,
        "--email",
        email,
        "--name",
        &email[..email.find('@').unwrap()],
        "--role",
        role,
    ]));
    let out = run(portcullis(dir.path(), db).args([
        "token",
        "create",
        "--practice",
        practice,
        "--admin",
        email,
    ]));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned()
}

/// One admin-API request with `token`: its status and JSON body (null when none).
pub(crate) async fn call(
    p: &Practice,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = p
        .app
        .client
        .request(method, p.app.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

storage_test!(
    async fn roles_decide_what_administrators_may_do(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let dana = admin_token(&p, "acme", "dana@acme.example", "portal_admin");
        let mia = admin_token(&p, "acme", "mia@acme.example", "manager");
        let ari = admin_token(&p, "acme", "ari@acme.example", "auditor");
        let person = p.hire("new@acme.example", "Front Desk").await;
        let task = p.tasks(&person, "open").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        use reqwest::Method;

        let (_, who) = call(&p, &ari, Method::GET, "/api/v1/whoami", None).await;
        assert_eq!(who["admin"]["role"], "auditor");
        assert_eq!(who["scopes"], json!(["admin:read"]));
        // The auditor reads everything and changes nothing.
        assert_eq!(
            call(&p, &ari, Method::GET, "/api/v1/tasks", None).await.0,
            200
        );
        assert_eq!(
            call(&p, &ari, Method::GET, "/api/v1/audit/verify", None)
                .await
                .0,
            200
        );
        assert_eq!(
            call(
                &p,
                &ari,
                Method::POST,
                &format!("/api/v1/tasks/{task}/complete"),
                None
            )
            .await
            .0,
            403
        );
        // The manager oversees: reassign yes, complete no, policy no.
        assert_eq!(
            call(
                &p,
                &mia,
                Method::POST,
                &format!("/api/v1/tasks/{task}/reassign"),
                Some(json!({"assignee": "dana@acme.example"}))
            )
            .await
            .0,
            200
        );
        let (status, problem) = call(
            &p,
            &mia,
            Method::POST,
            &format!("/api/v1/tasks/{task}/complete"),
            None,
        )
        .await;
        assert_eq!(status, 403);
        assert!(problem["detail"].as_str().unwrap().contains("manager"));
        assert_eq!(
            call(
                &p,
                &mia,
                Method::PUT,
                "/api/v1/policy",
                Some(json!({"rules": []}))
            )
            .await
            .0,
            403
        );
        // The portal administrator works the queue, and the record names her.
        assert_eq!(
            call(
                &p,
                &dana,
                Method::POST,
                &format!("/api/v1/tasks/{task}/claim"),
                None
            )
            .await
            .0,
            200
        );
        let (status, done) = call(
            &p,
            &dana,
            Method::POST,
            &format!("/api/v1/tasks/{task}/complete"),
            Some(json!({"note": "ok"})),
        )
        .await;
        assert_eq!(status, 200, "{done}");
        let (_, audit) = call(
            &p,
            &ari,
            Method::GET,
            &format!("/api/v1/audit?target={task}&action=task.complete"),
            None,
        )
        .await;
        assert_eq!(
            audit["items"][0]["actor"],
            "admin dana <dana@acme.example> (portal_admin)"
        );

        // Administrators mint their own tokens, which carry their role; plain tokens cannot.
        let (status, minted) = call(
            &p,
            &ari,
            Method::POST,
            "/api/v1/me/tokens",
            Some(json!({"name": "laptop", "expires_in_days": 30})),
        )
        .await;
        assert_eq!(status, 201, "{minted}");
        let own = minted["token"].as_str().unwrap().to_owned();
        assert_eq!(
            call(&p, &own, Method::GET, "/api/v1/whoami", None).await.1["admin"]["email"],
            "ari@acme.example"
        );
        let practice = p.app.store.list_practices().await.unwrap().remove(0);
        let scope_only = p.app.token(&practice, "admin:read,admin:write").await;
        assert_eq!(
            call(
                &p,
                &scope_only,
                Method::POST,
                "/api/v1/me/tokens",
                Some(json!({}))
            )
            .await
            .0,
            403
        );

        // A role belongs to a practice: the same person may be an auditor elsewhere.
        p.app.practice("beta").await;
        let dana_beta = admin_token(&p, "beta", "dana@acme.example", "auditor");
        assert_eq!(
            call(
                &p,
                &dana_beta,
                Method::PUT,
                "/api/v1/settings/sla",
                Some(json!({}))
            )
            .await
            .0,
            403
        );
        assert_eq!(
            call(&p, &dana, Method::GET, "/api/v1/whoami", None).await.1["admin"]["role"],
            "portal_admin"
        );

        // Deactivating an administrator ends every token they hold: from the CLI (another
        // process), within the running server's authentication cache lifetime.
        let dir = tempfile::tempdir().unwrap();
        run(portcullis(dir.path(), &p.app.settings.database_url).args([
            "admin",
            "deactivate",
            "--email",
            "ari@acme.example",
        ]));
        for token in [&ari, &own] {
            let whoami = || async { call(&p, token, Method::GET, "/api/v1/whoami", None).await.0 };
            assert_eq!(status_within_auth_ttl(401, whoami).await, 401);
        }
    }
);
