//! The console pages not built yet say so, and where to do the same meanwhile, rather than
//! answering "not found" from the navigation.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::render;
use super::session::SignedIn;
use super::view::Frame;
use crate::http::errors::WireError;

#[derive(Template)]
#[template(path = "pending.html", config = "src/console/askama.toml")]
struct Pending {
    frame: Frame,
    meanwhile: &'static str,
}

#[get("/{page:settings}")]
pub async fn page(me: SignedIn, page: web::Path<String>) -> Result<HttpResponse, WireError> {
    let (section, meanwhile) = match page.as_str() {
        _ => (
            "Settings",
            "the /api/v1/settings, /api/v1/escalation-policy, /api/v1/webhooks and /api/v1/tokens routes",
        ),
    };
    render(&Pending {
        frame: Frame::load(&me, section, section).await?,
        meanwhile,
    })
}
