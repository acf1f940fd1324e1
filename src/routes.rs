//! The route table: every route of the service, mounted in exactly one place. The server
//! (`startup`) and the OpenAPI document (`openapi`) are both built from it.

use actix_web::middleware::from_fn;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::middleware::{api_guard, scim_guard};
use crate::http::{health, metrics};
use crate::{api, console, scim};

/// Every route of the service. Mounting through utoipa-actix-web means a handler without an
/// OpenAPI description does not compile here, and `openapi.yaml` is derived from this function.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(metrics::metrics)
        .service(
            scope("/api/v1")
                .wrap(from_fn(api_guard))
                .configure(api::routes),
        )
        .service(
            scope("/scim/v2")
                .wrap(from_fn(scim_guard))
                .configure(scim::routes),
        )
        // HTML pages for people, not API: mounted here too, outside the OpenAPI description.
        .map(console::routes);
}
