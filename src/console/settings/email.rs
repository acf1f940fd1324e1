//! E-mail alerts in the console: the practice's mail server (the same checks as
//! `PUT /api/v1/email-settings`), a test e-mail, and stopping e-mail alerts.

use actix_web::HttpResponse;
use actix_web::post;
use serde::Deserialize;

use super::super::session::Act;
use super::{done, event_list, refused};
use crate::domain::mail::{SmtpSecurity, SmtpSettings, address_of};
use crate::engine::webhooks;
use crate::http::errors::WireError;
use crate::store::StoreError;

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    host: String,
    port: String,
    security: String,
    #[serde(default)]
    username: String,
    from: String,
    #[serde(default)]
    events: String,
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `POST /console/settings/email`: save the mail server (created on first save).
#[post("/settings/email")]
pub async fn save_email(act: Act<EmailForm>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let form = &act.form;
    let Ok(port) = form.port.trim().parse::<u16>() else {
        let why = StoreError::Refused("`port` must be a number from 1 to 65535".to_owned());
        return refused(me, "email", why).await;
    };
    let security = match form.security.as_str() {
        "tls" => SmtpSecurity::Tls,
        "none" => SmtpSecurity::None,
        _ => SmtpSecurity::Starttls,
    };
    let settings = SmtpSettings {
        host: form.host.trim().to_owned(),
        port,
        security,
        username: optional(&form.username),
        password_env: None,
        from: form.from.trim().to_owned(),
    };
    let slug = me.session.practice.slug.clone();
    let (settings, event_types) = match webhooks::checked_email(
        &me.state.webhooks,
        settings,
        event_list(&form.events),
        slug.as_str(),
    ) {
        Ok(checked) => checked,
        Err(e) => return refused(me, "email", e).await,
    };
    match me
        .store()
        .put_email_channel(&settings, &event_types, true, &me.actor())
        .await
    {
        Ok(_) => Ok(done(me, "email", "E-mail settings saved.")),
        Err(e) => refused(me, "email", e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct TestEmailForm {
    to: String,
}

/// `POST /console/settings/email/test`: queue a test e-mail to the address given.
#[post("/settings/email/test")]
pub async fn test_email(act: Act<TestEmailForm>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let Some(to) = address_of(&act.form.to) else {
        let why = StoreError::Refused(
            "Send the test to an e-mail address such as pat@clinic.example".to_owned(),
        );
        return refused(me, "email", why).await;
    };
    let store = me.store();
    let practice = store.practice().await?;
    match store
        .queue_email_test(to, practice.name.as_str(), &me.actor())
        .await
    {
        Ok(_) => {
            me.state.wake_delivery.notify_one();
            Ok(done(
                me,
                "email",
                &format!("Test e-mail queued to {to}; its delivery is in the e-mail log."),
            ))
        }
        Err(e) => refused(me, "email", e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /console/settings/email/delete`: stop e-mail alerts (the history stays).
#[post("/settings/email/delete")]
pub async fn delete_email(act: Act<NoFields>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    match me.store().delete_email_channel(&me.actor()).await {
        Ok(()) => Ok(done(me, "email", "E-mail alerts stopped.")),
        Err(e) => refused(me, "email", e).await,
    }
}
