//! `portcullis roster import`: an HR roster from a file, for HR systems without SCIM. It
//! previews first (what the roster changes) and commits only with `--commit`, exactly as
//! `POST /api/v1/roster/imports` and its commit do.

use std::path::PathBuf;

use clap::Subcommand;

use crate::config::Settings;
use crate::engine::rosters;
use crate::startup::open_store;
use crate::store::StoreError;

use super::CliError;
use super::support::{cli_actor, practice_by_slug, usage};

#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Preview a roster (CSV: employee id, user name or e-mail, names, title, department,
    /// division, cost centre, employment type, manager, status, termination date); with
    /// `--commit`, write it to the directory as an identity provider would.
    Import {
        #[arg(long)]
        practice: String,
        /// The roster file.
        file: PathBuf,
        /// Commit after the preview (without it, nothing changes).
        #[arg(long)]
        commit: bool,
        /// The number of people no longer on the roster, when more disappear than the
        /// shrink guard allows (the refusal names it).
        #[arg(long)]
        confirm_missing: Option<usize>,
    },
}

pub(super) async fn roster(settings: &Settings, command: RosterCommand) -> Result<(), CliError> {
    let RosterCommand::Import {
        practice,
        file,
        commit,
        confirm_missing,
    } = command;
    let store = open_store(settings).await?;
    let practice = practice_by_slug(&store, &practice).await?;
    let tenant = store.tenant(practice.id);
    let bytes =
        std::fs::read(&file).map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "roster.csv".to_owned());
    let actor = cli_actor();
    let preview = match rosters::preview(&tenant, &name, &bytes, None, &actor).await {
        Err(StoreError::BadFile(why)) => return Err(usage(format!("{}: {why}", file.display()))),
        other => other?,
    };
    let plan = &preview.plan;
    say!(
        "{} people on the roster: {} joiners, {} movers, {} leavers, {} no longer listed, {} unchanged",
        preview.people.len(),
        plan.joiners.len(),
        plan.movers.len(),
        plan.leavers.len(),
        plan.missing.len(),
        plan.unchanged
    );
    for (what, lines) in [
        ("joins", &plan.joiners),
        ("changes", &plan.movers),
        ("leaves", &plan.leavers),
        ("no longer listed", &plan.missing),
    ] {
        for line in lines {
            say!("  {what}: {} {}", line.user_name, line.changes.join("; "));
        }
    }
    if !commit {
        say!(
            "previewed as import {}; nothing changed (add --commit to write it)",
            preview.id
        );
        return Ok(());
    }
    let share = settings.import_shrink_share;
    match rosters::commit(&tenant, preview.id, confirm_missing, share, &actor).await {
        Err(StoreError::ShrinkGuard { missing, .. }) => Err(usage(format!(
            "{missing} people are no longer on the roster, more than the share allowed without confirmation; if the file is complete, repeat with --confirm-missing {missing}"
        ))),
        Err(other) => Err(other.into()),
        Ok(done) if done.replayed => {
            say!(
                "this file was committed before (import {}); nothing changed",
                done.import.id
            );
            Ok(())
        }
        Ok(done) => {
            say!("committed import {}", done.import.id);
            Ok(())
        }
    }
}
