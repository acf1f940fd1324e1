//! Console sign-in secrets and session lifetimes (DESIGN.md "Console"): a one-time link and a
//! session cookie each carry 32 random bytes; only their SHA-256 is stored. A session ends
//! after `idle` without a request (HIPAA's automatic logoff) or `max_age` after sign-in,
//! whichever comes first. The CSRF token is derived from the session secret, so it needs no
//! storage and dies with the session.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A fresh secret: its text (for the URL or cookie, shown once) and the hash to store.
#[derive(Debug, Clone)]
pub struct Secret {
    pub text: String,
    pub sha256: [u8; 32],
}

pub fn new_secret() -> Secret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let text = hex::encode(bytes);
    Secret {
        sha256: secret_sha256(&text),
        text,
    }
}

/// The stored form of a presented secret. Anything that is not 64 hex digits hashes to a
/// value no secret of ours has, so lookups simply find nothing.
pub fn secret_sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// The session's CSRF token: a keyed hash of its secret, never the secret itself (it goes in
/// page HTML, which the cookie never does).
pub fn csrf_token(session_secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"portcullis console csrf\0");
    hasher.update(session_secret.as_bytes());
    hex::encode(hasher.finalize())
}

pub fn csrf_matches(session_secret: &str, presented: &str) -> bool {
    csrf_token(session_secret)
        .as_bytes()
        .ct_eq(presented.as_bytes())
        .into()
}

/// How long sessions and links live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle: Duration,
    pub max_age: Duration,
}

/// Whether a session can still be used at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Live,
    /// No request for longer than the idle timeout.
    Idle,
    /// Past its absolute limit.
    Expired,
    /// Signed out, or ended when its administrator was deactivated.
    Ended,
}

impl SessionLimits {
    pub fn state(
        &self,
        last_seen: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        ended: bool,
        now: DateTime<Utc>,
    ) -> SessionState {
        if ended {
            SessionState::Ended
        } else if now >= expires_at {
            SessionState::Expired
        } else if now - last_seen >= self.idle {
            SessionState::Idle
        } else {
            SessionState::Live
        }
    }
}

/// A session's `last_seen_at` is written at most this often: every page would otherwise be a
/// write. The idle timeout is then exact to within this much.
pub const TOUCH_EVERY: Duration = Duration::seconds(30);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_session_ends_when_idle_expired_or_ended() {
        let limits = SessionLimits {
            idle: Duration::minutes(15),
            max_age: Duration::hours(12),
        };
        let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let expires = t0 + limits.max_age;
        let at = |m| t0 + Duration::minutes(m);
        assert_eq!(limits.state(t0, expires, false, at(14)), SessionState::Live);
        assert_eq!(limits.state(t0, expires, false, at(15)), SessionState::Idle);
        assert_eq!(
            limits.state(at(715), expires, false, at(720)),
            SessionState::Expired
        );
        assert_eq!(limits.state(t0, expires, true, at(1)), SessionState::Ended);
    }

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        let (a, b) = (new_secret(), new_secret());
        assert!(csrf_matches(&a.text, &csrf_token(&a.text)));
        assert!(!csrf_matches(&a.text, &csrf_token(&b.text)));
        assert!(!csrf_matches(&a.text, ""));
        assert_ne!(csrf_token(&a.text), a.text);
    }
}
