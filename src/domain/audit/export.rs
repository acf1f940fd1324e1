//! Checking a JSON Lines export offline (`portcullis audit verify-export`): every record's hash
//! recomputed from its own fields, every link to the previous record, no gap in `seq`, every
//! signed checkpoint checked against the chain and the public key, and the export's own
//! checkpoint as its last line. Pure: the caller reads the file.

use serde_json::Value;
use uuid::Uuid;

use super::checkpoint::{AuditPublicKey, Reason, SignedCheckpoint};
use super::{CHECKPOINT_ACTION, GENESIS, RecordFields, canonical, chain_hash};

/// What a whole, intact export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub practice: Uuid,
    pub records: u64,
    pub checkpoints: u64,
    /// The export's own checkpoint (its last record).
    pub last: SignedCheckpoint,
}

/// Why an export does not verify: where (a line of the file, and the record's `seq` when
/// known) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFailure {
    pub line: usize,
    pub seq: Option<i64>,
    pub reason: String,
}

impl std::fmt::Display for ExportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "line {}, record {seq}: {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// One line of an export, read.
struct Line {
    practice: Uuid,
    seq: i64,
    prev_hash: [u8; 32],
    hash: [u8; 32],
    action: String,
    value: Value,
}

fn hash_field(value: &Value, name: &str) -> Result<[u8; 32], String> {
    value[name]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| format!("`{name}` is not 64 hex digits"))
}

fn read_line(text: &str) -> Result<Line, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not a JSON record: {e}"))?;
    let text_field = |name: &str| {
        value[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("`{name}` is missing or not text"))
    };
    let practice = Uuid::parse_str(&text_field("practice_id")?)
        .map_err(|_| "`practice_id` is not a UUID".to_owned())?;
    let seq = value["seq"]
        .as_i64()
        .ok_or("`seq` is missing or not a number")?;
    for name in ["at", "actor", "target"] {
        text_field(name)?;
    }
    let action = text_field("action")?;
    if value.get("detail").is_none() || value.get("request_id").is_none() {
        return Err("`detail` and `request_id` must be present (null when empty)".to_owned());
    }
    Ok(Line {
        practice,
        seq,
        prev_hash: hash_field(&value, "prev_hash")?,
        hash: hash_field(&value, "hash")?,
        action,
        value,
    })
}

/// The hash a line's fields give.
fn recomputed(line: &Line) -> [u8; 32] {
    let v = &line.value;
    let fields = RecordFields {
        practice: line.practice,
        seq: line.seq,
        at: v["at"].as_str().unwrap_or_default(),
        actor: v["actor"].as_str().unwrap_or_default(),
        action: &line.action,
        target: v["target"].as_str().unwrap_or_default(),
        detail: (!v["detail"].is_null()).then_some(&v["detail"]),
        request_id: v["request_id"].as_str(),
    };
    chain_hash(&line.prev_hash, &canonical(&fields))
}

/// Checks an export's lines (numbered from 1; blank lines are skipped) against `key`.
pub fn verify_export<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    key: &AuditPublicKey,
) -> Result<ExportSummary, ExportFailure> {
    let mut practice = None;
    let mut previous: Option<(i64, [u8; 32])> = None;
    let mut records = 0;
    let mut checkpoints = 0;
    let mut last: Option<(usize, i64, SignedCheckpoint)> = None;
    let mut last_line = 0;
    for (index, text) in lines.into_iter().enumerate() {
        let number = index + 1;
        if text.trim().is_empty() {
            continue;
        }
        last_line = number;
        let fail = |seq: Option<i64>, reason: String| ExportFailure {
            line: number,
            seq,
            reason,
        };
        let line = read_line(text).map_err(|reason| fail(None, reason))?;
        let seq = Some(line.seq);
        match practice {
            None => practice = Some(line.practice),
            Some(p) if p != line.practice => {
                return Err(fail(
                    seq,
                    "it belongs to another practice than the lines before it".to_owned(),
                ));
            }
            Some(_) => {}
        }
        match previous {
            None if line.seq != 1 => {
                return Err(fail(
                    seq,
                    format!(
                        "the export starts at record {} instead of record 1: records before it \
                         are missing (an export made with `from` or `to` is partial and cannot \
                         be checked whole: export without them)",
                        line.seq
                    ),
                ));
            }
            None if line.prev_hash != GENESIS => {
                return Err(fail(
                    seq,
                    "the first record's prev_hash is not the genesis value (64 zeros)".to_owned(),
                ));
            }
            Some((prev_seq, _)) if line.seq != prev_seq + 1 => {
                return Err(fail(
                    seq,
                    format!(
                        "gap: record {} follows record {prev_seq}; records {} to {} are missing",
                        line.seq,
                        prev_seq + 1,
                        line.seq - 1
                    ),
                ));
            }
            Some((prev_seq, prev_hash)) if line.prev_hash != prev_hash => {
                return Err(fail(
                    seq,
                    format!("its prev_hash does not link to record {prev_seq}'s hash"),
                ));
            }
            _ => {}
        }
        if recomputed(&line) != line.hash {
            return Err(fail(
                seq,
                "its content does not match its hash: it was altered".to_owned(),
            ));
        }
        if line.action == CHECKPOINT_ACTION {
            let signed = SignedCheckpoint::from_detail(line.practice, &line.value["detail"])
                .map_err(|e| fail(seq, format!("a checkpoint that cannot be read: {e}")))?;
            let claims = &signed.checkpoint;
            if claims.seq != line.seq - 1
                || claims.hash != line.prev_hash
                || claims.count != claims.seq
            {
                return Err(fail(
                    seq,
                    format!(
                        "the checkpoint does not describe the chain before it (it says record \
                         {} with {} records)",
                        claims.seq, claims.count
                    ),
                ));
            }
            key.verify(&signed)
                .map_err(|e| fail(seq, format!("checkpoint signed at {}: {e}", claims.at)))?;
            checkpoints += 1;
            last = Some((number, line.seq, signed));
        }
        previous = Some((line.seq, line.hash));
        records += 1;
    }
    let Some((last_seq, _)) = previous else {
        return Err(ExportFailure {
            line: 0,
            seq: None,
            reason: "the export is empty: every export holds at least the checkpoint made for it"
                .to_owned(),
        });
    };
    let missing_tail = |reason: String| ExportFailure {
        line: last_line,
        seq: Some(last_seq),
        reason,
    };
    match last {
        None => Err(missing_tail(
            "missing tail: no signed checkpoint in the export; every export ends with the \
             checkpoint made for it, so this one was cut short"
                .to_owned(),
        )),
        Some((_, seq, _)) if seq != last_seq => Err(missing_tail(format!(
            "missing tail: the export ends at record {last_seq}, after its last checkpoint \
             (record {seq}); every export ends with the checkpoint made for it, so this one was \
             cut short"
        ))),
        Some((_, seq, signed)) if signed.checkpoint.reason != Reason::Export => {
            Err(missing_tail(format!(
                "missing tail: the export ends at the {} checkpoint (record {seq}), not at one \
                 made for an export: it was cut short",
                signed.checkpoint.reason.as_str()
            )))
        }
        Some((_, _, signed)) => Ok(ExportSummary {
            practice: signed.checkpoint.practice,
            records,
            checkpoints,
            last: signed,
        }),
    }
}
