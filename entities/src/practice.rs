//! `practice`: a tenant.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "practice")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    /// IANA zone name, e.g. `America/Chicago`.
    pub time_zone: String,
    /// Canonical text form, e.g. `mon,tue,wed,thu,fri 08:00-17:00`.
    pub business_hours: String,
    pub created_at: DateTimeUtc,
    pub version: i64,
    /// The practice's SLA settings; `None` means the defaults.
    pub sla: Option<Json>,
    /// A task's verifier must not be its completer.
    pub four_eyes: bool,
    /// When access reviews open by themselves; `None` means the default (quarterly).
    pub review_schedule: Option<Json>,
    /// An HR roster wrote the directory: SCIM writes are refused (one source per practice).
    pub roster_managed: bool,
    /// How this practice's rosters name their columns; `None`: recognised from the headers.
    pub roster_columns: Option<Json>,
}

/// Rows that belong to a practice point at it (`api_token` → `practice`); the practice does
/// not point back, so the table files import only downwards.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
