//! `audit_event`: the append-only, hash-chained record of every state change.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub practice_id: Uuid,
    /// 1, 2, 3, … per practice: the position in the practice's chain.
    pub practice_seq: i64,
    /// The previous record's hash (32 zero bytes for the first).
    pub prev_hash: Vec<u8>,
    /// SHA-256(prev_hash ‖ canonical record).
    pub hash: Vec<u8>,
    pub at: DateTimeUtc,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: Option<Json>,
    pub request_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
