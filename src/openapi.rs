//! The document-level parts of the OpenAPI description. Paths are collected from the routes
//! themselves (see [`routes`]); `portcullis openapi` prints the result, which is
//! checked in as `openapi.yaml`.

use actix_web::App;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_actix_web::AppExt;

use crate::routes::routes;

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Portcullis",
        description = "Keeps a medical practice's payer-portal accounts in step with its workforce. \
            The admin API lives under /api/v1 (errors: RFC 9457 problem+json); the SCIM 2.0 \
            service provider under /scim/v2 (errors: RFC 7644 §3.12). Sizes: request bodies up \
            to `body_limit_bytes` (1 MiB by default; evidence files `evidence_limit_bytes`), else \
            413; request headers up to 16 KiB in all and 8 KiB each, else 431; every string \
            field's `maxLength` and every list's `maxItems` below is enforced (422 naming the \
            field).",
        license(name = "Apache-2.0")
    ),
    security(("bearer" = [])),
    modifiers(&SecuritySchemes),
    tags(
        (name = "admin", description = "Admin API for practice staff and their tools"),
        (name = "scim", description = "SCIM 2.0 service provider (RFC 7643, RFC 7644) for identity providers; content type application/scim+json"),
        (name = "operations", description = "Health, readiness and metrics for operators"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A Portcullis API token (`portcullis token create`) or a JWT from a \
                         configured issuer",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The configured `metrics_token`"))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI description of everything [`routes`] mounts.
pub fn document() -> utoipa::openapi::OpenApi {
    App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts()
        .1
}

/// The full document as YAML, as checked in.
pub fn yaml() -> Result<String, String> {
    document().to_yaml().map_err(|e| e.to_string())
}
