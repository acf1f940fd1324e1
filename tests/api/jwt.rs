//! OAuth bearer JWTs: HS256 shared secrets and RS256/ES256 keys from a JWKS served on 127.0.0.1.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use portcullis::config::{IssuerConfig, Settings};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, NowUtc, TestApp, assert_problem, assert_scim_error, spawn_app_with, storage_test,
};

const HS_ISSUER: &str = "https://hr.example.test";
const HS_SECRET: &str = "an-hs256-secret-of-at-least-thirty-two-bytes";
const JWKS_ISSUER: &str = "https://sts.windows.net/test-tenant/";
/// Entra's audience for custom (non-gallery) SCIM apps.
const ENTRA_AUDIENCE: &str = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/jwt/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A JWKS endpoint whose key set a test can change (key rotation), counting fetches.
struct JwksServer {
    url: String,
    keys: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

impl JwksServer {
    fn start(keys: Value) -> Self {
        let keys = Arc::new(Mutex::new(keys));
        let fetches = Arc::new(AtomicUsize::new(0));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/keys", listener.local_addr().unwrap());
        let (served, counted) = (keys.clone(), fetches.clone());
        let server = HttpServer::new(move || {
            let (served, counted) = (served.clone(), counted.clone());
            App::new().route(
                "/keys",
                web::get().to(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let body = served.lock().unwrap().clone();
                    async move { HttpResponse::Ok().json(body) }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self { url, keys, fetches }
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

fn all_keys() -> Value {
    serde_json::from_slice(&fixture("jwks.json")).unwrap()
}

fn only_key(kid: &str) -> Value {
    let mut set = all_keys();
    set["keys"]
        .as_array_mut()
        .unwrap()
        .retain(|k| k["kid"] == kid);
    set
}

fn issuers(jwks_url: &str) -> Vec<IssuerConfig> {
    vec![
        IssuerConfig {
            issuer: HS_ISSUER.into(),
            audience: vec!["portcullis".into()],
            hs256_secret: Some(HS_SECRET.into()),
            jwks_url: None,
            practice: Some("acme".into()),
            practice_claim: None,
            practice_map: Default::default(),
            scopes: vec!["scim".into(), "admin:read".into()],
            scopes_claim: Some("scope".into()),
        },
        IssuerConfig {
            issuer: JWKS_ISSUER.into(),
            audience: vec![ENTRA_AUDIENCE.into()],
            hs256_secret: None,
            jwks_url: Some(jwks_url.into()),
            practice: None,
            practice_claim: Some("tid".into()),
            practice_map: [("test-tenant".to_owned(), "acme".to_owned())].into(),
            scopes: vec!["scim".into()],
            scopes_claim: None,
        },
    ]
}

async fn app_with_issuers(backend: &Backend, jwks: &JwksServer) -> TestApp {
    let url = jwks.url.clone();
    let app = spawn_app_with(backend, move |s: &mut Settings| {
        s.jwt.issuers = issuers(&url);
        s.jwt.jwks_min_refetch_interval = std::time::Duration::ZERO;
    })
    .await;
    app.practice("acme").await;
    app.practice("other").await;
    app
}

fn claims(app: &TestApp, iss: &str, aud: &str) -> Value {
    let now = app.clock.now_utc().timestamp();
    json!({"iss": iss, "aud": aud, "sub": "provisioning-agent", "iat": now, "exp": now + 3600,
           "tid": "test-tenant", "scope": "scim admin:read"})
}

fn sign_hs(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn sign_rs(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    let key = EncodingKey::from_rsa_pem(&fixture("rsa_private.pem")).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn sign_es(claims: &Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.into());
    let key = EncodingKey::from_ec_pem(&fixture("ec_private.pem")).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

storage_test!(
    async fn hs256_tokens_from_a_configured_issuer_are_accepted(backend: Backend) {
        let jwks = JwksServer::start(all_keys());
        let app = app_with_issuers(&backend, &jwks).await;
        let token = sign_hs(&claims(&app, HS_ISSUER, "portcullis"), HS_SECRET);

        let response = app.get("/api/v1/whoami", &token).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["practice"]["slug"], "acme");
        assert_eq!(body["credential"]["kind"], "jwt");
        assert_eq!(body["credential"]["issuer"], HS_ISSUER);
        assert_eq!(body["credential"]["subject"], "provisioning-agent");
        assert_eq!(body["scopes"], json!(["scim", "admin:read"]));
    }
);

storage_test!(
    async fn jwks_keys_verify_rs256_and_es256_and_are_cached(backend: Backend) {
        let jwks = JwksServer::start(all_keys());
        let app = app_with_issuers(&backend, &jwks).await;
        let claims = claims(&app, JWKS_ISSUER, ENTRA_AUDIENCE);

        for token in [
            sign_rs(&claims, "test-rsa-1"),
            sign_es(&claims, "test-ec-1"),
        ] {
            let response = app.get("/api/v1/whoami", &token).await;
            assert_eq!(response.status(), 200);
            let body: Value = response.json().await.unwrap();
            // The tenant claim is mapped to a practice by configuration.
            assert_eq!(body["practice"]["slug"], "acme");
            assert_eq!(body["scopes"], json!(["scim"]));
        }
        assert_eq!(jwks.fetches(), 1, "keys are fetched once and cached");
    }
);

storage_test!(
    async fn an_unknown_key_id_refetches_the_key_set(backend: Backend) {
        // The issuer starts with only its RSA key, then rotates in the EC key.
        let jwks = JwksServer::start(only_key("test-rsa-1"));
        let app = app_with_issuers(&backend, &jwks).await;
        let claims = claims(&app, JWKS_ISSUER, ENTRA_AUDIENCE);
        assert_eq!(
            app.get("/api/v1/whoami", &sign_rs(&claims, "test-rsa-1"))
                .await
                .status(),
            200
        );
        assert_eq!(jwks.fetches(), 1);

        *jwks.keys.lock().unwrap() = all_keys();
        assert_eq!(
            app.get("/api/v1/whoami", &sign_es(&claims, "test-ec-1"))
                .await
                .status(),
            200
        );
        assert_eq!(jwks.fetches(), 2, "the new kid caused one refetch");

        let unknown = sign_rs(&claims, "no-such-kid");
        assert_problem(app.get("/api/v1/whoami", &unknown).await, 401).await;
        assert_eq!(jwks.fetches(), 3);
    }
);

storage_test!(
    async fn bad_issuer_audience_time_and_signature_are_refused(backend: Backend) {
        let jwks = JwksServer::start(all_keys());
        let app = app_with_issuers(&backend, &jwks).await;
        let good = claims(&app, HS_ISSUER, "portcullis");
        let now = app.clock.now_utc().timestamp();
        let with = |key: &str, value: Value| {
            let mut c = good.clone();
            c[key] = value;
            c
        };
        let cases = [
            (
                "unknown issuer",
                sign_hs(&with("iss", json!("https://evil.test")), HS_SECRET),
            ),
            (
                "wrong audience",
                sign_hs(&with("aud", json!("someone-else")), HS_SECRET),
            ),
            (
                "expired",
                sign_hs(&with("exp", json!(now - 3600)), HS_SECRET),
            ),
            (
                "not yet valid",
                sign_hs(&with("nbf", json!(now + 3600)), HS_SECRET),
            ),
            ("no exp", {
                let mut c = good.clone();
                c.as_object_mut().unwrap().remove("exp");
                sign_hs(&c, HS_SECRET)
            }),
            (
                "wrong secret",
                sign_hs(&good, "another-secret-of-at-least-thirty-two-bytes"),
            ),
            ("unknown practice", {
                let c = with("iss", json!(JWKS_ISSUER));
                let mut c = c;
                c["aud"] = json!(ENTRA_AUDIENCE);
                c["tid"] = json!("unmapped-tenant");
                sign_rs(&c, "test-rsa-1")
            }),
            (
                "no granted scope",
                sign_hs(&with("scope", json!("admin:write")), HS_SECRET),
            ),
        ];
        for (case, token) in cases {
            let response = app.get("/api/v1/whoami", &token).await;
            assert_eq!(response.status(), 401, "{case}");
            assert_problem(response, 401).await;
        }
        // Still valid within the configured leeway (60 s) of exp.
        let just_expired = sign_hs(&with("exp", json!(now - 30)), HS_SECRET);
        assert_eq!(app.get("/api/v1/whoami", &just_expired).await.status(), 200);
        // SCIM gets the SCIM error format.
        let expired = sign_hs(&with("exp", json!(now - 3600)), HS_SECRET);
        assert_scim_error(app.get("/scim/v2/Users", &expired).await, 401).await;
    }
);

storage_test!(
    async fn alg_none_and_algorithm_confusion_are_refused(backend: Backend) {
        let jwks = JwksServer::start(all_keys());
        let app = app_with_issuers(&backend, &jwks).await;

        // alg "none": a token with no signature at all.
        let none_header = b64(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = b64(claims(&app, HS_ISSUER, "portcullis").to_string().as_bytes());
        for token in [
            format!("{none_header}.{payload}."),
            format!("{none_header}.{payload}.c2ln"),
        ] {
            assert_problem(app.get("/api/v1/whoami", &token).await, 401).await;
        }

        // HS256 signed with the issuer's public RSA key as the HMAC secret (the classic
        // confusion attack) against the JWKS issuer, which only accepts RS256/ES256.
        let jwk_n = all_keys()["keys"][0]["n"].as_str().unwrap().to_owned();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("test-rsa-1".into());
        let confused = jsonwebtoken::encode(
            &header,
            &claims(&app, JWKS_ISSUER, ENTRA_AUDIENCE),
            &EncodingKey::from_secret(jwk_n.as_bytes()),
        )
        .unwrap();
        assert_problem(app.get("/api/v1/whoami", &confused).await, 401).await;

        // RS256 presented to the HS256 issuer.
        let rs_for_hs = sign_rs(&claims(&app, HS_ISSUER, "portcullis"), "test-rsa-1");
        assert_problem(app.get("/api/v1/whoami", &rs_for_hs).await, 401).await;

        // A key id whose JWK declares RS256, used with ES256.
        let mismatched = sign_es(&claims(&app, JWKS_ISSUER, ENTRA_AUDIENCE), "test-rsa-1");
        assert_problem(app.get("/api/v1/whoami", &mismatched).await, 401).await;
    }
);

storage_test!(
    async fn jwt_scopes_are_limited_to_the_issuers_scopes(backend: Backend) {
        let jwks = JwksServer::start(all_keys());
        let app = app_with_issuers(&backend, &jwks).await;
        let mut c = claims(&app, HS_ISSUER, "portcullis");
        // admin:write is asked for but not allowed for this issuer; scim is.
        c["scope"] = json!("scim admin:write");
        let token = sign_hs(&c, HS_SECRET);
        let body: Value = app
            .get("/api/v1/whoami", &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["scopes"], json!(["scim"]));
        assert_problem(app.get("/api/v1/anything", &token).await, 403).await;
    }
);
