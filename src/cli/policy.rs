//! `portcullis policy` and `portcullis escalation`: load and show a practice's access policy
//! and escalation policy. Both take the same `load`/`show` subcommands.

use std::path::PathBuf;

use clap::Subcommand;

use crate::config::Settings;
use crate::domain::escalation::EscalationPolicy;
use crate::domain::policy::PolicyDocument;
use crate::engine;
use crate::startup::open_store;
use crate::store::{Practice, Store, StoreError};

use super::CliError;
use super::support::{cli_actor, practice_by_slug, print_json, read_json, usage};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Load it from a JSON file (the body of the matching `PUT /api/v1/…` endpoint).
    Load {
        #[arg(long)]
        practice: String,
        /// The policy file.
        file: PathBuf,
        /// Access policy only: the number of removal tasks the change opens, when it would
        /// take access from more than the allowed share of the practice's accounts (the
        /// refusal names the number).
        #[arg(long)]
        confirm_revocations: Option<usize>,
    },
    /// Print the current version as JSON.
    Show {
        #[arg(long)]
        practice: String,
    },
}

pub(super) async fn policy(settings: &Settings, command: PolicyCommand) -> Result<(), CliError> {
    let store = open_store(settings).await?;
    let practice = practice_of(&store, &command).await?;
    let tenant = store.tenant(practice.id);
    match command {
        PolicyCommand::Load {
            file,
            confirm_revocations,
            ..
        } => {
            let document: PolicyDocument = read_json(&file)?;
            let portals = tenant.practice_portals().await?;
            document
                .validate(|slug| {
                    portals
                        .get(slug)
                        .map(|p| p.portal.roles.iter().map(|r| r.slug.clone()).collect())
                })
                .map_err(usage)?;
            let guard = engine::policy::RevocationGuard {
                max_share: settings.mass_revocation_share,
                confirmed: confirm_revocations,
                based_on: None,
            };
            let version = match engine::policy::replace_policy(
                &tenant,
                &document,
                &cli_actor(),
                guard,
            )
            .await
            {
                Err(StoreError::MassRevocation {
                    removals, accounts, ..
                }) => {
                    return Err(usage(format!(
                        "this policy would open {removals} removal tasks for the practice's {accounts} recorded accounts, more than the share allowed without confirmation; repeat with --confirm-revocations {removals}"
                    )));
                }
                other => other?,
            };
            say!(
                "policy version {version} is now current for {}",
                practice.slug
            );
        }
        PolicyCommand::Show { .. } => print_json(&tenant.policy().await?.document),
    }
    Ok(())
}

pub(super) async fn escalation(
    settings: &Settings,
    command: PolicyCommand,
) -> Result<(), CliError> {
    let store = open_store(settings).await?;
    let practice = practice_of(&store, &command).await?;
    let tenant = store.tenant(practice.id);
    match command {
        PolicyCommand::Load { file, .. } => {
            let document: EscalationPolicy = read_json(&file)?;
            document.check().map_err(usage)?;
            let version = tenant
                .replace_escalation_policy(&document, &cli_actor(), None)
                .await?;
            say!(
                "escalation policy version {version} is now current for {}",
                practice.slug
            );
        }
        PolicyCommand::Show { .. } => print_json(&tenant.escalation_policy().await?.document),
    }
    Ok(())
}

/// The practice a load/show command names.
async fn practice_of(store: &Store, command: &PolicyCommand) -> Result<Practice, CliError> {
    let (PolicyCommand::Load { practice, .. } | PolicyCommand::Show { practice }) = command;
    practice_by_slug(store, practice).await
}
