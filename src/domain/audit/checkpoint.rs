//! Signed checkpoints, as AWS CloudTrail's digest files: the service signs a practice's chain
//! head (sequence number, hash, record count, time, and why) with the deployment's Ed25519 key.
//! A copy of a checkpoint outside the database (an export, a daily digest) proves the trail
//! reached that head, and nobody without the key can make one for a rewritten or shortened
//! trail.
//!
//! The signed bytes are [`Checkpoint::message`]: UTF-8 lines joined by `\n`, no final newline:
//!
//! ```text
//! portcullis-audit-checkpoint:v1
//! <practice id, lowercase hyphenated UUID>
//! <seq of the head, decimal; 0 for an empty chain>
//! <hash of the head, 64 lowercase hex digits; the genesis value for an empty chain>
//! <records in the chain up to the head, decimal>
//! <time of signing, RFC 3339 UTC with six fractional digits and Z>
//! <reason: daily | export>
//! ```
//!
//! A key is named by its id: the first 16 hex digits of SHA-256 of the 32-byte public key.
//! Public keys, hashes and signatures are written in lowercase hex.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::at_text;

/// The first line of every signed message: the recipe's name and version.
pub const MESSAGE_PREFIX: &str = "portcullis-audit-checkpoint:v1";

/// Why a checkpoint was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The sweeper's daily checkpoint (and the one the daily digest carries).
    Daily,
    /// Made for an export, whose last record it is.
    Export,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Export => "export",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "daily" => Some(Self::Daily),
            "export" => Some(Self::Export),
            _ => None,
        }
    }
}

/// What a checkpoint says: the practice's chain reached `seq` with `hash`, `count` records, at
/// `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub practice: Uuid,
    pub seq: i64,
    pub hash: [u8; 32],
    pub count: i64,
    pub at: DateTime<Utc>,
    pub reason: Reason,
}

impl Checkpoint {
    /// The signed bytes (see the module's documentation).
    pub fn message(&self) -> Vec<u8> {
        [
            MESSAGE_PREFIX.to_owned(),
            self.practice.to_string(),
            self.seq.to_string(),
            hex::encode(self.hash),
            self.count.to_string(),
            at_text(self.at),
            self.reason.as_str().to_owned(),
        ]
        .join("\n")
        .into_bytes()
    }
}

/// A checkpoint with its signature and the id of the key that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub key_id: String,
    pub signature: [u8; 64],
}

impl SignedCheckpoint {
    /// The `detail` of the checkpoint's audit record.
    pub fn detail(&self) -> Value {
        let c = &self.checkpoint;
        json!({
            "seq": c.seq,
            "hash": hex::encode(c.hash),
            "count": c.count,
            "at": at_text(c.at),
            "reason": c.reason.as_str(),
            "key_id": self.key_id,
            "signature": hex::encode(self.signature),
        })
    }

    /// Reads a checkpoint record's `detail` back.
    pub fn from_detail(practice: Uuid, detail: &Value) -> Result<Self, String> {
        let text = |name: &str| {
            detail[name]
                .as_str()
                .ok_or_else(|| format!("its detail has no `{name}` text"))
        };
        let number = |name: &str| {
            detail[name]
                .as_i64()
                .ok_or_else(|| format!("its detail has no `{name}` number"))
        };
        let hash = hex::decode(text("hash")?)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or("its `hash` is not 64 hex digits")?;
        let signature = hex::decode(text("signature")?)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .ok_or("its `signature` is not 128 hex digits")?;
        let at = DateTime::parse_from_rfc3339(text("at")?)
            .map_err(|e| format!("its `at` is not an RFC 3339 time: {e}"))?
            .with_timezone(&Utc);
        let reason = Reason::parse(text("reason")?).ok_or("its `reason` is unknown")?;
        Ok(Self {
            checkpoint: Checkpoint {
                practice,
                seq: number("seq")?,
                hash,
                count: number("count")?,
                at,
                reason,
            },
            key_id: text("key_id")?.to_owned(),
            signature,
        })
    }
}

/// The deployment's signing key.
pub struct AuditSigner {
    key: SigningKey,
    public: AuditPublicKey,
}

impl std::fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("AuditSigner")
            .field("key_id", &self.public.key_id())
            .finish_non_exhaustive()
    }
}

impl AuditSigner {
    /// From the 32-byte secret seed (RFC 8032 §5.1.5).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let key = SigningKey::from_bytes(seed);
        let public = AuditPublicKey(key.verifying_key());
        Self { key, public }
    }

    pub fn public_key(&self) -> &AuditPublicKey {
        &self.public
    }

    pub fn sign(&self, checkpoint: Checkpoint) -> SignedCheckpoint {
        let signature = self.key.sign(&checkpoint.message()).to_bytes();
        SignedCheckpoint {
            checkpoint,
            key_id: self.public.key_id(),
            signature,
        }
    }
}

/// A deployment's public key, which checks its checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPublicKey(VerifyingKey);

impl AuditPublicKey {
    /// Reads the key as `portcullis audit public-key` prints it: 64 hex digits.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or(
                "a public key is 64 hexadecimal digits, as `portcullis audit public-key` prints it",
            )?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| "that is not an Ed25519 public key".to_owned())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// The first 16 hex digits of SHA-256 of the public key.
    pub fn key_id(&self) -> String {
        hex::encode(&Sha256::digest(self.0.as_bytes())[..8])
    }

    /// Whether `signed` was made by this key, untouched.
    pub fn verify(&self, signed: &SignedCheckpoint) -> Result<(), String> {
        if signed.key_id != self.key_id() {
            return Err(format!(
                "it was signed by key {}, not by the key given ({})",
                signed.key_id,
                self.key_id()
            ));
        }
        self.0
            .verify_strict(
                &signed.checkpoint.message(),
                &Signature::from_bytes(&signed.signature),
            )
            .map_err(|_| "its signature does not verify: it was altered or forged".to_owned())
    }
}
