//! Conditional requests (RFC 9110 §13): our ETags, and the `If-Match` and `If-None-Match`
//! headers that name them. SCIM and the admin API read preconditions the same way.

use actix_web::http::header::{self, HeaderMap};

/// `W/"<version>"`: the weak ETag of a version (RFC 7644 §3.14).
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
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
