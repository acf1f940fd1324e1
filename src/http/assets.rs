//! The console's static files, compiled into the binary (no CDN: a practice may run without
//! internet access) and served under a name holding the first 16 hex digits of their SHA-256,
//! so a browser may keep them forever and a new release is fetched at once.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// `htmx-2.0.11.min.js`, as vendored.
    pub file: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
    /// The URL it is served at, with its hash: `/console/assets/htmx-2.0.11.min.<hash>.js`.
    pub url: String,
}

fn asset(file: &'static str, content_type: &'static str, bytes: &'static [u8]) -> Asset {
    let hash = hex::encode(&Sha256::digest(bytes)[..8]);
    let (stem, extension) = file.rsplit_once('.').unwrap_or((file, ""));
    Asset {
        file,
        content_type,
        bytes,
        url: format!("/console/assets/{stem}.{hash}.{extension}"),
    }
}

/// htmx 2.0.11 (BSD Zero Clause, `assets/htmx-LICENSE.txt`), unmodified from the npm package.
pub static HTMX: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "htmx-2.0.11.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/htmx-2.0.11.min.js"),
    )
});

/// The console's own script: keyboard, copy buttons, select-all.
pub static SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/console.js"),
    )
});

pub static STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "console.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/console.css"),
    )
});

/// `GET /console/assets/{name}`: an embedded file by its hashed name; anything else is 404
/// (given its page by `errors::shape_errors`, which this module must not import: the error
/// page links the stylesheet from here).
#[get("/assets/{name}")]
pub async fn serve(name: web::Path<String>) -> HttpResponse {
    let path = format!("/console/assets/{name}");
    [&*HTMX, &*SCRIPT, &*STYLESHEET]
        .into_iter()
        .find(|a| a.url == path)
        .map(|a| {
            HttpResponse::Ok()
                .content_type(a.content_type)
                .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
                .body(a.bytes)
        })
        .unwrap_or_else(|| HttpResponse::NotFound().finish())
}
