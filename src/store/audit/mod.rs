//! The audit trail: one append-only row per state change, written in the transaction of the
//! change, each chained to the previous one of its practice:
//! `hash = SHA-256(prev_hash ‖ canonical record)`. Nothing here updates or deletes a row, and
//! the database refuses to (triggers). [`TenantStore::verify_audit`] recomputes the chain and
//! reports the first record that does not match; the signed checkpoints (`checkpoint`, kept in
//! their own append-only table) and an [`Anchor`] (a head kept outside the database) also catch
//! a chain cut short, or rewritten from scratch.

use chrono::{DateTime, Utc};
use entities::audit_event;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;

use super::{PracticeId, StoreError, TenantStore};

mod checkpoint;
mod verify;

pub use checkpoint::CheckpointInfo;
pub use verify::{Anchor, ChainHead, ChainReport};

use crate::domain::actor::{Actor, actor_like_patterns};
use crate::domain::audit::{self as domain_audit, GENESIS, RecordFields, at_text};

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
    /// The previous record's hash (hex; 64 zeros for the first).
    pub prev_hash: String,
    pub hash: String,
}

/// The bytes a record's hash covers (`domain::audit::canonical`).
fn canonical(practice: uuid::Uuid, seq: i64, record: &audit_event::Model) -> Vec<u8> {
    let at = at_text(record.at);
    domain_audit::canonical(&RecordFields {
        practice,
        seq,
        at: &at,
        actor: &record.actor,
        action: &record.action,
        target: &record.target,
        detail: record.detail.as_ref(),
        request_id: record.request_id.as_deref(),
    })
}

fn chain_hash(prev: &[u8], canonical: &[u8]) -> Vec<u8> {
    domain_audit::chain_hash(prev, canonical).to_vec()
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
    let (mut seq, mut prev_hash) = head.unwrap_or((0, GENESIS.to_vec()));
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

/// Which audit records to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Substring of the target, e.g. a person's or task's id.
    pub target: Option<String>,
    /// The target exactly (`task {id}`): an indexed read, for a task's timeline.
    pub exact_target: Option<String>,
    pub after_seq: Option<i64>,
    /// Records up to this `seq` (an export stops at the checkpoint made for it).
    pub up_to_seq: Option<i64>,
    pub limit: u64,
}

/// Records whose actor is the one named, by e-mail, name, token name or id, or as recorded.
fn actor_condition(actor: &str) -> Condition {
    let recorded = Func::lower(Expr::col(audit_event::Column::Actor));
    actor_like_patterns(actor)
        .into_iter()
        .fold(Condition::any(), |any, pattern| {
            any.add(Expr::expr(recorded.clone()).like(LikeExpr::new(pattern).escape('\\')))
        })
}

impl TenantStore<'_> {
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
            select = select.filter(actor_condition(actor));
        }
        if let Some(action) = &filter.action {
            select = select.filter(audit_event::Column::Action.eq(action.clone()));
        }
        if let Some(target) = &filter.exact_target {
            select = select.filter(audit_event::Column::Target.eq(target.clone()));
        }
        if let Some(target) = &filter.target {
            select = select.filter(audit_event::Column::Target.contains(target.clone()));
        }
        if let Some(after) = filter.after_seq {
            select = select.filter(audit_event::Column::PracticeSeq.gt(after));
        }
        if let Some(up_to) = filter.up_to_seq {
            select = select.filter(audit_event::Column::PracticeSeq.lte(up_to));
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
                prev_hash: hex::encode(r.prev_hash),
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
