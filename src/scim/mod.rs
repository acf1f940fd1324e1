//! The SCIM 2.0 service provider under `/scim/v2` (RFC 7643, RFC 7644).
//!
//! Only the guard and error handling exist so far: every request needs a `scim`-scoped
//! credential, and any path answers in the SCIM error schema. Users, Groups and discovery come
//! next (issue 3).

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts every SCIM route.
pub fn routes(_cfg: &mut ServiceConfig) {}
