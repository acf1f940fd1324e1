//! A benchmark peer: the `scim-server` crate (crates.io) behind a minimal actix-web host.
//! Usage: scim_server_host PORT TOKEN memory|sqlite:PATH
//!
//! The crate is framework-agnostic and ships no HTTP layer, so this file is the transport only:
//! bearer auth, routes, SCIM list envelopes and error statuses. Every SCIM decision (schema
//! validation, uniqueness, PATCH, storage, attribute search) is the crate's, through its
//! `ScimServer` over its `StandardResourceProvider` with its `InMemoryStorage` or `SqliteStorage`.
//! What the crate lacks is not added here: it has no filter parser (only equality search on
//! one attribute) and its `ScimServer::list_resources` returns everyone.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{App, Error, HttpResponse, HttpServer, web};
use scim_server::providers::{ResourceProvider, StandardResourceProvider};
use scim_server::resource::ScimOperation;
use scim_server::storage::{InMemoryStorage, SqliteStorage, StorageProvider};
use scim_server::{
    RequestContext, Resource, SchemaRegistry, ScimError, ScimServer, ScimServerBuilder,
    create_group_resource_handler, create_user_resource_handler,
};
use serde_json::{Value, json};
use std::collections::HashMap;

struct Host<S: StorageProvider> {
    scim: ScimServer<StandardResourceProvider<S>>,
    token: String,
}

/// "Users" -> "User", "Groups" -> "Group": the crate's resource type names.
fn resource_type(endpoint: &str) -> Option<&'static str> {
    match endpoint {
        "Users" => Some("User"),
        "Groups" => Some("Group"),
        _ => None,
    }
}

fn scim_json(status: StatusCode, body: Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/scim+json")
        .json(body)
}

fn scim_error(status: StatusCode, detail: &str) -> HttpResponse {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": status.as_u16().to_string(),
        "detail": detail,
    });
    scim_json(status, body)
}

/// The crate folds provider errors into `ScimError::ProviderError(String)`, so duplicates and
/// missing resources are told apart by their text (the crate's own handlers match "not found"
/// the same way).
fn error_response(error: ScimError) -> HttpResponse {
    let text = error.to_string();
    match &error {
        ScimError::ResourceNotFound { .. } => scim_error(StatusCode::NOT_FOUND, &text),
        ScimError::UnsupportedResourceType(_) => scim_error(StatusCode::NOT_FOUND, &text),
        ScimError::Validation(_) | ScimError::InvalidRequest { .. } | ScimError::Json(_) => {
            scim_error(StatusCode::BAD_REQUEST, &text)
        }
        ScimError::UnsupportedOperation { .. } => scim_error(StatusCode::NOT_IMPLEMENTED, &text),
        ScimError::ProviderError(m) if m.contains("Duplicate") => {
            scim_error(StatusCode::CONFLICT, &text)
        }
        ScimError::ProviderError(m) if m.contains("not found") => {
            scim_error(StatusCode::NOT_FOUND, &text)
        }
        _ => scim_error(StatusCode::INTERNAL_SERVER_ERROR, &text),
    }
}

/// One resource as the crate renders it (with `$ref`s and meta.location), or the error.
fn resource_response<S: StorageProvider>(
    host: &Host<S>,
    status: StatusCode,
    result: Result<Resource, ScimError>,
) -> HttpResponse {
    match result.and_then(|r| host.scim.serialize_resource_with_refs(&r, None)) {
        Ok(json) => scim_json(status, json),
        Err(e) => error_response(e),
    }
}

fn list_response(total: usize, start_index: usize, resources: Vec<Value>) -> HttpResponse {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    });
    scim_json(StatusCode::OK, body)
}

async fn create<S: StorageProvider>(
    host: web::Data<Host<S>>,
    endpoint: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    let Some(rt) = resource_type(&endpoint) else {
        return scim_error(StatusCode::NOT_FOUND, "unknown endpoint");
    };
    let context = RequestContext::with_generated_id();
    let created = host
        .scim
        .create_resource(rt, body.into_inner(), &context)
        .await;
    resource_response(&host, StatusCode::CREATED, created)
}

async fn get<S: StorageProvider>(
    host: web::Data<Host<S>>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (endpoint, id) = path.into_inner();
    let Some(rt) = resource_type(&endpoint) else {
        return scim_error(StatusCode::NOT_FOUND, "unknown endpoint");
    };
    let context = RequestContext::with_generated_id();
    let found = host.scim.get_resource(rt, &id, &context).await;
    let found = found.and_then(|r| r.ok_or_else(|| ScimError::resource_not_found(rt, id)));
    resource_response(&host, StatusCode::OK, found)
}

async fn patch<S: StorageProvider>(
    host: web::Data<Host<S>>,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> HttpResponse {
    let (endpoint, id) = path.into_inner();
    let Some(rt) = resource_type(&endpoint) else {
        return scim_error(StatusCode::NOT_FOUND, "unknown endpoint");
    };
    let context = RequestContext::with_generated_id();
    let patched = host.scim.patch_resource(rt, &id, &body, &context).await;
    resource_response(&host, StatusCode::OK, patched)
}

/// `attr eq "value"`, the only filter shape the crate can answer (through its equality search
/// on one attribute); anything else is refused as invalidFilter rather than approximated.
fn equality_filter(filter: &str) -> Option<(&str, &str)> {
    let (attribute, rest) = filter.trim().split_once(char::is_whitespace)?;
    let (op, value) = rest.trim_start().split_once(char::is_whitespace)?;
    let value = value.trim().strip_prefix('"')?.strip_suffix('"')?;
    (op.eq_ignore_ascii_case("eq") && !value.contains('"')).then_some((attribute, value))
}

/// Resources as the crate renders them, in a ListResponse.
fn list_of<S: StorageProvider>(
    host: &Host<S>,
    total: usize,
    start_index: usize,
    page: &[Resource],
) -> HttpResponse {
    let rendered: Result<Vec<Value>, ScimError> = page
        .iter()
        .map(|r| host.scim.serialize_resource_with_refs(r, None))
        .collect();
    match rendered {
        Ok(resources) => list_response(total, start_index, resources),
        Err(e) => error_response(e),
    }
}

async fn search<S: StorageProvider>(host: &Host<S>, rt: &str, filter: &str) -> HttpResponse {
    let Some((attribute, value)) = equality_filter(filter) else {
        return scim_error(
            StatusCode::BAD_REQUEST,
            "invalidFilter: only `attribute eq \"value\"` is supported",
        );
    };
    let context = RequestContext::with_generated_id();
    let value = Value::String(value.to_string());
    match host
        .scim
        .find_resource_by_attribute(rt, attribute, &value, &context)
        .await
    {
        Ok(found) => {
            let found: Vec<Resource> = found.into_iter().collect();
            list_of(host, found.len(), 1, &found)
        }
        Err(e) => error_response(e),
    }
}

/// The crate's list returns every resource (its provider can skip and truncate for a
/// `ListQuery`, but then reports no total, which a ListResponse needs); so this takes the one
/// full list the crate gives and cuts the requested page from it, as the provider would.
async fn list<S: StorageProvider>(
    host: web::Data<Host<S>>,
    endpoint: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let Some(rt) = resource_type(&endpoint) else {
        return scim_error(StatusCode::NOT_FOUND, "unknown endpoint");
    };
    if let Some(filter) = query.get("filter") {
        return search(&host, rt, filter).await;
    }
    let number = |name: &str| query.get(name).and_then(|s| s.parse::<usize>().ok());
    let start_index = number("startIndex").unwrap_or(1).max(1);
    let count = number("count").unwrap_or(usize::MAX);
    let context = RequestContext::with_generated_id();
    match host.scim.list_resources(rt, &context).await {
        Ok(all) => {
            let from = (start_index - 1).min(all.len());
            let to = from.saturating_add(count).min(all.len());
            list_of(&host, all.len(), start_index, &all[from..to])
        }
        Err(e) => error_response(e),
    }
}

/// Bearer-token check in front of every route (the crate leaves authentication to the host).
async fn authorize<S: StorageProvider + 'static>(
    req: ServiceRequest,
    next: actix_web::middleware::Next<BoxBody>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, Error> {
    let expected = req
        .app_data::<web::Data<Host<S>>>()
        .map(|host| format!("Bearer {}", host.token));
    let given = req
        .headers()
        .get("Authorization")
        .and_then(|h| h.to_str().ok());
    if expected.is_none() || given != expected.as_deref() {
        let response = scim_error(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The crate's own server over a provider, with User and Group registered from its schemas.
fn scim_server<P: ResourceProvider>(provider: P, port: u16) -> Result<ScimServer<P>, ScimError> {
    let mut scim = ScimServerBuilder::new(provider)
        .with_base_url(format!("http://127.0.0.1:{port}/scim"))
        .build()?;
    let registry = SchemaRegistry::new().map_err(|e| ScimError::internal(e.to_string()))?;
    let operations = || {
        vec![
            ScimOperation::Create,
            ScimOperation::Read,
            ScimOperation::Update,
            ScimOperation::Patch,
            ScimOperation::Delete,
            ScimOperation::List,
            ScimOperation::Search,
        ]
    };
    scim.register_resource_type(
        "User",
        create_user_resource_handler(registry.get_user_schema().clone()),
        operations(),
    )?;
    scim.register_resource_type(
        "Group",
        create_group_resource_handler(registry.get_group_schema().clone()),
        operations(),
    )?;
    Ok(scim)
}

async fn serve<S: StorageProvider + 'static>(
    storage: S,
    port: u16,
    token: String,
) -> std::io::Result<()> {
    let scim =
        scim_server(StandardResourceProvider::new(storage), port).map_err(std::io::Error::other)?;
    let host = web::Data::new(Host { scim, token });
    HttpServer::new(move || {
        App::new()
            .app_data(host.clone())
            // 1,000 group members in one PATCH exceed actix's 32 KiB default JSON limit.
            .app_data(
                web::JsonConfig::default()
                    .limit(8 << 20)
                    .content_type_required(false),
            )
            .service(
                web::scope("/scim/v2")
                    .wrap(actix_web::middleware::from_fn(authorize::<S>))
                    .route("/{endpoint}", web::post().to(create::<S>))
                    .route("/{endpoint}", web::get().to(list::<S>))
                    .route("/{endpoint}/{id}", web::get().to(get::<S>))
                    .route("/{endpoint}/{id}", web::patch().to(patch::<S>)),
            )
    })
    // One worker: the benchmark pins every server to one core.
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, port, token, store] = args.as_slice() else {
        eprintln!("usage: scim_server_host PORT TOKEN memory|sqlite:PATH");
        std::process::exit(2);
    };
    let port: u16 = port.parse().map_err(std::io::Error::other)?;
    match store.split_once(':') {
        // The crate's SQLite store as it ships: sqlx's defaults (rollback journal, synchronous
        // FULL, a pool of 10); `SqliteStorage` offers no knob for them.
        Some(("sqlite", path)) => {
            let storage = SqliteStorage::new_with_path(path)
                .await
                .map_err(std::io::Error::other)?;
            serve(storage, port, token.clone()).await
        }
        None if store == "memory" => serve(InMemoryStorage::new(), port, token.clone()).await,
        _ => Err(std::io::Error::other(format!("unknown store {store}"))),
    }
}
