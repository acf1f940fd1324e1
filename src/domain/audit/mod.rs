//! The audit trail's recipes, written once so the service, `audit verify` and
//! `audit verify-export` (which reads a file and never opens a database) compute the same bytes;
//! the README's "Audit trail" section spells them out for auditors.
//!
//! A record's hash is `SHA-256(prev_hash ‖ canonical)`, `prev_hash` being the previous record's
//! hash in the practice's chain, or [`GENESIS`] (32 zero bytes) for the first record.
//! `canonical` is the compact JSON array of the record's fields in a fixed order (see
//! [`canonical`]).

pub mod checkpoint;
pub mod export;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of a practice's first record.
pub const GENESIS: [u8; 32] = [0; 32];

/// The action of a signed checkpoint's audit record.
pub const CHECKPOINT_ACTION: &str = "audit.checkpoint";

/// A record's fields as the hash covers them.
#[derive(Debug, Clone, Copy)]
pub struct RecordFields<'a> {
    pub practice: Uuid,
    pub seq: i64,
    /// As [`at_text`] writes it.
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: Option<&'a Value>,
    pub request_id: Option<&'a str>,
}

/// An instant as records carry it: RFC 3339 in UTC, always six fractional digits, `Z`
/// (`2026-11-24T12:00:00.000000Z`). Finer digits are dropped: both databases keep microseconds.
pub fn at_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The bytes a record's hash covers: the JSON array
/// `[practice_id, seq, at, actor, action, target, detail, request_id]`, compact (no spaces),
/// object keys of `detail` sorted, non-ASCII characters as UTF-8 (not escaped).
pub fn canonical(record: &RecordFields<'_>) -> Vec<u8> {
    json!([
        record.practice,
        record.seq,
        record.at,
        record.actor,
        record.action,
        record.target,
        record.detail,
        record.request_id,
    ])
    .to_string()
    .into_bytes()
}

/// `SHA-256(prev ‖ canonical)`.
pub fn chain_hash(prev: &[u8], canonical: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(canonical);
    hasher.finalize().into()
}

#[cfg(test)]
mod tests;
