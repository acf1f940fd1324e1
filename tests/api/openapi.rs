//! `openapi.yaml` is generated from the routes and must match what is served.

use crate::helpers::{Backend, spawn_app};

#[test]
fn the_checked_in_spec_is_up_to_date() {
    let generated = portcullis::openapi::yaml().unwrap();
    let path = format!("{}/openapi.yaml", env!("CARGO_MANIFEST_DIR"));
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        generated.trim() == checked_in.trim(),
        "openapi.yaml is stale: run `cargo run -- openapi > openapi.yaml`"
    );
}

/// Every documented operation is really served: none answers 404 or 405.
#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = spawn_app(&Backend::Sqlite).await;
    let practice = app.practice("acme").await;
    let token = app.token(&practice, "scim,admin:read,admin:write").await;
    let spec = portcullis::openapi::document();
    let mut checked = 0;
    for (path, item) in &spec.paths.paths {
        // Path parameters get a value that names nothing: such a route may answer 404.
        let mut concrete = path.clone();
        while let (Some(open), Some(close)) = (concrete.find('{'), concrete.find('}')) {
            concrete.replace_range(open..=close, &uuid::Uuid::nil().to_string());
        }
        for (method, present) in [
            (reqwest::Method::GET, item.get.is_some()),
            (reqwest::Method::POST, item.post.is_some()),
            (reqwest::Method::PUT, item.put.is_some()),
            (reqwest::Method::PATCH, item.patch.is_some()),
            (reqwest::Method::DELETE, item.delete.is_some()),
        ] {
            if !present {
                continue;
            }
            let response = app
                .client
                .request(method.clone(), app.url(&concrete))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert!(
                status != 405,
                "{method} {path} is documented but not served"
            );
            // A handler's own 404 says what is missing (`e-mail alerts are not set up`); the
            // router's says there is nothing here.
            let body = response.text().await.unwrap_or_default();
            if !path.contains('{') && path != "/metrics" {
                assert!(
                    !(status == 404 && body.contains("no resource at this path")),
                    "{method} {path} is documented but not served"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} operations found");
}

/// Routes are mounted only through utoipa-actix-web's `service`, which requires an OpenAPI
/// description at compile time; a plain actix `route`/`resource` would bypass it. The one
/// exception is the console's HTML pages, mounted once in `routes.rs` through `map`.
#[test]
fn no_route_bypasses_the_openapi_description() {
    let src = format!("{}/src", env!("CARGO_MANIFEST_DIR"));
    let mut offenders = Vec::new();
    visit(std::path::Path::new(&src), &mut |path, text| {
        for needle in [
            ".route(",
            "web::resource(",
            "web::scope(",
            "actix_web::Resource",
        ] {
            if text.contains(needle) {
                offenders.push(format!("{} uses {needle}", path.display()));
            }
        }
    });
    assert!(offenders.is_empty(), "{offenders:#?}");
}

fn visit(dir: &std::path::Path, f: &mut dyn FnMut(&std::path::Path, &str)) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            visit(&path, f);
        } else if path.extension().is_some_and(|e| e == "rs") {
            f(&path, &std::fs::read_to_string(&path).unwrap());
        }
    }
}
