//! Sending alerts: the outbound HTTP client (guarded against private addresses, no
//! redirects, bounded time), the HMAC signature, and the body formats; and e-mail over SMTP
//! for the practice's e-mail channel (`mail`).

pub mod format;
pub mod guard;
mod mail;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::delivery::AttemptResult;

/// One event on its way to one subscription: what [`WebhookClient::send`] needs of each.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub url: &'a str,
    /// `json`, `slack` or `teams` (see [`format::render`]), or `email`.
    pub format: &'a str,
    /// The e-mail channel's SMTP settings (`domain::mail::SmtpSettings` as JSON).
    pub smtp: Option<&'a serde_json::Value>,
    /// The subscription's signing secret.
    pub secret: &'a str,
    /// The event id: the `Idempotency-Key`, the same on every retry.
    pub event_id: uuid::Uuid,
    pub event_type: &'a str,
    pub payload: &'a serde_json::Value,
}

/// The format of the practice's e-mail channel.
pub use crate::domain::mail::EMAIL_FORMAT as EMAIL;

/// The longest answer kept per attempt.
const EXCERPT_BYTES: usize = 512;

#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    allow_private: bool,
    timeout: Duration,
}

impl WebhookClient {
    pub fn new(allow_private: bool, timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            // A redirect could lead anywhere, past the address check: treat it as a failure.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would make the connection, not us, so the address check would not hold.
            .no_proxy()
            .dns_resolver(Arc::new(guard::GuardedResolver { allow_private }))
            .user_agent(concat!("portcullis-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            allow_private,
            timeout,
        })
    }

    /// Whether alerts may go to loopback and private addresses (`webhook_allow_private`).
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// Checks a URL an administrator registers (see [`guard::check_url`]).
    pub fn check_url(&self, url: &str) -> Result<(), String> {
        guard::check_url(url, self.allow_private).map(|_| ())
    }

    /// Sends the message once: the body in the hook's format, signed with its secret,
    /// with the event id as the idempotency key (the same on every retry).
    pub async fn send(&self, message: Outgoing<'_>) -> AttemptResult {
        if message.format == EMAIL {
            let letter = mail::Letter {
                smtp: message.smtp,
                event_id: message.event_id,
                event_type: message.event_type,
                payload: message.payload,
            };
            return mail::send(letter, self.allow_private, self.timeout).await;
        }
        let started = Instant::now();
        let elapsed =
            |started: Instant| i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let failed = |error: String| AttemptResult {
            status: None,
            error: Some(error),
            response_excerpt: None,
            duration_ms: elapsed(started),
        };
        let url = match guard::check_url(message.url, self.allow_private) {
            Ok(url) => url,
            Err(why) => return failed(why),
        };
        let body = format::render(message.format, message.payload).to_string();
        let response = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", message.event_id.to_string())
            .header("X-Portcullis-Event", message.event_type)
            .header(
                "X-Portcullis-Signature",
                signature(message.secret, body.as_bytes()),
            )
            .body(body)
            .send()
            .await;
        match response {
            Ok(response) => {
                let status = response.status().as_u16();
                let excerpt = read_excerpt(response).await;
                AttemptResult {
                    status: Some(status),
                    error: (!(200..300).contains(&status)).then(|| format!("HTTP {status}")),
                    response_excerpt: excerpt,
                    duration_ms: elapsed(started),
                }
            }
            // The error's chain says what failed (refused, timed out, address not allowed);
            // the URL is left out: it may hold a token (Slack's do).
            Err(err) => failed(describe(&err.without_url())),
        }
    }
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn read_excerpt(mut response: reqwest::Response) -> Option<String> {
    let mut kept = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = EXCERPT_BYTES - kept.len();
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if kept.len() >= EXCERPT_BYTES {
            break;
        }
    }
    (!kept.is_empty()).then(|| String::from_utf8_lossy(&kept).into_owned())
}

fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn signatures_are_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            super::signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
