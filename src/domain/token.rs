//! API token text: `pcl_<id>_<secret>`.
//!
//! The id (32 hex digits) names the stored row, so a lookup is by primary key and the secret's
//! hash is then compared in constant time. The secret is 32 random bytes (256 bits) as 64 hex
//! digits. Only its SHA-256 is stored; the whole text is shown once, at creation. The `pcl_`
//! prefix lets secret scanners recognise a leaked token.

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

const PREFIX: &str = "pcl_";

/// A freshly generated token: the text for the user and what the store keeps.
#[derive(Debug)]
pub struct GeneratedToken {
    pub id: Uuid,
    pub text: String,
    pub secret_sha256: [u8; 32],
}

/// A presented token, split into its parts. Not yet verified.
#[derive(Debug, PartialEq, Eq)]
pub struct PresentedToken<'a> {
    pub id: Uuid,
    secret: &'a str,
}

pub fn generate() -> GeneratedToken {
    let id = Uuid::now_v7();
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let secret = hex::encode(secret);
    GeneratedToken {
        id,
        text: format!("{PREFIX}{}_{secret}", id.simple()),
        secret_sha256: sha256(&secret),
    }
}

/// Whether a bearer value is shaped like one of our tokens (rather than a JWT).
pub fn looks_like_api_token(text: &str) -> bool {
    text.starts_with(PREFIX)
}

pub fn parse(text: &str) -> Option<PresentedToken<'_>> {
    let rest = text.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    if id.len() != 32 || secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id = Uuid::try_parse(id).ok()?;
    Some(PresentedToken { id, secret })
}

impl PresentedToken<'_> {
    /// Constant-time comparison of the presented secret's hash with the stored one.
    pub fn matches(&self, stored_sha256: &[u8]) -> bool {
        sha256(self.secret).ct_eq(stored_sha256).into()
    }
}

fn sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_match_only_their_own_hash() {
        let a = generate();
        let b = generate();
        assert_ne!(a.text, b.text);
        let presented = parse(&a.text).unwrap();
        assert_eq!(presented.id, a.id);
        assert!(presented.matches(&a.secret_sha256));
        assert!(!presented.matches(&b.secret_sha256));
        assert!(!presented.matches(&[]));
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        let good = generate().text;
        for bad in [
            "",
            "pcl_",
            "Bearer x",
            &good[..good.len() - 1],
            &good.replace("pcl_", "pcx_"),
            &format!("{good}0"),
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
