//! `portal_account`: what a person has in a portal: username, granted roles, status.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "portal_account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub person_id: Uuid,
    pub portal_slug: String,
    pub username: Option<String>,
    /// Role slugs granted, as a JSON array.
    pub roles: Json,
    /// `active`, `revoked` or `gone` (a portal list no longer showed it).
    pub status: String,
    pub other_affiliations: bool,
    /// The person's NPI as a portal list showed it.
    pub npi: Option<String>,
    /// An administrator account's last sign-in as a portal list showed it.
    pub last_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
