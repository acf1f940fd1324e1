//! The SCIM 2.0 service provider under `/scim/v2` (RFC 7643, RFC 7644).
//!
//! Requests arrive here authenticated (`scim` scope) by the guard in `auth`; handlers reach
//! only their practice's data through [`wire::ScimCall::store`]. Errors are SCIM error bodies,
//! rendered by `http::errors`.

mod discovery;
pub mod filter;
mod groups;
pub mod list;
pub mod patch;
pub mod projection;
pub mod resolve;
pub mod resource;
pub mod schema;
mod search;
mod users;
pub mod wire;

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts every SCIM route. `.search` routes come before `{id}` routes so they win.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(users::search_users)
        .service(users::create_user)
        .service(users::list_users)
        .service(users::get_user)
        .service(users::replace_user)
        .service(users::patch_user)
        .service(users::delete_user)
        .service(groups::search_groups)
        .service(groups::create_group)
        .service(groups::list_groups)
        .service(groups::get_group)
        .service(groups::replace_group)
        .service(groups::patch_group)
        .service(groups::delete_group)
        .service(discovery::service_provider_config)
        .service(discovery::list_resource_types)
        .service(discovery::get_resource_type)
        .service(discovery::list_schemas)
        .service(discovery::get_schema)
        .service(discovery::me)
        .service(discovery::bulk)
        .service(search::search_all);
}
