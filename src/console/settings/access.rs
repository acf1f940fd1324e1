//! Who may act for the practice: administrators (added with a role, or taken off the
//! practice's list) and the identity provider's tokens (made with the secret shown once,
//! revoked). Audited under the portal administrator who did it.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use uuid::Uuid;

use super::super::session::Act;
use super::{ShownSecret, done, refused, settings_page};
use crate::domain::admin::AdminRole;
use crate::http::errors::WireError;
use crate::store::StoreError;

#[derive(Debug, Deserialize)]
pub struct NewAdminForm {
    email: String,
    name: String,
    role: String,
}

/// `POST /console/settings/admins`: add an administrator to the practice, or change the role
/// of one already there. They sign in with a link or the practice's identity provider.
#[post("/settings/admins")]
pub async fn add_admin(act: Act<NewAdminForm>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let form = &act.form;
    let email = form.email.trim();
    let checked = (|| {
        let valid_email = email.len() <= 254
            && email
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'));
        if !valid_email {
            return Err(StoreError::Refused(format!(
                "`{email}` is not an e-mail address"
            )));
        }
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(StoreError::Refused(
                "the name is 1 to 200 characters".into(),
            ));
        }
        form.role
            .parse::<AdminRole>()
            .map_err(|e| StoreError::Refused(e.to_string()))
    })();
    let role = match checked {
        Ok(role) => role,
        Err(e) => return refused(me, "administrators", e).await,
    };
    match me
        .store()
        .add_practice_admin(email, form.name.trim(), role, &me.actor())
        .await
    {
        Ok(added) => Ok(done(
            me,
            "administrators",
            &format!(
                "{} is a {} of the practice. They sign in with a link (portcullis admin \
                 sign-in-link) or through the practice's identity provider.",
                added.email,
                role.as_str().replace('_', " ")
            ),
        )),
        Err(e) => refused(me, "administrators", e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /console/settings/admins/{id}/remove`: take an administrator off the practice's list.
#[post("/settings/admins/{id}/remove")]
pub async fn remove_admin(
    act: Act<NoFields>,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let id = Uuid::try_parse(&id).map_err(|_| WireError::not_found("administrator not found"))?;
    match me.store().remove_practice_admin(id, &me.actor()).await {
        Ok(removed) => Ok(done(
            me,
            "administrators",
            &format!(
                "{} can no longer act for the practice; their tokens here are revoked and \
                 their sessions here ended.",
                removed.email
            ),
        )),
        Err(e) => refused(me, "administrators", e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct NewTokenForm {
    name: String,
}

/// `POST /console/settings/tokens`: a token for the identity provider (scope `scim`); the
/// page shows it once.
#[post("/settings/tokens")]
pub async fn create_token(act: Act<NewTokenForm>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    match me
        .store()
        .issue_idp_token(&act.form.name, &me.actor())
        .await
    {
        Ok(issued) => {
            let shown = ShownSecret {
                what: format!(
                    "The token \"{}\": paste it into your identity provider's SCIM settings \
                     (the \"Secret Token\" or bearer token) with the base URL {}/scim/v2. \
                     Copy it now; it is not shown again.",
                    issued.token.name, me.state.public_url
                ),
                text: issued.text,
            };
            settings_page(
                me,
                Some(format!("Token \"{}\" made.", issued.token.name)),
                None,
                Some(shown),
            )
            .await
        }
        Err(e) => refused(me, "tokens", e).await,
    }
}

/// `POST /console/settings/tokens/{id}/revoke`: at once on this instance, within
/// `auth_cache_ttl` on the others.
#[post("/settings/tokens/{id}/revoke")]
pub async fn revoke_token(
    act: Act<NoFields>,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let id = Uuid::try_parse(&id).map_err(|_| WireError::not_found("token not found"))?;
    let store = me.store();
    let token = store.token(id).await?;
    store.revoke_token(id, &me.actor()).await?;
    Ok(done(
        me,
        "tokens",
        &format!("Token \"{}\" revoked; it no longer works.", token.name),
    ))
}
