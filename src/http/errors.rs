//! One error shape on the wire, rendered in the protocol of the path it answers:
//! the SCIM error schema (RFC 7644 §3.12) under `/scim/v2`, an HTML page that says what to do
//! under `/console`, RFC 9457 problem+json elsewhere.
//!
//! Handlers, extractors and middleware return a [`WireError`]; it travels in the response's
//! extensions to [`shape_errors`], the one place that knows the path and writes the body. Error
//! responses actix makes itself (unmatched routes, wrong methods, payload errors) carry no
//! [`WireError`] and are re-rendered there too, so no default HTML or text error ever leaves.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError, web};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::Edge;
use super::request_id::RequestId;
use crate::store::StoreError;

pub const SCIM_ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// RFC 9457 problem details, the body of every admin API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank` for now: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP reason phrase.
    pub title: String,
    pub status: u16,
    /// What went wrong and, where possible, how to fix it.
    pub detail: String,
    /// The request id, also in the `X-Request-Id` header; quote it when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Which error format a path speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Scim,
    Problem,
    /// The console's pages: people read these, not programs.
    Html,
}

impl Protocol {
    pub fn for_path(path: &str) -> Self {
        let lower = path.to_ascii_lowercase();
        if lower == "/scim/v2" || lower.starts_with("/scim/v2/") {
            Protocol::Scim
        } else if lower == "/console" || lower.starts_with("/console/") {
            Protocol::Html
        } else {
            Protocol::Problem
        }
    }
}

/// Text made safe to place in HTML, as element content or a quoted attribute.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The console's error page: what went wrong in words, the way back, the request id.
fn html_page(status: StatusCode, detail: &str, request_id: Option<&str>) -> String {
    let title = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::CONFLICT => "That could not be done",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "Please check the form",
        s if s.is_server_error() => "Something went wrong",
        s => s.canonical_reason().unwrap_or("Error"),
    };
    let reference = request_id
        .map(|id| {
            format!(
                "<p class=\"muted\">If you report this, quote request <code>{}</code>.</p>",
                html_escape(id)
            )
        })
        .unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Portcullis</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body><main class=\"signin\" id=\"main\"><h1>{title}</h1><p role=\"alert\">{detail}</p>\
         <p><a href=\"/console/queue\">Back to the queue</a> · \
         <a href=\"/console\">Home</a></p>{reference}</main></body></html>\n",
        css = super::assets::STYLESHEET.url,
        detail = html_escape(detail),
    )
}

/// An error as the client will see it, before it is given a protocol's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {detail}")]
pub struct WireError {
    pub status: StatusCode,
    /// RFC 7644 §3.12 `scimType` (e.g. `invalidFilter`); ignored by problem+json.
    pub scim_type: Option<&'static str>,
    /// Actionable and free of PHI and secrets: IdPs show it to their admins.
    pub detail: String,
    /// Seconds, for 429 and 503.
    pub retry_after: Option<u64>,
}

impl WireError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type: None,
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn with_scim_type(mut self, scim_type: &'static str) -> Self {
        self.scim_type = Some(scim_type);
        self
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("rate limit exceeded for this credential; retry after {retry_after} s"),
            )
        }
    }

    /// The database or another dependency is down; the client should retry.
    pub fn unavailable() -> Self {
        Self {
            retry_after: Some(5),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service is temporarily unavailable; retry shortly",
            )
        }
    }

    /// Something unexpected; the cause goes to the log under the request id, never to the client.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; quote the X-Request-Id header when reporting it",
        )
    }

    /// The generic error for a status actix produced on its own.
    pub fn from_status(status: StatusCode) -> Self {
        let detail = match status {
            StatusCode::NOT_FOUND => "no resource at this path",
            StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed on this path",
            StatusCode::PAYLOAD_TOO_LARGE => "request body is larger than the configured limit",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported content type",
            StatusCode::BAD_REQUEST => "the request could not be parsed",
            s if s.is_server_error() => return Self::internal(),
            s => s.canonical_reason().unwrap_or("request refused"),
        };
        Self::new(status, detail)
    }

    pub fn render(&self, protocol: Protocol, request_id: Option<&str>) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            let realm = match protocol {
                Protocol::Scim => Some("Bearer realm=\"SCIM\""),
                Protocol::Problem => Some("Bearer realm=\"Portcullis\""),
                Protocol::Html => None,
            };
            if let Some(realm) = realm {
                builder.insert_header((header::WWW_AUTHENTICATE, realm));
            }
        }
        if let Some(seconds) = self.retry_after {
            builder.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        match protocol {
            Protocol::Scim => {
                let mut body = json!({
                    "schemas": [SCIM_ERROR_URN],
                    "status": self.status.as_u16().to_string(),
                    "detail": self.detail,
                });
                if let Some(scim_type) = self.scim_type {
                    body["scimType"] = json!(scim_type);
                }
                builder
                    .content_type(SCIM_CONTENT_TYPE)
                    .body(body.to_string())
            }
            Protocol::Problem => {
                let mut body = json!({
                    "type": "about:blank",
                    "title": self.status.canonical_reason().unwrap_or("Error"),
                    "status": self.status.as_u16(),
                    "detail": self.detail,
                });
                if let Some(id) = request_id {
                    body["request_id"] = json!(id);
                }
                builder
                    .content_type(PROBLEM_CONTENT_TYPE)
                    .body(body.to_string())
            }
            Protocol::Html => builder
                .content_type("text/html; charset=utf-8")
                .body(html_page(self.status, &self.detail, request_id)),
        }
    }
}

/// The one mapping from storage outcomes to the wire (exhaustive: a new store error must be
/// placed here).
impl From<StoreError> for WireError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(what) => {
                Self::new(StatusCode::CONFLICT, format!("{what} already exists"))
                    .with_scim_type("uniqueness")
            }
            StoreError::NotFound(what) => Self::not_found(format!("{what} not found")),
            StoreError::VersionMismatch { current } => Self::new(
                StatusCode::PRECONDITION_FAILED,
                format!("the resource has changed; its current version is W/\"{current}\""),
            ),
            StoreError::IllegalTransition { .. }
            | StoreError::Blocked(_)
            | StoreError::WaitingForTraining(_)
            | StoreError::MassRevocation { .. }
            | StoreError::ShrinkGuard { .. }
            | StoreError::PreviewOutdated
            | StoreError::DirectorySource(_) => Self::new(StatusCode::CONFLICT, err.to_string()),
            StoreError::BadFile(_) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, err.to_string()),
            StoreError::EvidenceRequired | StoreError::Refused(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, err.to_string())
            }
            StoreError::Unsupported(e) => {
                Self::bad_request(e.to_string()).with_scim_type("invalidFilter")
            }
            StoreError::Corrupt(what) => {
                tracing::error!(what, "stored data is invalid");
                Self::internal()
            }
            // Database messages can quote the data (PostgreSQL's `where` detail does), so the
            // log gets the error's class and code only.
            // PostgreSQL refuses NUL characters in text (SQLite stores them): a client error.
            StoreError::Database(db)
                if matches!(
                    crate::store::db_error_code(&db).as_deref(),
                    Some("22P05" | "22021")
                ) =>
            {
                Self::bad_request("a value contains a character that cannot be stored (NUL)")
                    .with_scim_type("invalidValue")
            }
            StoreError::Database(db) => {
                tracing::error!(error = %crate::store::describe_db_error(&db), "storage failed");
                Self::internal()
            }
        }
    }
}

impl ResponseError for WireError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    /// A placeholder carrying the error; [`shape_errors`] renders it for the request's path.
    fn error_response(&self) -> HttpResponse {
        let mut response = self.render(Protocol::Problem, None);
        response.extensions_mut().insert(self.clone());
        response
    }
}

/// Middleware: gives every error response the body of its protocol.
pub async fn shape_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let path = req.path().to_owned();
    let allowed = req
        .app_data::<web::Data<Edge>>()
        .and_then(|edge| edge.allowed_methods.for_path(&path))
        .map(<[Method]>::to_vec);
    let request_id = req.extensions().get::<RequestId>().cloned();
    let response = match next.call(req).await {
        Ok(response) => response,
        // An inner middleware failed without producing a response.
        Err(err) => {
            let error = err
                .as_error::<WireError>()
                .cloned()
                .unwrap_or_else(|| WireError::from_status(err.as_response_error().status_code()));
            let rendered = error.render(
                Protocol::for_path(&path),
                request_id.as_ref().map(RequestId::as_str),
            );
            return Err(actix_web::error::InternalError::from_response(err, rendered).into());
        }
    };
    let status = response.status();
    if status.is_success() || status.is_redirection() || status.is_informational() {
        return Ok(response.map_into_boxed_body());
    }
    let carried = response.response().extensions().get::<WireError>().cloned();
    let method = response.request().method().clone();
    let mut extra_headers = Vec::new();
    let error = match (carried, &allowed) {
        (Some(error), _) => error,
        // actix's own 404 for a path we serve, with a method we do not.
        (None, Some(methods)) if status == StatusCode::NOT_FOUND && !methods.contains(&method) => {
            let list: Vec<&str> = methods.iter().map(Method::as_str).collect();
            extra_headers.push((header::ALLOW, list.join(", ")));
            WireError::from_status(StatusCode::METHOD_NOT_ALLOWED)
        }
        (None, _) if is_shaped(&response, &path) => return Ok(response.map_into_boxed_body()),
        (None, _) => {
            if let Some(cause) = response.response().error() {
                if status.is_server_error() {
                    tracing::error!(error = %cause, "request failed");
                } else {
                    tracing::debug!(error = %cause, "request refused");
                }
            }
            WireError::from_status(status)
        }
    };
    let (req, original) = response.into_parts();
    let mut rendered = error.render(
        Protocol::for_path(&path),
        request_id.as_ref().map(RequestId::as_str),
    );
    // Keep headers set upstream that the rendering did not decide itself.
    for (name, value) in original.headers() {
        if !rendered.headers().contains_key(name) && name != header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    for (name, value) in extra_headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            rendered.headers_mut().insert(name, value);
        }
    }
    Ok(ServiceResponse::new(req, rendered))
}

/// Whether a response already has the error body of its path's protocol.
fn is_shaped<B>(response: &ServiceResponse<B>, path: &str) -> bool {
    let expected = match Protocol::for_path(path) {
        Protocol::Scim => SCIM_CONTENT_TYPE,
        Protocol::Problem => PROBLEM_CONTENT_TYPE,
        Protocol::Html => "text/html",
    };
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(expected))
}
