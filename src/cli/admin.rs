//! `portcullis admin`: add and deactivate named administrators.

use clap::Subcommand;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::domain::admin::AdminRole;
use crate::startup::open_store;

use super::CliError;
use super::support::{Table, practice_by_slug, usage};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add an administrator to a practice (creating them if new) with a role:
    /// portal_admin, manager or auditor.
    Create {
        #[arg(long)]
        practice: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
    },
    /// List a practice's administrators, their roles and whether they are active.
    List {
        #[arg(long)]
        practice: String,
    },
    /// Deactivate an administrator everywhere and revoke their tokens.
    Deactivate {
        #[arg(long)]
        email: String,
    },
}

pub(super) async fn admin(settings: &Settings, command: AdminCommand) -> Result<(), CliError> {
    let store = open_store(settings).await?;
    let now = SystemClock.now();
    match command {
        AdminCommand::Create {
            practice,
            email,
            name,
            role,
        } => {
            let role: AdminRole = role.parse().map_err(usage)?;
            if !email.contains('@') || name.trim().is_empty() {
                return Err(usage("give an e-mail address and a name"));
            }
            let practice = practice_by_slug(&store, &practice).await?;
            let admin = store
                .add_admin(practice.id, &email, &name, role, now)
                .await?;
            say!(
                "administrator {} <{}> is {role} of {}",
                admin.name,
                admin.email,
                practice.slug
            );
        }
        AdminCommand::List { practice } => {
            let practice = practice_by_slug(&store, &practice).await?;
            let mut table = Table::new(&["email", "name", "role", "status", "member since"]);
            for p in store.tenant(practice.id).list_admins().await? {
                table.row(vec![
                    p.admin.email,
                    p.admin.name,
                    p.role.as_str().to_owned(),
                    if p.admin.active {
                        "active"
                    } else {
                        "deactivated"
                    }
                    .to_owned(),
                    p.member_since
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                ]);
            }
            table.print();
        }
        AdminCommand::Deactivate { email } => {
            let admin = store.deactivate_admin(&email, now).await?;
            say!(
                "administrator {} <{}> is deactivated; their tokens are revoked",
                admin.name,
                admin.email
            );
        }
    }
    Ok(())
}
