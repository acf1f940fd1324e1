//! What every SCIM handler needs: the caller and its practice's store, JSON bodies whatever
//! their content type, and `application/scim+json` responses with their ETags (preconditions
//! are read by `http::conditional`).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use serde_json::Value;

use crate::http::conditional::etag;
use crate::http::errors::{SCIM_CONTENT_TYPE, WireError};

pub use crate::state::Caller as ScimCall;

/// Parses a request body as JSON whatever its declared content type (Okta sends
/// `application/scim+json; charset=utf-8`, others `application/json` or nothing).
pub fn parse_body(body: &[u8]) -> Result<Value, WireError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(
            WireError::bad_request("the request body is empty").with_scim_type("invalidSyntax")
        );
    }
    serde_json::from_slice(body).map_err(|e| {
        // serde's message gives line and column, never the content.
        WireError::bad_request(format!("the body is not valid JSON: {e}"))
            .with_scim_type("invalidSyntax")
    })
}

pub fn respond(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(SCIM_CONTENT_TYPE)
        .body(to_bytes(body))
}

/// Serialized straight into bytes: `Value::to_string` goes through `fmt::Display`, measurably
/// slower on a page of a hundred users. (A `Value` always serializes: its keys are strings.)
fn to_bytes(body: &Value) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_default()
}

/// A resource response with its `ETag` (and `Location` on 201).
pub fn respond_resource(status: StatusCode, body: &Value, version: i64) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    builder
        .content_type(SCIM_CONTENT_TYPE)
        .insert_header((header::ETAG, etag(version)));
    if status == StatusCode::CREATED
        && let Some(location) = body.pointer("/meta/location").and_then(Value::as_str)
    {
        builder.insert_header((header::LOCATION, location.to_owned()));
    }
    builder.body(to_bytes(body))
}

pub fn not_modified(version: i64) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, etag(version)))
        .finish()
}

/// An id from the path; anything that is not one of our ids is simply not found.
pub fn resource_id(raw: &str, what: &str) -> Result<uuid::Uuid, WireError> {
    uuid::Uuid::try_parse(raw).map_err(|_| WireError::not_found(format!("{what} not found")))
}
