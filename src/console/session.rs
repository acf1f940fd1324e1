//! Who is signed in: the session cookie, its checks on every request (idle timeout, absolute
//! limit, an administrator still active in the practice), and the one gate every
//! state-changing request passes (`Act`): the session's CSRF token and the role's permission
//! (`domain::admin`, the same rule the admin API applies).

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::domain::actor::Actor;
use crate::domain::admin::Need;
use crate::domain::session::{SessionState, TOUCH_EVERY, csrf_matches, csrf_token};
use crate::http::Edge;
use crate::http::errors::WireError;
use crate::http::request_id::RequestId;
use crate::state::AppState;
use crate::store::TenantStore;
use crate::store::console::ConsoleSession;

/// Over plain HTTP (a laptop trial); `__Host-` needs `Secure`, which needs HTTPS.
const COOKIE: &str = "portcullis_session";
/// Whenever `public_url` is https: bound to this host, path `/`, never sent over HTTP.
const HOST_COOKIE: &str = "__Host-portcullis_session";

pub(super) fn secure(state: &AppState) -> bool {
    state.public_url.starts_with("https://")
}

fn cookie_name(state: &AppState) -> &'static str {
    if secure(state) { HOST_COOKIE } else { COOKIE }
}

/// The cookie that carries a new session's secret.
pub fn session_cookie(state: &AppState, secret: &str) -> Cookie<'static> {
    Cookie::build(cookie_name(state), secret.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(state))
        .finish()
}

/// A cookie that makes the browser forget the session.
pub fn cleared_cookie(state: &AppState) -> Cookie<'static> {
    let mut cookie = session_cookie(state, "");
    cookie.make_removal();
    cookie
}

/// Not signed in (or no longer): the browser is sent to the sign-in page, which says why.
#[derive(Debug)]
pub struct SignInRequired {
    why: &'static str,
    clear: Option<Cookie<'static>>,
}

impl std::fmt::Display for SignInRequired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sign in required ({})", self.why)
    }
}

impl ResponseError for SignInRequired {
    fn status_code(&self) -> StatusCode {
        StatusCode::SEE_OTHER
    }

    fn error_response(&self) -> HttpResponse {
        let to = format!("/console/sign-in?why={}", self.why);
        let mut response = HttpResponse::SeeOther();
        response
            .insert_header((header::LOCATION, to.clone()))
            // htmx follows redirects inside the page; this makes it load the sign-in page whole.
            .insert_header(("HX-Redirect", to));
        if let Some(cookie) = &self.clear {
            response.cookie(cookie.clone());
        }
        response.finish()
    }
}

/// A signed-in administrator, working in the session's practice.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: ConsoleSession,
    secret: String,
    pub state: web::Data<AppState>,
    request_id: Option<String>,
}

impl SignedIn {
    /// The practices this session may work in. A session opened by a practice's identity
    /// provider stays with the practices that trust that same provider: otherwise whoever
    /// runs one practice's IdP could, by asserting a shared administrator's address, reach
    /// that person's other practices.
    pub async fn switchable_practices(
        &self,
    ) -> Result<Vec<(crate::store::Practice, crate::domain::admin::AdminRole)>, WireError> {
        let all = self
            .state
            .store
            .practices_of_admin(self.session.admin.id)
            .await?;
        if self.session.method != "oidc" {
            return Ok(all);
        }
        let issuer_of = |slug: &str| self.state.oidc.for_practice(slug).map(|c| c.issuer());
        let mine = issuer_of(self.session.practice.slug.as_str());
        Ok(all
            .into_iter()
            .filter(|(p, _)| {
                p.id == self.session.practice.id
                    || (mine.is_some() && issuer_of(p.slug.as_str()) == mine)
            })
            .collect())
    }

    /// The session's practice: the only data a page can reach.
    pub fn store(&self) -> TenantStore<'_> {
        self.state.store.tenant(self.session.practice.id)
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.state.clock.now()
    }

    /// Who records say did it: the named administrator, as through the API.
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.session.actor_name(),
            admin_email: Some(self.session.admin.email.clone()),
            request_id: self.request_id.clone(),
            at: self.now(),
        }
    }

    /// The token every form of this session carries.
    pub fn csrf(&self) -> String {
        csrf_token(&self.secret)
    }

    /// Whether the role may do what `need` says (pages hide what it may not).
    pub fn may(&self, need: Need) -> bool {
        self.session.role.allows(need)
    }

    /// The session's secret, for signing out.
    pub(super) fn secret(&self) -> &str {
        &self.secret
    }
}

type Pending<T> = Pin<Box<dyn Future<Output = Result<T, actix_web::Error>>>>;

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = Pending<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in(&req).await })
    }
}

async fn signed_in(req: &HttpRequest) -> Result<SignedIn, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(WireError::unavailable)?;
    let required = |why| SignInRequired { why, clear: None };
    let Some(secret) = req
        .cookie(cookie_name(&state))
        .map(|c| c.value().to_owned())
    else {
        return Err(required("none").into());
    };
    let session = state
        .store
        .console_session(&secret)
        .await
        .map_err(WireError::from)?
        .ok_or_else(|| SignInRequired {
            why: "ended",
            clear: Some(cleared_cookie(&state)),
        })?;
    let now = state.clock.now();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.as_str().to_owned());
    let me = SignedIn {
        session,
        secret,
        state: state.clone(),
        request_id,
    };
    let verdict = state.session_limits.state(
        me.session.last_seen_at,
        me.session.expires_at,
        me.session.ended,
        now,
    );
    let why = match verdict {
        SessionState::Live => None,
        SessionState::Idle => Some("idle"),
        SessionState::Expired => Some("expired"),
        SessionState::Ended => Some("ended"),
    };
    if let Some(why) = why {
        if verdict != SessionState::Ended {
            let actor = Actor {
                at: now,
                ..me.actor()
            };
            state
                .store
                .end_console_session(&me.session, why, &actor)
                .await
                .map_err(WireError::from)?;
        }
        return Err(SignInRequired {
            why,
            clear: Some(cleared_cookie(&state)),
        }
        .into());
    }
    if now - me.session.last_seen_at >= TOUCH_EVERY {
        state
            .store
            .touch_console_session(me.session.id, now)
            .await
            .map_err(WireError::from)?;
    }
    Ok(me)
}

/// A file sent with a form (the evidence of "Mark done").
#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// A state-changing request that passed the gate: a live session, the session's CSRF token in
/// the form (`csrf`), and a role that may do it. Forms arrive urlencoded, or as multipart when
/// they carry a file; both are read into `T`.
#[derive(Debug)]
pub struct Act<T> {
    pub me: SignedIn,
    pub form: T,
    /// Every field as sent, in order (for repeated ones, such as the queue's `task` boxes).
    pub fields: Vec<(String, String)>,
    pub files: Vec<UploadedFile>,
}

/// What a console POST needs from the role, by its path: the admin API's rule (`Need`), in
/// the console's paths.
fn need_for(path: &str) -> Need {
    let path = path.trim_end_matches('/');
    if path.ends_with("/reassign")
        || path.ends_with("/cancel")
        || path.starts_with("/console/reviews")
    {
        // Access reviews are run and decided by managers and compliance officers too.
        Need::Oversee
    } else if path == "/console/sign-out"
        || path == "/console/practice"
        || path == "/console/audit/export"
    {
        // Signing out, switching practice, and exporting the trail (an auditor's job) are
        // open to every role.
        Need::Read
    } else {
        Need::Operate
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Act<T> {
    type Error = actix_web::Error;
    type Future = Pending<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let me = signed_in(&req).await?;
            if !me.may(need_for(req.path())) {
                return Err(WireError::forbidden(format!(
                    "your role ({}) cannot do this in the console",
                    me.session.role
                ))
                .into());
            }
            let limit = req
                .app_data::<web::Data<Edge>>()
                .map_or(1024 * 1024, |e| e.evidence_limit_bytes);
            let (fields, files) = read_form(&req, payload, limit).await?;
            let presented = fields
                .iter()
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            if !csrf_matches(me.secret(), presented) {
                return Err(WireError::forbidden(
                    "this form has expired or did not come from this console; reload the page \
                     and try again",
                )
                .into());
            }
            let encoded = serde_urlencoded::to_string(
                fields
                    .iter()
                    .filter(|(k, _)| k != "csrf")
                    .collect::<Vec<_>>(),
            )
            .map_err(|e| WireError::bad_request(e.to_string()))?;
            let form = serde_urlencoded::from_str::<T>(&encoded)
                .map_err(|e| WireError::bad_request(format!("the form is incomplete: {e}")))?;
            Ok(Act {
                me,
                form,
                fields,
                files,
            })
        })
    }
}

/// The fields and files of an urlencoded or multipart body; a file may hold `file_limit`
/// bytes, the fields beside it 64 KiB.
async fn read_form(
    req: &HttpRequest,
    payload: Payload,
    file_limit: usize,
) -> Result<(Vec<(String, String)>, Vec<UploadedFile>), actix_web::Error> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if !multipart {
        let body = web::Bytes::from_request(req, &mut { payload })
            .await
            .map_err(|_| WireError::bad_request("the form could not be read"))?;
        let fields = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .map_err(|e| WireError::bad_request(format!("the form could not be read: {e}")))?;
        return Ok((fields, Vec::new()));
    }
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let (mut fields, mut files, mut total) = (Vec::new(), Vec::new(), 0usize);
    while let Some(field) = form.next().await {
        let mut field = field
            .map_err(|e| WireError::bad_request(format!("the form could not be read: {e}")))?;
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk
                .map_err(|e| WireError::bad_request(format!("the form could not be read: {e}")))?;
            total += chunk.len();
            if total > file_limit + 64 * 1024 || bytes.len() + chunk.len() > file_limit {
                return Err(WireError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the file is larger than the {file_limit} bytes this service accepts"),
                )
                .into());
            }
            bytes.extend_from_slice(&chunk);
        }
        match filename {
            // A file input left empty still sends a part, with no name and no bytes.
            Some(filename) if !filename.is_empty() || !bytes.is_empty() => {
                files.push(UploadedFile { filename, bytes });
            }
            Some(_) => {}
            None => fields.push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok((fields, files))
}

#[cfg(test)]
mod tests {
    use super::need_for;
    use crate::domain::admin::Need;

    #[test]
    fn console_posts_need_what_the_api_would() {
        assert_eq!(need_for("/console/tasks/x/claim"), Need::Operate);
        assert_eq!(need_for("/console/tasks/x/reassign"), Need::Oversee);
        assert_eq!(need_for("/console/tasks/x/cancel"), Need::Oversee);
        assert_eq!(need_for("/console/queue/reassign"), Need::Oversee);
        assert_eq!(need_for("/console/sign-out"), Need::Read);
        assert_eq!(need_for("/console/audit/export"), Need::Read);
        assert_eq!(need_for("/console/reviews/x/items/y"), Need::Oversee);
    }
}
