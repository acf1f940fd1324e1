//! HTTPS served directly (SCIM.md T1: identity providers only call HTTPS, TLS 1.2+).

use portcullis::config::TlsSettings;
use serde_json::Value;

use crate::helpers::{Backend, spawn_app_with};

fn fixture_path(name: &str) -> std::path::PathBuf {
    format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR")).into()
}

#[tokio::test]
async fn serves_https_when_a_certificate_is_configured() {
    let app = spawn_app_with(&Backend::Sqlite, |s| {
        s.tls = Some(TlsSettings {
            cert_file: fixture_path("cert.pem"),
            key_file: fixture_path("key.pem"),
        });
    })
    .await;
    let practice = app.practice("acme").await;
    let token = app.token(&practice, "scim").await;
    let port = app.address.rsplit(':').next().unwrap();

    let cert =
        reqwest::Certificate::from_pem(&std::fs::read(fixture_path("ca.pem")).unwrap()).unwrap();
    let https = reqwest::Client::builder()
        .tls_certs_only([cert])
        .build()
        .unwrap();
    let created: Value = https
        .post(format!("https://localhost:{port}/scim/v2/Users"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "tls@acme.example"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        created["meta"]["location"]
            .as_str()
            .unwrap()
            .starts_with("https://127.0.0.1:"),
        "{created}"
    );

    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = app
        .client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

#[test]
fn a_missing_certificate_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/p.db?mode=rwc", dir.path().display());
    let output = crate::cli::portcullis(dir.path(), &db)
        .env("PORTCULLIS_TLS__CERT_FILE", "/nonexistent/cert.pem")
        .env("PORTCULLIS_TLS__KEY_FILE", "/nonexistent/key.pem")
        .env("PORTCULLIS_LISTEN", "127.0.0.1:0")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("setting `tls`") && stderr.contains("cert_file"),
        "{stderr}"
    );
}
