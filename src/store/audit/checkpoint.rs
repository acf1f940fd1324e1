//! Signed checkpoints as rows: each one is written twice in the transaction that makes it, as
//! an audit record (`audit.checkpoint`, so exports carry it) and as a row of
//! `audit_checkpoint`, a table of its own that a cut of `audit_event` leaves behind.

use chrono::{DateTime, Utc};
use entities::{audit_checkpoint, audit_event};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::actor::Actor;
use crate::domain::audit::checkpoint::{Checkpoint, Reason, SignedCheckpoint};
use crate::domain::audit::{CHECKPOINT_ACTION, GENESIS};
use crate::store::{StoreError, TenantStore, WriteTx};

/// A signed checkpoint, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CheckpointInfo {
    /// The head it signs (0 for an empty chain); its own audit record is the next one.
    pub seq: i64,
    /// That head's hash (hex).
    pub hash: String,
    /// Records in the chain up to the head.
    pub count: i64,
    pub at: DateTime<Utc>,
    /// `daily` or `export`.
    pub reason: String,
    /// The signing key's id: the first 16 hex digits of SHA-256 of its public key.
    pub key_id: String,
    /// Ed25519 signature (hex) of the checkpoint message (see the README's "Audit trail").
    pub signature: String,
}

/// A stored checkpoint: what the API shows, and what a signature check needs.
#[derive(Debug, Clone)]
pub(crate) struct StoredCheckpoint {
    pub info: CheckpointInfo,
    pub signed: SignedCheckpoint,
}

fn stored(row: audit_checkpoint::Model) -> StoredCheckpoint {
    let hash = <[u8; 32]>::try_from(row.hash.as_slice()).unwrap_or(GENESIS);
    let signature = <[u8; 64]>::try_from(row.signature.as_slice()).unwrap_or([0; 64]);
    StoredCheckpoint {
        info: CheckpointInfo {
            seq: row.seq,
            hash: hex::encode(hash),
            count: row.record_count,
            at: row.at,
            reason: row.reason.clone(),
            key_id: row.key_id.clone(),
            signature: hex::encode(signature),
        },
        signed: SignedCheckpoint {
            checkpoint: Checkpoint {
                practice: row.practice_id,
                seq: row.seq,
                hash,
                count: row.record_count,
                at: row.at,
                // An unknown reason fails the signature check, as it should.
                reason: Reason::parse(&row.reason).unwrap_or(Reason::Daily),
            },
            key_id: row.key_id,
            signature,
        },
    }
}

impl TenantStore<'_> {
    /// Every checkpoint of the practice, by the head it signs.
    pub(crate) async fn audit_checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        Ok(audit_checkpoint::Entity::find()
            .filter(audit_checkpoint::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_asc(audit_checkpoint::Column::Seq)
            .all(self.db)
            .await?
            .into_iter()
            .map(stored)
            .collect())
    }

    /// The latest checkpoint (a cheap read, no lock).
    pub async fn latest_audit_checkpoint(&self) -> Result<Option<CheckpointInfo>, StoreError> {
        latest(self.db, self).await
    }

    /// The latest checkpoint, under the practice's write lock.
    pub(crate) async fn latest_audit_checkpoint_in(
        &self,
        tx: &WriteTx,
    ) -> Result<Option<CheckpointInfo>, StoreError> {
        latest(&tx.tx, self).await
    }

    /// The chain's head `(seq, hash)` (a cheap read, no lock).
    pub async fn audit_head(&self) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        Ok(audit_event::Entity::find()
            .filter(audit_event::Column::PracticeId.eq(self.practice.as_uuid()))
            .order_by_desc(audit_event::Column::PracticeSeq)
            .one(self.db)
            .await?
            .map(|h| (h.practice_seq, h.hash)))
    }

    /// Records `signed` (made under this transaction's lock, of the head it read) as the
    /// chain's next record and as a checkpoint row. Returns the record's `seq`.
    pub(crate) async fn record_checkpoint(
        &self,
        tx: &WriteTx,
        signed: &SignedCheckpoint,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let c = &signed.checkpoint;
        super::append(
            &tx.tx,
            self.practice,
            actor,
            CHECKPOINT_ACTION,
            "audit chain",
            Some(signed.detail()),
        )
        .await?;
        audit_checkpoint::Entity::insert(audit_checkpoint::ActiveModel {
            id: NotSet,
            practice_id: Set(self.practice.as_uuid()),
            seq: Set(c.seq),
            hash: Set(c.hash.to_vec()),
            record_count: Set(c.count),
            at: Set(c.at),
            reason: Set(c.reason.as_str().to_owned()),
            key_id: Set(signed.key_id.clone()),
            signature: Set(signed.signature.to_vec()),
        })
        .exec_without_returning(&tx.tx)
        .await?;
        Ok(c.seq + 1)
    }
}

async fn latest(
    db: &impl ConnectionTrait,
    store: &TenantStore<'_>,
) -> Result<Option<CheckpointInfo>, StoreError> {
    Ok(audit_checkpoint::Entity::find()
        .filter(audit_checkpoint::Column::PracticeId.eq(store.practice.as_uuid()))
        .order_by_desc(audit_checkpoint::Column::Seq)
        .one(db)
        .await?
        .map(|row| stored(row).info))
}
