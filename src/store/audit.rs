//! The audit trail: one append-only row per state change, written in the transaction of the
//! change, each chained to the previous one of its practice:
//! `hash = SHA-256(prev_hash ‖ canonical record)`. Nothing here updates or deletes a row, and
//! the database refuses to (triggers). [`TenantStore::verify_audit`] recomputes the chain and
//! reports the first record that does not match; an [`Anchor`] (a head kept outside the
//! database) also catches a chain rewritten from scratch or cut short.

use chrono::{DateTime, SecondsFormat, Utc};
use entities::audit_event;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{PracticeId, StoreError, TenantStore};

use crate::domain::actor::Actor;

/// An audit record as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: Option<Value>,
    pub request_id: Option<String>,
    pub hash: String,
}

/// The bytes a record's hash covers: every field, in a fixed order, as JSON (serde_json keeps
/// object keys sorted, so `detail` is canonical too).
fn canonical(practice: uuid::Uuid, seq: i64, record: &audit_event::Model) -> Vec<u8> {
    json!([
        practice,
        seq,
        record.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        record.actor,
        record.action,
        record.target,
        record.detail,
        record.request_id,
    ])
    .to_string()
    .into_bytes()
}

fn chain_hash(prev: &[u8], canonical: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(canonical);
    hasher.finalize().to_vec()
}

pub(crate) async fn append(
    db: &impl ConnectionTrait,
    practice: PracticeId,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: Option<Value>,
) -> Result<(), StoreError> {
    append_all(
        db,
        practice,
        actor,
        vec![Entry {
            action: action.to_owned(),
            target: target.to_owned(),
            detail,
        }],
    )
    .await
}

/// One record to append, by the same actor as the others in its batch.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub action: String,
    pub target: String,
    pub detail: Option<Value>,
}

/// Appends records in order with one read of the chain's head and one insert: a change that
/// plans several tasks costs two statements for its trail, not two per record.
pub(crate) async fn append_all(
    db: &impl ConnectionTrait,
    practice: PracticeId,
    actor: &Actor,
    entries: Vec<Entry>,
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    // Callers run inside `TenantStore::begin_write`, which holds the practice's write lock,
    // so reading the chain's head and appending to it cannot interleave.
    let head: Option<(i64, Vec<u8>)> = audit_event::Entity::find()
        .select_only()
        .columns([audit_event::Column::PracticeSeq, audit_event::Column::Hash])
        .filter(audit_event::Column::PracticeId.eq(practice.as_uuid()))
        .order_by_desc(audit_event::Column::PracticeSeq)
        .into_tuple()
        .one(db)
        .await?;
    let (mut seq, mut prev_hash) = head.unwrap_or((0, vec![0u8; 32]));
    let mut rows = Vec::with_capacity(entries.len());
    for entry in entries {
        seq += 1;
        let mut record = audit_event::Model {
            seq: 0,
            practice_id: practice.as_uuid(),
            practice_seq: seq,
            prev_hash: prev_hash.clone(),
            hash: Vec::new(),
            at: actor.at,
            actor: actor.name.to_owned(),
            action: entry.action,
            target: entry.target,
            detail: entry.detail,
            request_id: actor.request_id.clone(),
        };
        record.hash = chain_hash(&prev_hash, &canonical(practice.as_uuid(), seq, &record));
        prev_hash = record.hash.clone();
        rows.push(audit_event::ActiveModel {
            seq: NotSet,
            practice_id: Set(record.practice_id),
            practice_seq: Set(record.practice_seq),
            prev_hash: Set(record.prev_hash),
            hash: Set(record.hash),
            at: Set(record.at),
            actor: Set(record.actor),
            action: Set(record.action),
            target: Set(record.target),
            detail: Set(record.detail),
            request_id: Set(record.request_id),
        });
    }
    // A policy change over a whole practice can leave tens of thousands of records.
    for batch in super::in_batches(rows) {
        audit_event::Entity::insert_many(batch)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The outcome of recomputing a practice's chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ChainReport {
    pub ok: bool,
    /// Records checked.
    pub records: u64,
    /// The first record that does not match, if any.
    pub first_broken: Option<i64>,
    pub reason: Option<String>,
    /// The last record of an intact chain. Keep it outside Portcullis (a ticket, an e-mail, the
    /// daily digest): passed back later as an anchor, it proves the trail up to it was neither
    /// rewritten nor cut short, even by someone with write access to the database.
    pub head: Option<ChainHead>,
}

/// A record's place in the chain: its sequence number and hash (hex).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

/// A head recorded earlier, outside the database. A chain recomputed from scratch by someone
/// who altered a record cannot reproduce its hash, and one cut short no longer reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: [u8; 32],
}

impl Anchor {
    /// Reads `SEQ:HASH` (as printed by `audit verify`), or the two parts separately.
    pub fn parse(seq: i64, hash: &str) -> Result<Self, String> {
        if seq < 1 {
            return Err("the anchor's sequence number must be at least 1".to_owned());
        }
        let bytes = hex::decode(hash.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or("the anchor's hash must be 64 hexadecimal digits")?;
        Ok(Self { seq, hash: bytes })
    }
}

/// Which audit records to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Substring of the target, e.g. a person's or task's id.
    pub target: Option<String>,
    pub after_seq: Option<i64>,
    pub limit: u64,
}

impl TenantStore<'_> {
    /// Recomputes the chain in batches (a six-year trail does not fit in memory), and checks
    /// that it still passes through `anchor`, if given.
    pub async fn verify_audit(&self, anchor: Option<&Anchor>) -> Result<ChainReport, StoreError> {
        let mut prev = vec![0u8; 32];
        let mut expected_seq = 1;
        let mut checked = 0;
        loop {
            let batch = audit_event::Entity::find()
                .filter(audit_event::Column::PracticeId.eq(self.practice.as_uuid()))
                .filter(audit_event::Column::PracticeSeq.gte(expected_seq))
                .order_by_asc(audit_event::Column::PracticeSeq)
                .limit(1000)
                .all(self.db)
                .await?;
            if batch.is_empty() {
                if let Some(anchor) = anchor
                    && anchor.seq >= expected_seq
                {
                    return Ok(ChainReport {
                        ok: false,
                        records: checked,
                        first_broken: Some(expected_seq),
                        reason: Some(format!(
                            "the trail ends before the anchored record {}: records were removed",
                            anchor.seq
                        )),
                        head: None,
                    });
                }
                return Ok(ChainReport {
                    ok: true,
                    records: checked,
                    first_broken: None,
                    reason: None,
                    head: (checked > 0).then(|| ChainHead {
                        seq: expected_seq - 1,
                        hash: hex::encode(&prev),
                    }),
                });
            }
            for record in batch {
                let broken = |reason: &str| ChainReport {
                    ok: false,
                    records: checked,
                    first_broken: Some(record.practice_seq),
                    reason: Some(reason.to_owned()),
                    head: None,
                };
                if record.practice_seq != expected_seq {
                    return Ok(broken("a record is missing before this one"));
                }
                if record.prev_hash != prev {
                    return Ok(broken("it does not link to the previous record"));
                }
                let hash = chain_hash(
                    &prev,
                    &canonical(self.practice.as_uuid(), record.practice_seq, &record),
                );
                if hash != record.hash {
                    return Ok(broken(
                        "its content does not match its hash: it was altered",
                    ));
                }
                if let Some(anchor) = anchor
                    && anchor.seq == record.practice_seq
                    && anchor.hash[..] != record.hash[..]
                {
                    return Ok(broken(
                        "its hash differs from the anchor: the trail was rewritten up to here",
                    ));
                }
                prev = record.hash;
                expected_seq += 1;
                checked += 1;
            }
        }
    }

    pub async fn audit_records(
        &self,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut select = audit_event::Entity::find()
            .filter(audit_event::Column::PracticeId.eq(self.practice.as_uuid()));
        if let Some(from) = filter.from {
            select = select.filter(audit_event::Column::At.gte(from));
        }
        if let Some(to) = filter.to {
            select = select.filter(audit_event::Column::At.lt(to));
        }
        if let Some(actor) = &filter.actor {
            select = select.filter(audit_event::Column::Actor.eq(actor.clone()));
        }
        if let Some(action) = &filter.action {
            select = select.filter(audit_event::Column::Action.eq(action.clone()));
        }
        if let Some(target) = &filter.target {
            select = select.filter(audit_event::Column::Target.contains(target.clone()));
        }
        if let Some(after) = filter.after_seq {
            select = select.filter(audit_event::Column::PracticeSeq.gt(after));
        }
        Ok(select
            .order_by_asc(audit_event::Column::PracticeSeq)
            .limit(filter.limit)
            .all(self.db)
            .await?
            .into_iter()
            .map(|r| AuditRecord {
                seq: r.practice_seq,
                at: r.at,
                actor: r.actor,
                action: r.action,
                target: r.target,
                detail: r.detail,
                request_id: r.request_id,
                hash: hex::encode(r.hash),
            })
            .collect())
    }
}

impl super::TenantStore<'_> {
    /// Appends `entries` to the practice's chain in the caller's write transaction.
    pub(crate) async fn append_audit(
        &self,
        tx: &super::WriteTx,
        actor: &Actor,
        entries: Vec<Entry>,
    ) -> Result<(), StoreError> {
        append_all(&tx.tx, self.practice, actor, entries).await
    }
}
