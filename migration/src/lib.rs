//! Schema migrations. One file per change; a migration is never edited after it lands.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_practice;
mod m20261124_000002_create_api_token;
mod m20261124_000003_create_directory;
mod m20261124_000004_create_lifecycle;
mod m20261124_000005_create_admin;
mod m20261124_000006_create_evidence;
mod m20261124_000007_create_alerting;
mod m20261124_000008_index_live_directory;
mod m20261124_000009_create_directory_tally;
mod m20261124_000010_create_audit_checkpoint;
mod m20261207_000011_create_console_session;
mod m20261207_000012_index_audit_target;
mod m20261207_000013_create_console_oidc_login;
mod m20261207_000014_end_admin_membership;
mod m20261207_000015_create_admin_identity;
mod m20261207_000016_create_review;
mod m20261207_000017_schedule_review;
mod m20261207_000018_create_portal_duty;
mod m20261207_000019_portal_tasks;
mod m20261207_000020_index_person_tasks;
mod m20261207_000021_create_training;
mod m20261207_000022_create_portal_import;
mod m20261207_000023_create_roster_import;
mod m20261207_000024_email_channel;

#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_practice::Migration),
            Box::new(m20261124_000002_create_api_token::Migration),
            Box::new(m20261124_000003_create_directory::Migration),
            Box::new(m20261124_000004_create_lifecycle::Migration),
            Box::new(m20261124_000005_create_admin::Migration),
            Box::new(m20261124_000006_create_evidence::Migration),
            Box::new(m20261124_000007_create_alerting::Migration),
            Box::new(m20261124_000008_index_live_directory::Migration),
            Box::new(m20261124_000009_create_directory_tally::Migration),
            Box::new(m20261124_000010_create_audit_checkpoint::Migration),
            Box::new(m20261207_000011_create_console_session::Migration),
            Box::new(m20261207_000012_index_audit_target::Migration),
            Box::new(m20261207_000013_create_console_oidc_login::Migration),
            Box::new(m20261207_000014_end_admin_membership::Migration),
            Box::new(m20261207_000015_create_admin_identity::Migration),
            Box::new(m20261207_000016_create_review::Migration),
            Box::new(m20261207_000017_schedule_review::Migration),
            Box::new(m20261207_000018_create_portal_duty::Migration),
            Box::new(m20261207_000019_portal_tasks::Migration),
            Box::new(m20261207_000020_index_person_tasks::Migration),
            Box::new(m20261207_000021_create_training::Migration),
            Box::new(m20261207_000022_create_portal_import::Migration),
            Box::new(m20261207_000023_create_roster_import::Migration),
            Box::new(m20261207_000024_email_channel::Migration),
        ]
    }
}
