//! `/scim/v2/Users` (RFC 7644 §3).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};

use super::list::{ListRequest, list_response};
use super::patch::{apply_to_user, parse_patch};
use super::projection::Projection;
use super::resource::{ResourceKind, render_user, user_from_json};
use super::wire::{ScimCall, not_modified, parse_body, resource_id, respond, respond_resource};
use crate::domain::directory::UserRecord;
use crate::engine::directory;
use crate::http::conditional::{if_match, if_none_match};
use crate::http::errors::WireError;

/// Renders users. Reads load their groups in the same statement; a user written by this request
/// (PUT, PATCH) has its groups looked up here, and only when the response includes them.
pub(super) async fn render_all(
    call: &ScimCall,
    mut users: Vec<UserRecord>,
    projection: &Projection,
) -> Result<Vec<serde_json::Value>, WireError> {
    if projection.wants("groups") {
        let missing: Vec<_> = users
            .iter()
            .filter(|u| u.groups.is_none())
            .map(|u| u.id)
            .collect();
        if !missing.is_empty() {
            let mut found = call.store().groups_of(&missing).await?;
            for user in users.iter_mut().filter(|u| u.groups.is_none()) {
                user.groups = Some(found.remove(&user.id).unwrap_or_default());
            }
        }
    }
    let base = call.base_url();
    Ok(users
        .into_iter()
        .map(|user| projection.apply(render_user(user, &base)))
        .collect())
}

async fn render_one(
    call: &ScimCall,
    user: UserRecord,
    projection: &Projection,
) -> Result<serde_json::Value, WireError> {
    let mut rendered = render_all(call, vec![user], projection).await?;
    Ok(rendered.pop().unwrap_or_default())
}

/// A user just created belongs to no group yet (memberships need the user to exist), so its
/// response needs no group lookup.
fn render_new(call: &ScimCall, mut user: UserRecord, projection: &Projection) -> serde_json::Value {
    user.groups = Some(Vec::new());
    projection.apply(render_user(user, &call.base_url()))
}

fn projection_of(query: &HashMap<String, String>) -> Result<Projection, WireError> {
    ListRequest::from_query(query)?.projection()
}

/// Create a user (a joiner, when active).
#[utoipa::path(
    tag = "scim",
    request_body(content = Object, content_type = "application/scim+json", description = "A SCIM User (RFC 7643 §4.1), with the enterprise extension"),
    params(("attributes" = Option<String>, Query, description = "Attributes to return"), ("excludedAttributes" = Option<String>, Query, description = "Attributes not to return")),
    responses(
        (status = 201, description = "Created; Location and ETag headers are set", content_type = "application/scim+json", body = Object),
        (status = 400, description = "Invalid JSON or attribute values", content_type = "application/scim+json", body = Object),
        (status = 409, description = "userName is taken (scimType uniqueness)", content_type = "application/scim+json", body = Object),
    )
)]
#[post("/Users")]
pub async fn create_user(
    call: ScimCall,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
) -> Result<HttpResponse, WireError> {
    let projection = projection_of(&query)?;
    let write = user_from_json(&parse_body(&body)?, None)?;
    let user = directory::create_user(&call.store(), write, &call.actor()).await?;
    let version = user.version;
    let rendered = render_new(&call, user, &projection);
    Ok(respond_resource(StatusCode::CREATED, &rendered, version))
}

/// Get a user. Deactivated users stay readable.
#[utoipa::path(
    tag = "scim",
    params(("id" = String, Path, description = "The user's id"), ("attributes" = Option<String>, Query, description = "Attributes to return"), ("excludedAttributes" = Option<String>, Query, description = "Attributes not to return")),
    responses(
        (status = 200, description = "The user; ETag header set", content_type = "application/scim+json", body = Object),
        (status = 304, description = "If-None-Match names the current version"),
        (status = 404, description = "No such user", content_type = "application/scim+json", body = Object),
    )
)]
#[get("/Users/{id}")]
pub async fn get_user(
    call: ScimCall,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WireError> {
    let projection = projection_of(&query)?;
    let user = call
        .store()
        .user(resource_id(&id, "user")?, projection.wants("groups"))
        .await?;
    let version = user.version;
    if if_none_match(req.headers(), version) {
        return Ok(not_modified(version));
    }
    let rendered = render_one(&call, user, &projection).await?;
    Ok(respond_resource(StatusCode::OK, &rendered, version))
}

/// List or filter users (`filter`, `startIndex`, `count`, `sortBy`, `sortOrder`).
#[utoipa::path(
    tag = "scim",
    params(
        ("filter" = Option<String>, Query, description = "RFC 7644 §3.4.2.2 filter, e.g. userName eq \"ann@example.com\""),
        ("startIndex" = Option<i64>, Query, description = "1-based index of the first result"),
        ("count" = Option<i64>, Query, description = "Results per page (at most 1000)"),
        ("sortBy" = Option<String>, Query, description = "userName, displayName, meta.created or meta.lastModified"),
        ("sortOrder" = Option<String>, Query, description = "ascending or descending"),
        ("attributes" = Option<String>, Query, description = "Attributes to return"),
        ("excludedAttributes" = Option<String>, Query, description = "Attributes not to return"),
    ),
    responses(
        (status = 200, description = "A ListResponse", content_type = "application/scim+json", body = Object),
        (status = 400, description = "Invalid filter (scimType invalidFilter) or parameter", content_type = "application/scim+json", body = Object),
    )
)]
#[get("/Users")]
pub async fn list_users(
    call: ScimCall,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WireError> {
    list(&call, ListRequest::from_query(&query)?).await
}

/// Search users with a SearchRequest body (RFC 7644 §3.4.3).
#[utoipa::path(
    tag = "scim",
    request_body(content = Object, content_type = "application/scim+json", description = "A SearchRequest"),
    responses(
        (status = 200, description = "A ListResponse", content_type = "application/scim+json", body = Object),
        (status = 400, description = "Invalid filter or parameter", content_type = "application/scim+json", body = Object),
    )
)]
#[post("/Users/.search")]
pub async fn search_users(call: ScimCall, body: web::Bytes) -> Result<HttpResponse, WireError> {
    list(&call, ListRequest::from_search_body(&parse_body(&body)?)?).await
}

async fn list(call: &ScimCall, request: ListRequest) -> Result<HttpResponse, WireError> {
    let projection = request.projection()?;
    let query = request.query(ResourceKind::User)?;
    let page = call
        .store()
        .list_users(&query, projection.wants("groups"))
        .await?;
    let resources = render_all(call, page.items, &projection).await?;
    Ok(respond(
        StatusCode::OK,
        &list_response(page.total, query.start_index, resources),
    ))
}

/// Replace a user. Attributes left out are cleared, except `active`, which keeps its value.
#[utoipa::path(
    tag = "scim",
    params(("id" = String, Path, description = "The user's id")),
    request_body(content = Object, content_type = "application/scim+json", description = "The whole SCIM User"),
    responses(
        (status = 200, description = "The replaced user", content_type = "application/scim+json", body = Object),
        (status = 400, description = "Invalid JSON or attribute values", content_type = "application/scim+json", body = Object),
        (status = 404, description = "No such user", content_type = "application/scim+json", body = Object),
        (status = 409, description = "userName is taken", content_type = "application/scim+json", body = Object),
        (status = 412, description = "If-Match does not name the current version", content_type = "application/scim+json", body = Object),
    )
)]
#[put("/Users/{id}")]
pub async fn replace_user(
    call: ScimCall,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
) -> Result<HttpResponse, WireError> {
    let projection = projection_of(&query)?;
    let id = resource_id(&id, "user")?;
    let body = parse_body(&body)?;
    let user = directory::modify_user(
        &call.store(),
        id,
        if_match(req.headers()),
        &call.actor(),
        |current| user_from_json(&body, Some(current.active)),
    )
    .await?;
    let version = user.version;
    let rendered = render_one(&call, user, &projection).await?;
    Ok(respond_resource(StatusCode::OK, &rendered, version))
}

/// Patch a user (RFC 7644 §3.5.2). All operations apply, or none.
#[utoipa::path(
    tag = "scim",
    params(("id" = String, Path, description = "The user's id")),
    request_body(content = Object, content_type = "application/scim+json", description = "A PatchOp"),
    responses(
        (status = 200, description = "The patched user", content_type = "application/scim+json", body = Object),
        (status = 400, description = "Invalid operation (invalidSyntax, invalidPath, noTarget, mutability, invalidValue)", content_type = "application/scim+json", body = Object),
        (status = 404, description = "No such user", content_type = "application/scim+json", body = Object),
        (status = 409, description = "userName is taken", content_type = "application/scim+json", body = Object),
        (status = 412, description = "If-Match does not name the current version", content_type = "application/scim+json", body = Object),
    )
)]
#[patch("/Users/{id}")]
pub async fn patch_user(
    call: ScimCall,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
) -> Result<HttpResponse, WireError> {
    let projection = projection_of(&query)?;
    let id = resource_id(&id, "user")?;
    let ops = parse_patch(&parse_body(&body)?)?;
    let user = directory::modify_user(
        &call.store(),
        id,
        if_match(req.headers()),
        &call.actor(),
        |current| apply_to_user(current, &ops),
    )
    .await?;
    let version = user.version;
    let rendered = render_one(&call, user, &projection).await?;
    Ok(respond_resource(StatusCode::OK, &rendered, version))
}

/// Delete a user: a leaver whose record is kept as a tombstone; the userName is free again.
#[utoipa::path(
    tag = "scim",
    params(("id" = String, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such user", content_type = "application/scim+json", body = Object),
        (status = 412, description = "If-Match does not name the current version", content_type = "application/scim+json", body = Object),
    )
)]
#[delete("/Users/{id}")]
pub async fn delete_user(
    call: ScimCall,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let id = resource_id(&id, "user")?;
    directory::delete_user(&call.store(), id, if_match(req.headers()), &call.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}
