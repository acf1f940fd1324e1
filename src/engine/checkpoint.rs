//! Signing a practice's audit chain head (as AWS CloudTrail's digest files do): daily by the
//! sweeper (and with each daily digest), and at the start of every export, whose last record
//! it becomes. Each checkpoint is appended to the chain as an `audit.checkpoint` record and kept
//! in `audit_checkpoint`, in one transaction under the practice's write lock, so the head it
//! signs is the record just before its own.

use chrono::{DateTime, Utc};

use crate::domain::actor::Actor;
use crate::domain::audit::GENESIS;
use crate::domain::audit::checkpoint::{AuditSigner, Checkpoint, Reason, SignedCheckpoint};
use crate::store::audit::CheckpointInfo;
use crate::store::{StoreError, TenantStore, WriteTx};

/// Signs the chain's head as read under `tx` and records the checkpoint; returns it and the
/// `seq` of its own record.
pub(crate) async fn checkpoint_in(
    store: &TenantStore<'_>,
    tx: &WriteTx,
    signer: &AuditSigner,
    actor: &Actor,
    reason: Reason,
) -> Result<(SignedCheckpoint, i64), StoreError> {
    let (seq, hash) = match store.audit_head_in(tx).await? {
        Some((seq, hash)) => (
            seq,
            <[u8; 32]>::try_from(hash.as_slice()).unwrap_or(GENESIS),
        ),
        None => (0, GENESIS),
    };
    let signed = signer.sign(Checkpoint {
        practice: store.practice_id().as_uuid(),
        seq,
        hash,
        // Sequence numbers start at 1 without gaps (verification checks it): the head's is
        // the count.
        count: seq,
        at: actor.at,
        reason,
    });
    let record = store.record_checkpoint(tx, &signed, actor).await?;
    Ok((signed, record))
}

/// The checkpoint an export ends with, in its own transaction; returns the `seq` of its record.
pub async fn checkpoint_for_export(
    store: &TenantStore<'_>,
    signer: &AuditSigner,
    actor: &Actor,
) -> Result<i64, StoreError> {
    let tx = store.begin_write().await?;
    let (_, record) = checkpoint_in(store, &tx, signer, actor, Reason::Export).await?;
    tx.commit().await?;
    Ok(record)
}

/// Whether the chain moved since `latest`: something was appended after its own record.
pub fn chain_moved(latest: Option<&CheckpointInfo>, head_seq: i64) -> bool {
    match latest {
        None => head_seq > 0,
        Some(c) => head_seq > c.seq + 1,
    }
}

/// Whether the daily checkpoint is due: the chain moved since the latest one, made a day ago
/// or more (or never).
pub fn daily_due(latest: Option<&CheckpointInfo>, head_seq: i64, now: DateTime<Utc>) -> bool {
    chain_moved(latest, head_seq)
        && latest.is_none_or(|c| now - c.at >= chrono::Duration::hours(24))
}
