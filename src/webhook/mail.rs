//! Sending an alert as e-mail over SMTP (lettre): the same guard as webhooks (no private or
//! special addresses unless allowed; never unencrypted to a public server), the password read
//! from the environment at send time, and a `Message-ID` made from the event id, so a retry
//! after an answer that was lost is the same message to every mail system that dedupes.

use std::time::{Duration, Instant};

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::guard;
use crate::domain::delivery::AttemptResult;
use crate::domain::mail::{self, SmtpSecurity, SmtpSettings};

/// One alert to e-mail.
#[derive(Debug, Clone, Copy)]
pub(super) struct Letter<'a> {
    pub smtp: Option<&'a serde_json::Value>,
    pub event_id: uuid::Uuid,
    pub event_type: &'a str,
    pub payload: &'a serde_json::Value,
}

/// Sends `letter` once; the mail server's reply code is the attempt's status (2xx is
/// success, 4xx and 5xx are retried like a webhook's failure).
pub(super) async fn send(
    letter: Letter<'_>,
    allow_private: bool,
    timeout: Duration,
) -> AttemptResult {
    let started = Instant::now();
    let elapsed = || i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let failed = |status: Option<u16>, error: String| AttemptResult {
        status,
        error: Some(error),
        response_excerpt: None,
        duration_ms: elapsed(),
    };
    let settings: SmtpSettings = match letter.smtp.map(|v| serde_json::from_value(v.clone())) {
        Some(Ok(settings)) => settings,
        _ => return failed(None, "the e-mail channel has no SMTP settings".to_owned()),
    };
    let recipients = mail::recipients(letter.payload);
    if recipients.is_empty() {
        return AttemptResult {
            status: Some(204),
            error: None,
            response_excerpt: Some(
                "no one to e-mail: the alert names nobody with an address".into(),
            ),
            duration_ms: elapsed(),
        };
    }
    let address = match check_server(&settings, allow_private).await {
        Ok(address) => address,
        Err(why) => return failed(None, why),
    };
    let message = match build(&settings, &recipients, letter) {
        Ok(message) => message,
        Err(why) => return failed(None, why),
    };
    let transport = match transport(&settings, address, timeout) {
        Ok(transport) => transport,
        Err(why) => return failed(None, why),
    };
    match tokio::time::timeout(timeout, transport.send(message)).await {
        Ok(Ok(response)) => AttemptResult {
            status: Some(u16::from(response.code())),
            error: None,
            response_excerpt: Some(response.message().collect::<Vec<_>>().join(" ")),
            duration_ms: elapsed(),
        },
        Ok(Err(err)) => failed(err.status().map(u16::from), describe(&err)),
        Err(_) => failed(
            None,
            format!("the mail server did not answer within {timeout:?}"),
        ),
    }
}

/// The address to connect to: the server's addresses pass the webhook guard, and a
/// connection without encryption goes only to this machine or the private network. The
/// connection is made to the address checked here, never to the name resolved again (a name
/// could answer differently the second time).
async fn check_server(
    settings: &SmtpSettings,
    allow_private: bool,
) -> Result<std::net::SocketAddr, String> {
    let addresses: Vec<_> = tokio::net::lookup_host((settings.host.as_str(), settings.port))
        .await
        .map_err(|e| format!("cannot resolve the mail server {}: {e}", settings.host))?
        .collect();
    if addresses.is_empty() {
        return Err(format!("the mail server {} has no address", settings.host));
    }
    for address in &addresses {
        let public = guard::is_public(address.ip());
        if !public && !allow_private {
            return Err(format!(
                "the mail server {} resolves to a private or special address ({}), which \
                 alerts may not reach (webhook_allow_private)",
                settings.host,
                address.ip()
            ));
        }
        if public && settings.security == SmtpSecurity::None {
            return Err(format!(
                "the mail server {} is on the public internet: use security starttls or tls",
                settings.host
            ));
        }
    }
    Ok(addresses[0])
}

fn build(
    settings: &SmtpSettings,
    recipients: &[String],
    letter: Letter<'_>,
) -> Result<Message, String> {
    let composed = mail::compose(letter.event_type, letter.payload);
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| format!("the sender address {}: {e}", settings.from))?;
    let domain = mail::address_of(&settings.from)
        .and_then(|a| a.rsplit_once('@'))
        .map_or("portcullis.invalid", |(_, domain)| domain);
    let mut builder = Message::builder()
        .from(from)
        .subject(composed.subject)
        .message_id(Some(format!("<{}@{domain}>", letter.event_id)));
    // An address the mail library cannot take is left out rather than holding up the others.
    let mut any = false;
    for mailbox in recipients
        .iter()
        .filter_map(|to| to.parse::<Mailbox>().ok())
    {
        builder = builder.to(mailbox);
        any = true;
    }
    if !any {
        return Err("none of the alert's addresses is one a mail server takes".to_owned());
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            composed.text,
            composed.html,
        ))
        .map_err(|e| format!("cannot build the message: {e}"))
}

fn transport(
    settings: &SmtpSettings,
    address: std::net::SocketAddr,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls = || {
        TlsParameters::new(settings.host.clone())
            .map_err(|e| format!("TLS for {}: {e}", settings.host))
    };
    // Connect to the checked address; TLS still verifies the certificate for the host name.
    let mut builder =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
            .port(address.port())
            .timeout(Some(timeout))
            .tls(match settings.security {
                SmtpSecurity::Starttls => Tls::Required(tls()?),
                SmtpSecurity::Tls => Tls::Wrapper(tls()?),
                SmtpSecurity::None => Tls::None,
            });
    if let (Some(user), Some(variable)) = (&settings.username, &settings.password_env) {
        let password = std::env::var(variable).map_err(|_| {
            format!("the environment variable {variable} (the SMTP password) is not set")
        })?;
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

/// The error and its causes; the server's own words are part of it.
fn describe(err: &lettre::transport::smtp::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
