//! Signing in through the practice's own identity provider (`[[console.oidc]]`): the start
//! (send the browser to the provider with `state`, `nonce` and a PKCE challenge) and the
//! return (`/console/oidc/callback`). The provider proves an e-mail address
//! (`auth::oidc`); the session opens only for an active administrator of that practice with
//! that address, in the role Portcullis records.
//!
//! The sign-in in flight is kept server side (`store::console_oidc`), bound to the starting
//! browser by a short-lived cookie, so a code cannot be replayed into somebody else's browser.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, web};
use serde::Deserialize;

use super::see_other;
use super::session::{secure, session_cookie};
use super::signin::landing_page;
use crate::auth::oidc::OidcError;
use crate::domain::practice::PracticeSlug;
use crate::domain::session::new_secret;
use crate::http::errors::WireError;
use crate::http::request_id::RequestId;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::console_oidc::{OIDC_LOGIN_TTL, OidcProof};

const FLOW_COOKIE: &str = "portcullis_oidc";
const HOST_FLOW_COOKIE: &str = "__Host-portcullis_oidc";

fn flow_cookie_name(state: &AppState) -> &'static str {
    if secure(state) {
        HOST_FLOW_COOKIE
    } else {
        FLOW_COOKIE
    }
}

/// The cookie that ties a sign-in to the browser that started it. `SameSite=Lax`: the
/// provider's redirect back is a top-level GET, which Lax cookies go with.
fn flow_cookie(state: &AppState, value: &str) -> Cookie<'static> {
    Cookie::build(flow_cookie_name(state), value.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(state))
        .max_age(actix_web::cookie::time::Duration::seconds(
            OIDC_LOGIN_TTL.num_seconds(),
        ))
        .finish()
}

fn redirect_uri(state: &AppState) -> String {
    format!("{}/console/oidc/callback", state.public_url)
}

/// The sign-in page again, saying what went wrong (never a secret or a token).
async fn refused(
    state: &AppState,
    status: StatusCode,
    message: String,
) -> Result<HttpResponse, WireError> {
    let mut response = landing_page(state, Some(message)).await?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /console/sign-in/with/{practice}`: off to the practice's identity provider.
#[get("/sign-in/with/{practice}")]
pub async fn start(
    state: web::Data<AppState>,
    practice: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let client = state.oidc.for_practice(&practice);
    let slug = PracticeSlug::parse(&practice).ok();
    let found = match (client, slug) {
        (Some(client), Some(slug)) => match state.store.practice_by_slug(&slug).await {
            Ok(practice) => Some((client, practice)),
            Err(StoreError::NotFound(_)) => None,
            Err(other) => return Err(other.into()),
        },
        _ => None,
    };
    let Some((client, practice)) = found else {
        return refused(
            &state,
            StatusCode::NOT_FOUND,
            "No practice of that name signs in through an identity provider here. Check the \
             short name, or sign in with a one-time link."
                .into(),
        )
        .await;
    };
    let authorization = match client.authorization(&redirect_uri(&state)).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(issuer = client.issuer(), error = %e, "console sign-in: provider unavailable");
            return refused(
                &state,
                StatusCode::BAD_GATEWAY,
                format!(
                    "Sign-in through {} is not available just now: {e}.",
                    client.label()
                ),
            )
            .await;
        }
    };
    let browser = new_secret().text;
    state
        .store
        .begin_oidc_login(
            practice.id,
            &authorization.state,
            &browser,
            (&authorization.nonce, &authorization.code_verifier),
            state.clock.now(),
        )
        .await?;
    let mut response = see_other(&authorization.url);
    response
        .add_cookie(&flow_cookie(&state, &browser))
        .map_err(|_| WireError::internal())?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

/// `GET /console/oidc/callback`: the provider's answer. Checks it, opens the session.
#[get("/oidc/callback")]
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    answer: web::Query<Callback>,
) -> Result<HttpResponse, WireError> {
    let answer = answer.into_inner();
    if let Some(error) = &answer.error {
        // Only the error code, and only if it looks like one (RFC 6749 §4.1.2.1): anybody
        // can send a browser here with words of their choosing in `error_description`.
        let code = Some(error.as_str())
            .filter(|e| e.len() <= 40 && e.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .unwrap_or("an unrecognised error");
        return refused(
            &state,
            StatusCode::UNAUTHORIZED,
            format!(
                "Your identity provider did not sign you in ({code}). Start again, or ask \
                 whoever runs your identity provider."
            ),
        )
        .await;
    }
    let (Some(code), Some(flow_state)) = (&answer.code, &answer.state) else {
        return refused(
            &state,
            StatusCode::BAD_REQUEST,
            "This page is where your identity provider sends you back; it came without a \
             sign-in code. Start again from the sign-in page."
                .into(),
        )
        .await;
    };
    let browser = req
        .cookie(flow_cookie_name(&state))
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let now = state.clock.now();
    let pending = match state.store.take_oidc_login(flow_state, &browser, now).await {
        Ok(pending) => pending,
        Err(StoreError::Refused(why)) => {
            return refused(&state, StatusCode::BAD_REQUEST, capitalised(&why)).await;
        }
        Err(other) => return Err(other.into()),
    };
    let practice = state.store.tenant(pending.practice).practice().await?;
    let Some(client) = state.oidc.for_practice(practice.slug.as_str()) else {
        return refused(
            &state,
            StatusCode::BAD_REQUEST,
            "Sign-in through an identity provider is no longer set up for this practice.".into(),
        )
        .await;
    };
    let proved = async {
        client.check_response_issuer(answer.iss.as_deref()).await?;
        client
            .redeem(
                code,
                &pending.code_verifier,
                &pending.nonce,
                &redirect_uri(&state),
                now,
            )
            .await
    }
    .await;
    let identity = match proved {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!(issuer = client.issuer(), error = %e, "console sign-in refused");
            let status = match e {
                OidcError::Discovery(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::UNAUTHORIZED,
            };
            return refused(&state, status, format!("Sign-in refused: {e}.")).await;
        }
    };
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.as_str().to_owned());
    let proof = OidcProof {
        issuer: &identity.issuer,
        subject: &identity.subject,
        email: &identity.email,
    };
    let opened = state
        .store
        .open_oidc_session(
            pending.practice,
            proof,
            state.session_limits,
            now,
            request_id,
        )
        .await;
    let (secret, _) = match opened {
        Ok(opened) => opened,
        Err(StoreError::Refused(why)) => {
            tracing::warn!(
                issuer = client.issuer(),
                "console sign-in: not an administrator"
            );
            return refused(&state, StatusCode::FORBIDDEN, capitalised(&why)).await;
        }
        Err(other) => return Err(other.into()),
    };
    // Other practices trusting this provider are one click away on the practice picker;
    // the session starts in the practice whose provider proved it.
    let mut response = see_other("/console");
    let mut spent = flow_cookie(&state, "");
    spent.make_removal();
    response
        .add_cookie(&session_cookie(&state, &secret.text))
        .and_then(|()| response.add_cookie(&spent))
        .map_err(|_| WireError::internal())?;
    Ok(response)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
