//! Request bodies above the configured size are refused with 413 before any handler runs, by
//! their declared `Content-Length`. Bodies without one (chunked) are held to the same limit by
//! the payload extractors' configuration (see `startup`). Request headers above
//! [`MAX_HEADER_BYTES`] in all, or [`MAX_HEADER_VALUE_BYTES`] in one, are refused with 431.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use super::Edge;
use super::errors::WireError;

/// The most request-header bytes (names and values) accepted in all: room for a large JWT and
/// a session cookie, as web servers' defaults allow.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// The longest single header value accepted.
pub const MAX_HEADER_VALUE_BYTES: usize = 8 * 1024;

pub async fn limit_body_size(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if let Some(detail) = oversized_headers(&req) {
        let error = WireError::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, detail);
        return Ok(req
            .into_response(error.error_response())
            .map_into_right_body());
    }
    // Evidence uploads (screenshots, PDFs) and portal user lists have their own, larger limit.
    let path = req.path().trim_end_matches('/');
    let evidence = path.ends_with("/evidence") || path.ends_with("/imports");
    let limit = req
        .app_data::<web::Data<Edge>>()
        .map_or(usize::MAX, |edge| {
            // The multipart envelope adds a little to the file itself.
            if evidence {
                edge.evidence_limit_bytes + 64 * 1024
            } else {
                edge.body_limit_bytes
            }
        });
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        let error = WireError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than the limit of {limit} bytes"),
        );
        return Ok(req
            .into_response(error.error_response())
            .map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn oversized_headers(req: &ServiceRequest) -> Option<String> {
    let mut total = 0;
    for (name, value) in req.headers() {
        if value.len() > MAX_HEADER_VALUE_BYTES {
            return Some(format!(
                "the `{name}` header is longer than {MAX_HEADER_VALUE_BYTES} bytes"
            ));
        }
        total += name.as_str().len() + value.len();
    }
    (total > MAX_HEADER_BYTES)
        .then(|| format!("the request headers are larger than {MAX_HEADER_BYTES} bytes in all"))
}
