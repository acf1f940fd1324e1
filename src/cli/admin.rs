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
    /// Print a one-time console sign-in link for an administrator (alone on the last line).
    /// It works once, within `--ttl` (default `console.sign_in_link_ttl`, 15 minutes).
    SignInLink {
        #[arg(long)]
        practice: String,
        #[arg(long)]
        email: String,
        /// How long the link stays valid, e.g. `15m` or `1h` (at most 7 days).
        #[arg(long)]
        ttl: Option<String>,
    },
    /// Deactivate an administrator everywhere, revoke their tokens and end their console
    /// sessions.
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
            // The way in: a one-time link to the console, alone on the last line.
            print_sign_in_link(settings, &store, &practice, &admin.email, None).await?;
        }
        AdminCommand::List { practice } => {
            let practice = practice_by_slug(&store, &practice).await?;
            let mut table = Table::new(&["email", "name", "role", "status", "member since"]);
            for p in store.tenant(practice.id).list_admins().await? {
                table.row(vec![
                    p.admin.email,
                    p.admin.name,
                    p.role.as_str().to_owned(),
                    match (p.admin.active, p.removed_at) {
                        (_, Some(_)) => "removed from the practice",
                        (true, None) => "active",
                        (false, None) => "deactivated",
                    }
                    .to_owned(),
                    p.member_since
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                ]);
            }
            table.print();
        }
        AdminCommand::SignInLink {
            practice,
            email,
            ttl,
        } => {
            let practice = practice_by_slug(&store, &practice).await?;
            print_sign_in_link(settings, &store, &practice, &email, ttl.as_deref()).await?;
        }
        AdminCommand::Deactivate { email } => {
            let admin = store.deactivate_admin(&email, now).await?;
            say!(
                "administrator {} <{}> is deactivated; their tokens are revoked and their console \
                 sessions ended",
                admin.name,
                admin.email
            );
        }
    }
    Ok(())
}

/// Makes a one-time console sign-in link and prints it alone on the last line, valid for
/// `ttl` (default `console.sign_in_link_ttl`).
async fn print_sign_in_link(
    settings: &Settings,
    store: &crate::store::Store,
    practice: &crate::store::Practice,
    email: &str,
    ttl: Option<&str>,
) -> Result<(), CliError> {
    let ttl = match ttl {
        Some(text) => {
            crate::domain::duration::parse(text).map_err(|e| usage(format!("--ttl: {e}")))?
        }
        None => chrono::Duration::from_std(settings.console.sign_in_link_ttl).map_err(usage)?,
    };
    if ttl <= chrono::Duration::zero() || ttl > chrono::Duration::days(7) {
        return Err(usage("--ttl must be more than zero and at most 7 days"));
    }
    let actor = super::support::cli_actor();
    let until = actor.at + ttl;
    let secret = store
        .create_sign_in_link(practice, email, ttl, &actor)
        .await?;
    say!(
        "a console sign-in link for {email} in {}, valid once until {}:",
        practice.slug,
        until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    say!(
        "{}/console/sign-in/{secret}",
        settings.public_url_for(settings.listen)
    );
    Ok(())
}
