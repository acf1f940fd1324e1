//! `audit_checkpoint`: the signed checkpoints of each practice's audit chain (append-only).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_checkpoint")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub practice_id: Uuid,
    /// The head it signs: the practice's `audit_event.practice_seq` (0 for an empty chain).
    pub seq: i64,
    /// That record's hash (the genesis value for an empty chain).
    pub hash: Vec<u8>,
    /// Records in the chain up to the head.
    pub record_count: i64,
    pub at: DateTimeUtc,
    /// `daily` or `export`.
    pub reason: String,
    /// The signing key's id (16 hex digits).
    pub key_id: String,
    /// Ed25519 signature of the checkpoint's message (`domain::audit::checkpoint`).
    pub signature: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
