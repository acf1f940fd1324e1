//! `practice_portal`: a portal the practice uses, with its org scope, admin limits and SLA overrides.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "practice_portal")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub portal_slug: String,
    /// A practice-defined portal (not in the catalogue): its full definition.
    pub custom_definition: Option<Json>,
    /// TIN, group NPI, PTAN, trading partner id.
    pub org_scope: Json,
    pub min_admins: Option<i32>,
    pub max_admins: Option<i32>,
    pub sla_overrides: Json,
    /// Where this practice signs in, when it differs from the catalogue URL.
    pub url: Option<String>,
    /// Since when the portal has had fewer administrators than `min_admins` (alerted once).
    pub admins_below_min_since: Option<DateTimeUtc>,
    /// Training before access, where the practice sets it; `None`: the catalogue's rule.
    pub training_required: Option<bool>,
    /// Days a training stays valid, where the practice sets it; `None`: the catalogue's.
    pub training_valid_days: Option<i32>,
    /// How this practice's lists of the portal's users name their columns; `None`: the
    /// catalogue's, else recognised from the headers.
    pub list_columns: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
