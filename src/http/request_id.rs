//! One id per request: taken from a well-formed incoming `X-Request-Id` (so a load balancer's id
//! carries through) or generated, recorded on the request's tracing span, and echoed on every
//! response. The log line per request has method, route, status and latency: never the query
//! string or body, which can hold names and e-mail addresses (PHI).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Instrument;
use uuid::Uuid;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn from_header(value: &HeaderValue) -> Option<Self> {
        let text = value.to_str().ok()?;
        let acceptable = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        acceptable.then(|| Self(text.to_owned()))
    }
}

pub async fn assign_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(RequestId::from_header)
        .unwrap_or_else(|| RequestId(Uuid::new_v4().to_string()));
    req.extensions_mut().insert(id.clone());
    let span = tracing::info_span!("request", request_id = %id.as_str(), method = %req.method());
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let header_value = HeaderValue::from_str(id.as_str()).ok();
    match result {
        Ok(mut response) => {
            let _entered = span.enter();
            tracing::info!(
                route = response
                    .request()
                    .match_pattern()
                    .as_deref()
                    .unwrap_or("unmatched"),
                status = response.status().as_u16(),
                elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                "request finished"
            );
            if let Some(value) = header_value {
                response.headers_mut().insert(REQUEST_ID_HEADER, value);
            }
            Ok(response)
        }
        Err(err) => Err(err),
    }
}
