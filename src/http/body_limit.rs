//! Request bodies above the configured size are refused with 413 before any handler runs, by
//! their declared `Content-Length`. Bodies without one (chunked) are held to the same limit by
//! the payload extractors' configuration (see `startup`).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use super::Edge;
use super::errors::WireError;

pub async fn limit_body_size(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    // Evidence uploads (screenshots, PDFs) have their own, larger limit.
    let evidence = req.path().trim_end_matches('/').ends_with("/evidence");
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
