//! The `portcullis` command line. With no subcommand it serves.
//!
//! This module holds the top-level parser and the dispatch; each command group (its clap
//! definitions and its handler) lives in its own submodule, and the helpers they share in
//! `support`.
#![allow(clippy::print_stdout)] // Printing results is this module's job (and its submodules').

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{ConfigError, Settings};
use crate::startup::{Application, StartupError, open_store};
use crate::store::StoreError;
use crate::telemetry;

mod admin;
mod audit;
mod policy;
mod practice;
mod support;
mod token;

pub use admin::AdminCommand;
pub use audit::AuditCommand;
pub use policy::PolicyCommand;
pub use practice::{PracticeCommand, PracticeCreate};
pub use token::{TokenCommand, TokenCreate};

#[derive(Debug, Parser)]
#[command(
    name = "portcullis",
    version,
    about = "Keeps payer-portal accounts in step with the workforce"
)]
pub struct Cli {
    /// Configuration file; read if it exists. Environment variables `PORTCULLIS_*` override it.
    #[arg(
        long,
        global = true,
        default_value = "portcullis.toml",
        env = "PORTCULLIS_CONFIG"
    )]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the SCIM and admin APIs (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
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
    /// Print the OpenAPI description of the HTTP API (YAML).
    Openapi,
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

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        println!("{}", crate::openapi::yaml().map_err(CliError::Usage)?);
        return Ok(());
    }
    // An auditor checks an export on their own machine: no configuration, no database.
    if let Command::Audit(command) = command {
        if command.is_offline() {
            return audit::verify_export_file(command);
        }
        let settings = Settings::load(&cli.config)?;
        telemetry::init(&settings.log);
        return audit::audit(&settings, command).await;
    }
    let settings = Settings::load(&cli.config)?;
    telemetry::init(&settings.log);
    match command {
        Command::Serve => {
            let app = Application::build(&settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            open_store(&settings).await?;
            println!("database is up to date");
        }
        Command::Practice(command) => practice::practice(&settings, command).await?,
        Command::Token(command) => token::token(&settings, command).await?,
        Command::Policy(command) => policy::policy(&settings, command).await?,
        Command::Escalation(command) => policy::escalation(&settings, command).await?,
        Command::Admin(command) => admin::admin(&settings, command).await?,
        Command::Audit(_) | Command::Openapi => {}
    }
    Ok(())
}
