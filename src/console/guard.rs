//! What every console response and request passes: security headers on every page, and a
//! same-origin check on every state-changing request (the `Origin` and `Sec-Fetch-Site`
//! headers browsers send), before the CSRF token is even looked at.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use crate::http::errors::WireError;
use crate::state::AppState;

/// Scripts only from this server (htmx and our own file, no inline script), nothing framed,
/// forms only to ourselves.
pub(super) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

pub async fn console_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let refused = (req.method() != Method::GET && req.method() != Method::HEAD)
        .then(|| cross_site(&req))
        .flatten();
    let mut response = match refused {
        Some(why) => {
            let error = WireError::forbidden(why);
            req.into_response(error.error_response())
                .map_into_right_body()
        }
        None => next.call(req).await?.map_into_left_body(),
    };
    let is_asset = response.request().path().starts_with("/console/assets/");
    let ok = response.status() == StatusCode::OK;
    let headers = response.headers_mut();
    // A page may narrow or name its own policy (the sign-in page lets its form lead on to
    // the practices' identity providers); every other page gets this one.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // Pages hold names of people and their access: never kept by the browser or a proxy.
    if !is_asset {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if ok && !is_asset {
        headers.insert(header::VARY, HeaderValue::from_static("Cookie, HX-Request"));
    }
    Ok(response)
}

/// Why a state-changing request is not from one of our own pages, if it is not.
fn cross_site(req: &ServiceRequest) -> Option<&'static str> {
    let site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if let Some(site) = site
        && site != "same-origin"
        && site != "none"
    {
        return Some("this request came from another site; use the console's own pages");
    }
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())?;
    let ours = own_origins(req);
    if ours.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
        None
    } else {
        Some("this request came from another origin; use the console's own pages")
    }
}

/// This console's origins: the configured public URL's, and the one the browser addressed
/// (a browser sets `Host` itself, so a page elsewhere cannot pretend to be it).
fn own_origins(req: &ServiceRequest) -> Vec<String> {
    let mut origins = Vec::new();
    if let Some(state) = req.app_data::<web::Data<AppState>>() {
        let url = state.public_url.as_str();
        let end = url
            .find("://")
            .map(|i| url[i + 3..].find('/').map_or(url.len(), |j| i + 3 + j))
            .unwrap_or(url.len());
        origins.push(url[..end].to_owned());
    }
    let info = req.connection_info();
    origins.push(format!("{}://{}", info.scheme(), info.host()));
    origins
}
