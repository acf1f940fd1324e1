//! Prometheus metrics: requests by route, method and status, and their latency.
//!
//! Routes are labelled by their pattern (`/scim/v2/Users/{id}`), never the raw path, so the
//! label set stays small and carries no ids. `GET /metrics` needs the configured metrics token.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, get, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Edge;
use super::errors::WireError;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "portcullis_http_requests",
            "HTTP requests answered, by method, route pattern and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
            ])
        });
        registry.register(
            "portcullis_http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route pattern",
            latency.clone(),
        );
        Self {
            registry,
            requests,
            latency,
        }
    }
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Middleware: counts and times every request.
pub async fn record_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let edge = req.app_data::<web::Data<Edge>>().cloned();
    // Methods outside the standard set share one label: a client must not be able to mint
    // label values (and memory) with made-up methods.
    let method = match req.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m.to_owned(),
        _ => "other".to_owned(),
    };
    let response = next.call(req).await?;
    if let Some(edge) = edge {
        let route = response.request().match_pattern();
        edge.metrics.observe(
            &method,
            route.as_deref().unwrap_or("unmatched"),
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

/// Prometheus scrape endpoint.
#[utoipa::path(
    tag = "operations",
    security(("metrics_token" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition format", content_type = "application/openmetrics-text", body = String),
        (status = 401, description = "Missing or wrong metrics token", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "Metrics are disabled: no `metrics_token` is configured", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/metrics")]
pub async fn metrics(req: HttpRequest, edge: web::Data<Edge>) -> Result<HttpResponse, WireError> {
    let Some(expected) = &edge.metrics_token_sha256 else {
        return Err(WireError::not_found(
            "metrics are disabled; set PORTCULLIS_METRICS_TOKEN to enable them",
        ));
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    if !bool::from(presented.ct_eq(expected)) {
        return Err(WireError::unauthorized("missing or wrong metrics token"));
    }
    let body = edge.metrics.render().map_err(|_| WireError::internal())?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(body))
}
