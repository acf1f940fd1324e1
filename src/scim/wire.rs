//! What every SCIM handler needs: the caller and its practice's store, JSON bodies whatever
//! their content type, `application/scim+json` responses, and ETag preconditions.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use serde_json::Value;

use crate::http::errors::{SCIM_CONTENT_TYPE, WireError};

pub use crate::auth::Caller as ScimCall;

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
        .insert_header((header::ETAG, super::resource::etag(version)));
    if status == StatusCode::CREATED
        && let Some(location) = body.pointer("/meta/location").and_then(Value::as_str)
    {
        builder.insert_header((header::LOCATION, location.to_owned()));
    }
    builder.body(to_bytes(body))
}

/// The version an `If-Match` header requires, if any (`*` requires none). A value that is
/// not one of our ETags can never match.
pub fn if_match(headers: &HeaderMap) -> Option<i64> {
    let value = headers.get(header::IF_MATCH)?.to_str().ok()?.trim();
    if value == "*" {
        return None;
    }
    Some(value.split(',').find_map(version_of).unwrap_or(-1))
}

/// Whether `If-None-Match` names the current version (then GET answers 304).
pub fn if_none_match(headers: &HeaderMap, version: i64) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim() == "*" || v.split(',').filter_map(version_of).any(|n| n == version)
        })
}

fn version_of(tag: &str) -> Option<i64> {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.trim_matches('"').parse().ok()
}

pub fn not_modified(version: i64) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, super::resource::etag(version)))
        .finish()
}

/// An id from the path; anything that is not one of our ids is simply not found.
pub fn resource_id(raw: &str, what: &str) -> Result<uuid::Uuid, WireError> {
    uuid::Uuid::try_parse(raw).map_err(|_| WireError::not_found(format!("{what} not found")))
}
