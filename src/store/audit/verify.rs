//! Recomputing a practice's chain: every hash, every link, no gap; that the chain still reaches
//! every signed checkpoint (kept in `audit_checkpoint`, which a cut of `audit_event` leaves
//! behind) with the hash it signed; and, if given, an anchor kept outside the database.

use entities::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::checkpoint::CheckpointInfo;
use super::{canonical, chain_hash};
use crate::domain::audit::GENESIS;
use crate::domain::audit::checkpoint::AuditPublicKey;
use crate::store::{StoreError, TenantStore};

/// The outcome of recomputing a practice's chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ChainReport {
    pub ok: bool,
    /// Records checked.
    pub records: u64,
    /// The first record that does not match, or the first one missing, if any.
    pub first_broken: Option<i64>,
    pub reason: Option<String>,
    /// The last record of an intact chain. Keep it outside Portcullis (a ticket, an e-mail, the
    /// daily digest): passed back later as an anchor, it proves the trail up to it was neither
    /// rewritten nor cut short, even by someone with write access to the database.
    pub head: Option<ChainHead>,
    /// The latest signed checkpoint, which the chain reaches (on an intact chain).
    pub checkpoint: Option<CheckpointInfo>,
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

fn broken(records: u64, at: i64, reason: String) -> ChainReport {
    ChainReport {
        ok: false,
        records,
        first_broken: Some(at),
        reason: Some(reason),
        head: None,
        checkpoint: None,
    }
}

impl TenantStore<'_> {
    /// Recomputes the chain in batches (a six-year trail does not fit in memory); checks that
    /// it reaches every signed checkpoint with the hash signed (and, with `key`, that each
    /// checkpoint made by that key carries a valid signature), and that it still passes
    /// through `anchor`, if given.
    pub async fn verify_audit(
        &self,
        anchor: Option<&Anchor>,
        key: Option<&AuditPublicKey>,
    ) -> Result<ChainReport, StoreError> {
        let checkpoints = self.audit_checkpoints().await?;
        for checkpoint in &checkpoints {
            if let Some(key) = key
                && checkpoint.signed.key_id == key.key_id()
                && let Err(why) = key.verify(&checkpoint.signed)
            {
                return Ok(broken(
                    0,
                    checkpoint.signed.checkpoint.seq + 1,
                    format!("the checkpoint of record {}: {why}", checkpoint.info.seq),
                ));
            }
        }
        // Checkpoints by the head they sign, ascending; `next` is the first not yet reached.
        let mut next = 0;
        while checkpoints
            .get(next)
            .is_some_and(|c| c.signed.checkpoint.seq == 0 && c.signed.checkpoint.hash == GENESIS)
        {
            next += 1;
        }
        let mut prev = GENESIS.to_vec();
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
                let last = expected_seq - 1;
                // A checkpoint appends its own record after the head it signs: the chain must
                // reach that record too.
                if let Some(cut) = checkpoints
                    .iter()
                    .rev()
                    .find(|c| c.signed.checkpoint.seq + 1 > last)
                {
                    let c = &cut.info;
                    return Ok(broken(
                        checked,
                        expected_seq,
                        format!(
                            "the chain ends at record {last}, shorter than the checkpoint of \
                             record {} ({} records) signed at {} ({}) and its record {}: records \
                             were removed",
                            c.seq,
                            c.count,
                            c.at,
                            c.reason,
                            c.seq + 1
                        ),
                    ));
                }
                if let Some(anchor) = anchor
                    && anchor.seq >= expected_seq
                {
                    return Ok(broken(
                        checked,
                        expected_seq,
                        format!(
                            "the trail ends before the anchored record {}: records were removed",
                            anchor.seq
                        ),
                    ));
                }
                return Ok(ChainReport {
                    ok: true,
                    records: checked,
                    first_broken: None,
                    reason: None,
                    head: (checked > 0).then(|| ChainHead {
                        seq: last,
                        hash: hex::encode(&prev),
                    }),
                    checkpoint: checkpoints.last().map(|c| c.info.clone()),
                });
            }
            for record in batch {
                let seq = record.practice_seq;
                let fail = |reason: &str| broken(checked, seq, reason.to_owned());
                if seq != expected_seq {
                    return Ok(fail("a record is missing before this one"));
                }
                if record.prev_hash != prev {
                    return Ok(fail("it does not link to the previous record"));
                }
                let hash = chain_hash(&prev, &canonical(self.practice.as_uuid(), seq, &record));
                if hash != record.hash {
                    return Ok(fail("its content does not match its hash: it was altered"));
                }
                if let Some(anchor) = anchor
                    && anchor.seq == seq
                    && anchor.hash[..] != record.hash[..]
                {
                    return Ok(fail(
                        "its hash differs from the anchor: the trail was rewritten up to here",
                    ));
                }
                while let Some(c) = checkpoints
                    .get(next)
                    .filter(|c| c.signed.checkpoint.seq == seq)
                {
                    if c.signed.checkpoint.hash[..] != record.hash[..] {
                        return Ok(fail(&format!(
                            "its hash differs from the one signed in the checkpoint at {} ({}): \
                             the trail was rewritten up to here",
                            c.info.at, c.info.reason
                        )));
                    }
                    next += 1;
                }
                prev = record.hash;
                expected_seq += 1;
                checked += 1;
            }
        }
    }
}
