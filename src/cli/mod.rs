//! The `portcullis` command line. With no subcommand it serves.
//!
//! This module holds the top-level parser and the dispatch; each command group (its clap
//! definitions and its handler) lives in its own submodule, and the helpers they share in
//! `support`.
#![allow(clippy::print_stdout)] // Printing results is this module's job (and its submodules').

/// `println!` that ends quietly when the reader has gone (see [`support::write_line`]).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::support::write_line(format_args!($($arg)*))
    };
}

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{ConfigError, Settings};
use crate::startup::{Application, StartupError, connect_store, open_store};
use crate::store::StoreError;
use crate::telemetry;

mod admin;
mod audit;
mod backup;
mod policy;
mod practice;
mod roster;
mod support;
mod token;

pub use admin::AdminCommand;
pub use audit::AuditCommand;
pub use policy::PolicyCommand;
pub use practice::{PracticeCommand, PracticeCreate};
pub use roster::RosterCommand;
pub use token::{TokenCommand, TokenCreate};

#[derive(Debug, Parser)]
#[command(
    name = "portcullis",
    version,
    about = "Keeps payer-portal accounts in step with the workforce"
)]
pub struct Cli {
    /// Configuration file, which must exist; without this option `portcullis.toml` is read if
    /// it exists. Environment variables `PORTCULLIS_*` override it.
    #[arg(long, global = true, env = "PORTCULLIS_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the SCIM and admin APIs (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate {
        /// Only list the migrations and whether each is applied; change nothing.
        #[arg(long)]
        status: bool,
    },
    /// Manage practices (tenants).
    #[command(subcommand)]
    Practice(PracticeCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage a practice's access policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Manage a practice's escalation policy (reminders, escalation chain, quiet hours,
    /// digest); files have the shape of `PUT /api/v1/escalation-policy`.
    #[command(subcommand)]
    Escalation(PolicyCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage named administrators.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Import an HR roster (for HR systems without SCIM).
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Print the OpenAPI description of the HTTP API (YAML).
    Openapi,
    /// Write a consistent copy of the SQLite database (evidence included) to a new file; safe
    /// while the service runs.
    Backup {
        /// The file to write; it must not exist.
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a backup back where `database_url` points (which must be empty), then verify every
    /// practice's audit trail.
    Restore {
        /// A file `portcullis backup` wrote.
        #[arg(long)]
        from: PathBuf,
    },
    /// Check the configuration and print it as it takes effect (secrets masked); exits
    /// non-zero on an error.
    CheckConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

/// A `PORTCULLIS_*` variable that names no setting is ignored, with a warning naming it: a
/// deployment may export its own, and a misspelt setting must not pass unnoticed.
fn warn_of_unknown_environment_variables() {
    for variable in crate::config::unknown_environment_variables() {
        tracing::warn!(%variable, "this environment variable names no setting and is ignored");
    }
}

/// Settings that load have passed their own checks; what they name must also be usable.
fn check_config(settings: &Settings) -> Result<(), CliError> {
    crate::startup::check_named_files(settings)?;
    say!(
        "{}",
        settings
            .masked_toml()
            .map_err(|e| CliError::Usage(format!("cannot show the configuration: {e}")))?
    );
    Ok(())
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        say!("{}", crate::openapi::yaml().map_err(CliError::Usage)?);
        return Ok(());
    }
    // An auditor checks an export on their own machine: no configuration, no database.
    if let Command::Audit(command) = command {
        if command.is_offline() {
            return audit::verify_export_file(command);
        }
        let settings = Settings::load_named(cli.config.as_deref())?;
        telemetry::init_for_command(&settings.log);
        warn_of_unknown_environment_variables();
        return audit::audit(&settings, command).await;
    }
    let settings = Settings::load_named(cli.config.as_deref())?;
    match &command {
        Command::Serve => telemetry::init(&settings.log),
        _ => telemetry::init_for_command(&settings.log),
    }
    warn_of_unknown_environment_variables();
    match command {
        Command::Serve => {
            let app = Application::build(&settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate { status: true } => {
            let store = connect_store(&settings).await?;
            let mut table = support::Table::new(&["migration", "status"]);
            let mut pending = 0;
            for (name, applied) in store.migration_status().await? {
                pending += usize::from(!applied);
                table.row(vec![
                    name,
                    if applied { "applied" } else { "pending" }.to_owned(),
                ]);
            }
            table.print();
            if pending == 0 {
                say!("the database is up to date");
            } else {
                say!(
                    "{pending} pending: `portcullis migrate` (or starting the service) applies them"
                );
            }
        }
        Command::Migrate { status: false } => {
            open_store(&settings).await?;
            say!("the database is up to date");
        }
        Command::Practice(command) => practice::practice(&settings, command).await?,
        Command::Token(command) => token::token(&settings, command).await?,
        Command::Policy(command) => policy::policy(&settings, command).await?,
        Command::Escalation(command) => policy::escalation(&settings, command).await?,
        Command::Admin(command) => admin::admin(&settings, command).await?,
        Command::Roster(command) => roster::roster(&settings, command).await?,
        Command::CheckConfig => check_config(&settings)?,
        Command::Backup { to } => backup::backup(&settings, to).await?,
        Command::Restore { from } => backup::restore(&settings, from).await?,
        Command::Audit(_) | Command::Openapi => {}
    }
    Ok(())
}
