//! `/scim/v2/Groups` (RFC 7644 §3). Members are loaded only when the response includes them
//! (`excludedAttributes=members` costs no member query).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};

use super::list::{ListRequest, list_response};
use super::patch::{apply_to_group, parse_patch};
use super::projection::Projection;
use super::resource::{ResourceKind, group_from_json, render_group};
use super::wire::{ScimCall, not_modified, parse_body, resource_id, respond, respond_resource};
use crate::domain::directory::{GroupRecord, MembersChange};
use crate::engine::directory;
use crate::http::conditional::{if_match, if_none_match};
use crate::http::errors::WireError;

fn projection_of(query: &HashMap<String, String>) -> Result<Projection, WireError> {
    ListRequest::from_query(query)?.projection()
}

/// A group as the response shows it, members loaded if wanted.
async fn load(
    call: &ScimCall,
    id: uuid::Uuid,
    projection: &Projection,
) -> Result<GroupRecord, WireError> {
    Ok(call.store().group(id, projection.wants("members")).await?)
}

fn respond_group(
    call: &ScimCall,
    status: StatusCode,
    group: &GroupRecord,
    projection: &Projection,
) -> HttpResponse {
    let rendered = projection.apply(render_group(group, &call.base_url()));
    respond_resource(status, &rendered, group.version)
}

/// Create a group (Okta Group Push, Entra group provisioning).
#[utoipa::path(
    tag = "scim",
    request_body(content = Object, content_type = "application/scim+json", description = "A SCIM Group (RFC 7643 §4.2)"),
    responses(
        (status = 201, description = "Created; Location and ETag headers are set", content_type = "application/scim+json", body = Object),
        (status = 400, description = "Invalid JSON or attribute values", content_type = "application/scim+json", body = Object),
        (status = 409, description = "displayName is taken (scimType uniqueness)", content_type = "application/scim+json", body = Object),
    )
)]
#[post("/Groups")]
pub async fn create_group(
    call: ScimCall,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
) -> Result<HttpResponse, WireError> {
    let projection = projection_of(&query)?;
    let (write, members) = group_from_json(&parse_body(&body)?)?;
    let created = directory::create_group(
        &call.store(),
        write,
        members.unwrap_or_default(),
        &call.actor(),
    )
    .await?;
    let group = load(&call, created.id, &projection).await?;
    Ok(respond_group(
        &call,
        StatusCode::CREATED,
        &group,
        &projection,
    ))
}

/// Get a group.
#[utoipa::path(
    tag = "scim",
    params(("id" = String, Path, description = "The group's id"), ("attributes" = Option<String>, Query, description = "Attributes to return"), ("excludedAttributes" = Option<String>, Query, description = "Attributes not to return, e.g. members")),
    responses(
        (status = 200, description = "The group; ETag header set", content_type = "application/scim+json", body = Object),
        (status = 304, description = "If-None-Match names the current version"),
        (status = 404, description = "No such group", content_type = "application/scim+json", body = Object),
    )
)]
#[get("/Groups/{id}")]
pub async fn get_group(
    call: ScimCall,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WireError> {
    let projection = projection_of(&query)?;
    let group = load(&call, resource_id(&id, "group")?, &projection).await?;
    if if_none_match(req.headers(), group.version) {
        return Ok(not_modified(group.version));
    }
    Ok(respond_group(&call, StatusCode::OK, &group, &projection))
}

/// List or filter groups.
#[utoipa::path(
    tag = "scim",
    params(
        ("filter" = Option<String>, Query, description = "e.g. displayName eq \"Billing Desk\""),
        ("startIndex" = Option<i64>, Query, description = "1-based index of the first result"),
        ("count" = Option<i64>, Query, description = "Results per page (at most 1000)"),
        ("sortBy" = Option<String>, Query, description = "displayName, meta.created or meta.lastModified"),
        ("sortOrder" = Option<String>, Query, description = "ascending or descending"),
        ("attributes" = Option<String>, Query, description = "Attributes to return"),
        ("excludedAttributes" = Option<String>, Query, description = "Attributes not to return, e.g. members"),
    ),
    responses(
        (status = 200, description = "A ListResponse", content_type = "application/scim+json", body = Object),
        (status = 400, description = "Invalid filter or parameter", content_type = "application/scim+json", body = Object),
    )
)]
#[get("/Groups")]
pub async fn list_groups(
    call: ScimCall,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WireError> {
    list(&call, ListRequest::from_query(&query)?).await
}

/// Search groups with a SearchRequest body.
#[utoipa::path(
    tag = "scim",
    request_body(content = Object, content_type = "application/scim+json", description = "A SearchRequest"),
    responses(
        (status = 200, description = "A ListResponse", content_type = "application/scim+json", body = Object),
        (status = 400, description = "Invalid filter or parameter", content_type = "application/scim+json", body = Object),
    )
)]
#[post("/Groups/.search")]
pub async fn search_groups(call: ScimCall, body: web::Bytes) -> Result<HttpResponse, WireError> {
    list(&call, ListRequest::from_search_body(&parse_body(&body)?)?).await
}

async fn list(call: &ScimCall, request: ListRequest) -> Result<HttpResponse, WireError> {
    let projection = request.projection()?;
    let query = request.query(ResourceKind::Group)?;
    let page = call
        .store()
        .list_groups(&query, projection.wants("members"))
        .await?;
    let base = call.base_url();
    let resources = page
        .items
        .iter()
        .map(|g| projection.apply(render_group(g, &base)))
        .collect();
    Ok(respond(
        StatusCode::OK,
        &list_response(page.total, query.start_index, resources),
    ))
}

/// Replace a group, members included (Okta AIW pushes groups this way).
#[utoipa::path(
    tag = "scim",
    params(("id" = String, Path, description = "The group's id")),
    request_body(content = Object, content_type = "application/scim+json", description = "The whole SCIM Group"),
    responses(
        (status = 200, description = "The replaced group", content_type = "application/scim+json", body = Object),
        (status = 400, description = "Invalid JSON or attribute values", content_type = "application/scim+json", body = Object),
        (status = 404, description = "No such group", content_type = "application/scim+json", body = Object),
        (status = 409, description = "displayName is taken", content_type = "application/scim+json", body = Object),
        (status = 412, description = "If-Match does not name the current version", content_type = "application/scim+json", body = Object),
    )
)]
#[put("/Groups/{id}")]
pub async fn replace_group(
    call: ScimCall,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
) -> Result<HttpResponse, WireError> {
    let projection = projection_of(&query)?;
    let id = resource_id(&id, "group")?;
    let (write, members) = group_from_json(&parse_body(&body)?)?;
    directory::modify_group(
        &call.store(),
        id,
        if_match(req.headers()),
        &call.actor(),
        |_| {
            let members = members.map_or(MembersChange::Keep, MembersChange::Replace);
            Ok::<_, WireError>((write, members))
        },
    )
    .await?;
    let group = load(&call, id, &projection).await?;
    Ok(respond_group(&call, StatusCode::OK, &group, &projection))
}

/// Patch a group: rename, or add and remove members (row by row, never a rewrite of the list).
#[utoipa::path(
    tag = "scim",
    params(("id" = String, Path, description = "The group's id")),
    request_body(content = Object, content_type = "application/scim+json", description = "A PatchOp"),
    responses(
        (status = 200, description = "The patched group", content_type = "application/scim+json", body = Object),
        (status = 400, description = "Invalid operation", content_type = "application/scim+json", body = Object),
        (status = 404, description = "No such group", content_type = "application/scim+json", body = Object),
        (status = 409, description = "displayName is taken", content_type = "application/scim+json", body = Object),
        (status = 412, description = "If-Match does not name the current version", content_type = "application/scim+json", body = Object),
    )
)]
#[patch("/Groups/{id}")]
pub async fn patch_group(
    call: ScimCall,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
) -> Result<HttpResponse, WireError> {
    let projection = projection_of(&query)?;
    let id = resource_id(&id, "group")?;
    let ops = parse_patch(&parse_body(&body)?)?;
    directory::modify_group(
        &call.store(),
        id,
        if_match(req.headers()),
        &call.actor(),
        |current| apply_to_group(current, &ops),
    )
    .await?;
    let group = load(&call, id, &projection).await?;
    Ok(respond_group(&call, StatusCode::OK, &group, &projection))
}

/// Delete a group; its memberships end.
#[utoipa::path(
    tag = "scim",
    params(("id" = String, Path, description = "The group's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such group", content_type = "application/scim+json", body = Object),
        (status = 412, description = "If-Match does not name the current version", content_type = "application/scim+json", body = Object),
    )
)]
#[delete("/Groups/{id}")]
pub async fn delete_group(
    call: ScimCall,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let id = resource_id(&id, "group")?;
    directory::delete_group(&call.store(), id, if_match(req.headers()), &call.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}
