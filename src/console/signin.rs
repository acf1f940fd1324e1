//! Signing in and out: the landing page, the one-time link (a page with a "Sign in" button,
//! so a mail scanner that opens the link does not use it up), signing out, and choosing the
//! practice to work in.

use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::session::{Act, SignedIn, cleared_cookie, session_cookie};
use super::view::{Bare, Frame, When, urlencode};
use super::{render, see_other};
use crate::domain::practice::PracticeSlug;
use crate::http::errors::WireError;
use crate::http::request_id::RequestId;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct LandingQuery {
    why: Option<String>,
}

#[derive(Template)]
#[template(path = "sign_in.html", config = "src/console/askama.toml")]
struct Landing {
    frame: Bare,
    message: Option<String>,
    /// With one practice signing in through its identity provider: its button.
    provider: Option<(String, String)>,
    /// With several: a field for the practice's short name (the page never lists the
    /// deployment's practices to whoever opens it).
    ask_practice: bool,
    link_ttl: &'static str,
}

/// `GET /console/sign-in`: how to get in, and why you are here again.
#[get("/sign-in")]
pub async fn landing(
    state: web::Data<AppState>,
    query: web::Query<LandingQuery>,
) -> Result<HttpResponse, WireError> {
    let message = match query.why.as_deref() {
        Some("idle") => {
            Some("You were signed out after a time without activity. Sign in again to go on.")
        }
        Some("expired") => Some("Your session reached its time limit. Sign in again to go on."),
        Some("ended") => Some("Your session has ended. Sign in again to go on."),
        Some("signed-out") => Some("You are signed out."),
        _ => None,
    };
    landing_page(&state, message.map(str::to_owned)).await
}

/// The sign-in page: the way in through the practice's identity provider (if any is set
/// up), and how to get a one-time link; `message` says why the visitor is here.
pub(super) async fn landing_page(
    state: &AppState,
    message: Option<String>,
) -> Result<HttpResponse, WireError> {
    let providers: Vec<_> = state.oidc.all().collect();
    let provider = match providers.as_slice() {
        [only] => Some((
            only.label(),
            format!("/console/sign-in/with/{}", urlencode(only.practice())),
        )),
        _ => None,
    };
    let mut response = render(&Landing {
        frame: Bare::new("Sign in"),
        message,
        ask_practice: providers.len() > 1,
        provider,
        link_ttl: "a few minutes",
    })?;
    // Browsers hold a form's whole redirect chain to `form-action`: the practice form leads,
    // through our own redirects, to a provider's sign-in page.
    let origins: std::collections::BTreeSet<String> = providers
        .iter()
        .filter_map(|c| url::Url::parse(c.issuer()).ok())
        .map(|u| u.origin().ascii_serialization())
        .collect();
    if !origins.is_empty() {
        let policy = super::guard::CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'",
            &format!(
                "form-action 'self' {}",
                origins.into_iter().collect::<Vec<_>>().join(" ")
            ),
        );
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&policy) {
            response
                .headers_mut()
                .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct PracticeQuery {
    practice: String,
}

/// `GET /console/sign-in-with?practice=acme`: on to that practice's identity provider.
#[get("/sign-in-with")]
pub async fn sign_in_with(query: web::Query<PracticeQuery>) -> HttpResponse {
    let slug = query.practice.trim().to_lowercase();
    see_other(&format!("/console/sign-in/with/{}", urlencode(&slug)))
}

struct LinkFacts {
    practice: String,
    name: String,
    email: String,
    expires: When,
}

#[derive(Template)]
#[template(path = "sign_in_link.html", config = "src/console/askama.toml")]
struct LinkPage {
    frame: Bare,
    link: Option<LinkFacts>,
    action: String,
}

/// `GET /console/sign-in/{secret}`: who the link signs in, and a button to do it. Opening
/// the page uses nothing.
#[get("/sign-in/{secret}")]
pub async fn link_page(
    state: web::Data<AppState>,
    secret: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let now = state.clock.now();
    let link = state
        .store
        .sign_in_link(&secret)
        .await?
        .filter(|l| !l.used && l.expires_at > now);
    let link = link.map(|l| LinkFacts {
        expires: When::at(l.expires_at, now, l.practice.time_zone.tz()),
        practice: l.practice.name.as_str().to_owned(),
        name: l.admin.name,
        email: l.admin.email,
    });
    render(&LinkPage {
        frame: Bare::new("Sign in"),
        link,
        action: format!("/console/sign-in/{}", secret.as_str()),
    })
}

/// `POST /console/sign-in/{secret}`: uses the link (once), opens a session, sets its cookie.
#[post("/sign-in/{secret}")]
pub async fn use_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    secret: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.as_str().to_owned());
    let (session_secret, session) = state
        .store
        .redeem_sign_in_link(&secret, state.session_limits, state.clock.now(), request_id)
        .await?;
    let several = state
        .store
        .practices_of_admin(session.admin.id)
        .await?
        .len()
        > 1;
    let to = if several {
        "/console/practices"
    } else {
        "/console"
    };
    let mut response = see_other(to);
    response
        .add_cookie(&session_cookie(&state, &session_secret.text))
        .map_err(|_| WireError::internal())?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /console/sign-out`: ends the session on the server, then forgets the cookie.
#[post("/sign-out")]
pub async fn sign_out(act: Act<NoFields>) -> Result<HttpResponse, WireError> {
    let me = act.me;
    me.state
        .store
        .end_console_session(&me.session, "signed out", &me.actor())
        .await?;
    let mut response = see_other("/console/sign-in?why=signed-out");
    response
        .add_cookie(&cleared_cookie(&me.state))
        .map_err(|_| WireError::internal())?;
    Ok(response)
}

struct PracticeChoice {
    slug: String,
    name: String,
    role: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "practices.html", config = "src/console/askama.toml")]
struct Practices {
    frame: Frame,
    practices: Vec<PracticeChoice>,
}

/// `GET /console/practices`: the practices this administrator works in.
#[get("/practices")]
pub async fn practices(me: SignedIn) -> Result<HttpResponse, WireError> {
    let all = me.switchable_practices().await?;
    let choices = all
        .iter()
        .map(|(p, role)| PracticeChoice {
            slug: p.slug.to_string(),
            name: p.name.as_str().to_owned(),
            role: role.as_str().replace('_', " "),
            current: p.id == me.session.practice.id,
        })
        .collect();
    render(&Practices {
        frame: Frame::new(&me, "Choose a practice", "", all.len() > 1),
        practices: choices,
    })
}

#[derive(Debug, Deserialize)]
pub struct SwitchForm {
    practice: String,
}

/// `POST /console/practice`: work in another of one's practices.
#[post("/practice")]
pub async fn switch_practice(act: Act<SwitchForm>) -> Result<HttpResponse, WireError> {
    let me = act.me;
    let slug = PracticeSlug::parse(&act.form.practice)
        .map_err(|_| WireError::not_found("practice not found"))?;
    let practice = me
        .switchable_practices()
        .await?
        .into_iter()
        .map(|(p, _)| p)
        .find(|p| p.slug == slug)
        .ok_or_else(|| WireError::not_found("practice not found"))?;
    me.state
        .store
        .switch_console_practice(&me.session, practice.id)
        .await?;
    Ok(see_other("/console"))
}
