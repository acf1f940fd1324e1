//! Discovery (RFC 7643 §5–7, RFC 7644 §4): what this service provider supports, truthfully.
//! And the endpoints we do not implement, which answer 501 rather than 404.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde_json::{Value, json};

use super::list::{MAX_RESULTS, list_response};
use super::schema::{ENTERPRISE_URN, GROUP_URN, USER_URN, all_schemas, schema_json};
use super::wire::{ScimCall, respond};
use crate::http::errors::WireError;

const SPC_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

/// What the service provider supports.
#[utoipa::path(
    tag = "scim",
    responses((status = 200, description = "The ServiceProviderConfig (RFC 7643 §5)", content_type = "application/scim+json", body = Object))
)]
#[get("/ServiceProviderConfig")]
pub async fn service_provider_config(call: ScimCall) -> HttpResponse {
    let base = call.base_url();
    respond(
        StatusCode::OK,
        &json!({
            "schemas": [SPC_URN],
            "documentationUri": "https://github.com/portcullis/portcullis#readme",
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": false},
            "sort": {"supported": true},
            "etag": {"supported": true},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "A Portcullis API token with the scim scope, or a JWT from a configured issuer",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "primary": true,
            }],
            "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
        }),
    )
}

fn resource_types(base: &str) -> [Value; 2] {
    [
        json!({
            "schemas": [RESOURCE_TYPE_URN],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A member of the practice's workforce",
            "schema": USER_URN,
            "schemaExtensions": [{"schema": ENTERPRISE_URN, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": [RESOURCE_TYPE_URN],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "A group of users",
            "schema": GROUP_URN,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

/// The resource types served.
#[utoipa::path(
    tag = "scim",
    responses((status = 200, description = "A ListResponse of ResourceTypes", content_type = "application/scim+json", body = Object))
)]
#[get("/ResourceTypes")]
pub async fn list_resource_types(call: ScimCall) -> HttpResponse {
    let types = resource_types(&call.base_url()).to_vec();
    respond(StatusCode::OK, &list_response(types.len() as u64, 1, types))
}

/// One resource type.
#[utoipa::path(
    tag = "scim",
    params(("id" = String, Path, description = "User or Group")),
    responses(
        (status = 200, description = "The ResourceType", content_type = "application/scim+json", body = Object),
        (status = 404, description = "No such resource type", content_type = "application/scim+json", body = Object),
    )
)]
#[get("/ResourceTypes/{id}")]
pub async fn get_resource_type(
    call: ScimCall,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    resource_types(&call.base_url())
        .into_iter()
        .find(|t| {
            t["id"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(&id))
        })
        .map(|t| respond(StatusCode::OK, &t))
        .ok_or_else(|| WireError::not_found("no such resource type"))
}

/// The schemas served: exactly the attributes stored.
#[utoipa::path(
    tag = "scim",
    responses((status = 200, description = "A ListResponse of Schemas", content_type = "application/scim+json", body = Object))
)]
#[get("/Schemas")]
pub async fn list_schemas(call: ScimCall) -> HttpResponse {
    let base = call.base_url();
    let schemas: Vec<Value> = all_schemas()
        .iter()
        .map(|s| schema_json(s, &base))
        .collect();
    respond(
        StatusCode::OK,
        &list_response(schemas.len() as u64, 1, schemas),
    )
}

/// One schema, by URN.
#[utoipa::path(
    tag = "scim",
    params(("id" = String, Path, description = "The schema URN")),
    responses(
        (status = 200, description = "The Schema", content_type = "application/scim+json", body = Object),
        (status = 404, description = "No such schema", content_type = "application/scim+json", body = Object),
    )
)]
#[get("/Schemas/{id}")]
pub async fn get_schema(call: ScimCall, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    all_schemas()
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(&id))
        .map(|s| respond(StatusCode::OK, &schema_json(s, &call.base_url())))
        .ok_or_else(|| WireError::not_found("no such schema"))
}

fn not_implemented(what: &str) -> WireError {
    WireError::new(
        StatusCode::NOT_IMPLEMENTED,
        format!("{what} is not supported by this service provider"),
    )
}

/// `/Me` is not supported (no IdP uses it).
#[utoipa::path(
    tag = "scim",
    responses((status = 501, description = "Not implemented", content_type = "application/scim+json", body = Object))
)]
#[get("/Me")]
pub async fn me() -> Result<HttpResponse, WireError> {
    Err(not_implemented("/Me"))
}

/// Bulk is not supported (advertised as such in the ServiceProviderConfig).
#[utoipa::path(
    tag = "scim",
    responses((status = 501, description = "Not implemented", content_type = "application/scim+json", body = Object))
)]
#[post("/Bulk")]
pub async fn bulk() -> Result<HttpResponse, WireError> {
    Err(not_implemented("/Bulk"))
}
