//! The SCIM 2.0 service provider under `/scim/v2` (RFC 7643, RFC 7644).
//!
//! So far: the guard and error handling (every request needs a `scim`-scoped credential; every
//! path answers in the SCIM error schema) and the filter/path grammar. Users, Groups and
//! discovery are being built (issue 3).

pub mod filter;

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts every SCIM route.
pub fn routes(_cfg: &mut ServiceConfig) {}
