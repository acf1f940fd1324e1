//! Liveness and readiness for load balancers and orchestrators. Unauthenticated by design: they
//! reveal nothing but "up" and "database reachable".

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::Edge;
use super::errors::WireError;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the answer is 200.
    pub status: &'static str,
}

/// The process is up and serving HTTP.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses((status = 200, description = "The process is up", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The process can reach its database and take traffic.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database does not answer", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/readyz")]
pub async fn readyz(edge: web::Data<Edge>) -> Result<HttpResponse, WireError> {
    match edge.store.ping().await {
        Ok(()) => Ok(HttpResponse::Ok().json(Health { status: "ok" })),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            Err(WireError::unavailable())
        }
    }
}
