//! The `portcullis` command line. With no subcommand it serves.
#![allow(clippy::print_stdout)] // Printing results is this module's job.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};
use crate::config::{ConfigError, Settings};
use crate::domain::practice::{BusinessHours, PracticeName, PracticeSlug, TimeZone};
use crate::domain::scope::Scopes;
use crate::engine;
use crate::startup::{Application, StartupError, open_store};
use crate::store::audit::Anchor;
use crate::store::{NewPractice, NewToken, StoreError};
use crate::telemetry;

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
    /// Deactivate an administrator everywhere and revoke their tokens.
    Deactivate {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute a practice's hash chain; exits non-zero at the first altered record.
    Verify {
        #[arg(long)]
        practice: String,
        /// A head printed by an earlier verification (`SEQ:HASH`), kept outside the database:
        /// the chain must still pass through it.
        #[arg(long)]
        anchor: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Load it from a JSON file (the body of the matching `PUT /api/v1/…` endpoint).
    Load {
        #[arg(long)]
        practice: String,
        /// The policy file.
        file: PathBuf,
    },
    /// Print the current version as JSON.
    Show {
        #[arg(long)]
        practice: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PracticeCommand {
    /// Add a practice.
    Create(PracticeCreate),
    /// List practices.
    List,
}

#[derive(Debug, Args)]
pub struct PracticeCreate {
    /// Short identifier: lowercase letters, digits and '-'.
    #[arg(long)]
    pub slug: String,
    #[arg(long)]
    pub name: String,
    /// IANA time zone; deadlines in business hours are computed in it.
    #[arg(long, default_value = "America/New_York")]
    pub timezone: String,
    /// Working days and hours, e.g. `mon-fri 08:00-17:00`.
    #[arg(long, default_value = "mon-fri 08:00-17:00")]
    pub business_hours: String,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token. The token is printed once, alone on the last line.
    Create(TokenCreate),
    /// List a practice's tokens (never their secrets).
    List {
        #[arg(long)]
        practice: String,
    },
    /// Revoke a token by id.
    Revoke { id: Uuid },
}

#[derive(Debug, Args)]
pub struct TokenCreate {
    #[arg(long)]
    pub practice: String,
    /// Comma-separated: scim, admin:read, admin:write.
    #[arg(long)]
    pub scope: Option<String>,
    /// A named administrator's token instead: scopes follow their role in the practice.
    #[arg(long)]
    pub admin: Option<String>,
    /// A label saying who uses it, e.g. `okta`.
    #[arg(long)]
    pub name: Option<String>,
    /// Lifetime, e.g. `90d` or `12h`. Without it the token lasts until revoked.
    #[arg(long)]
    pub expires_in: Option<String>,
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

fn usage(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(e.to_string())
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        println!("{}", crate::openapi::yaml().map_err(CliError::Usage)?);
        return Ok(());
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
        Command::Practice(command) => practice(&settings, command).await?,
        Command::Token(command) => token(&settings, command).await?,
        Command::Policy(command) => policy(&settings, command).await?,
        Command::Escalation(command) => escalation(&settings, command).await?,
        Command::Admin(command) => {
            let store = open_store(&settings).await?;
            let now = SystemClock.now();
            match command {
                AdminCommand::Create {
                    practice,
                    email,
                    name,
                    role,
                } => {
                    let role: crate::domain::admin::AdminRole = role.parse().map_err(usage)?;
                    if !email.contains('@') || name.trim().is_empty() {
                        return Err(usage("give an e-mail address and a name"));
                    }
                    let slug = PracticeSlug::parse(&practice).map_err(usage)?;
                    let practice = store.practice_by_slug(&slug).await?;
                    let admin = store
                        .add_admin(practice.id, &email, &name, role, now)
                        .await?;
                    println!(
                        "administrator {} <{}> is {role} of {}",
                        admin.name, admin.email, practice.slug
                    );
                }
                AdminCommand::Deactivate { email } => {
                    let admin = store.deactivate_admin(&email, now).await?;
                    println!(
                        "administrator {} <{}> is deactivated; their tokens are revoked",
                        admin.name, admin.email
                    );
                }
            }
        }
        Command::Audit(AuditCommand::Verify { practice, anchor }) => {
            let anchor = anchor
                .map(|text| {
                    let (seq, hash) = text
                        .split_once(':')
                        .ok_or("--anchor must be SEQ:HASH, as printed by audit verify")?;
                    let seq = seq
                        .parse()
                        .map_err(|_| "--anchor: SEQ must be a number".to_owned())?;
                    Anchor::parse(seq, hash)
                })
                .transpose()
                .map_err(usage)?;
            let store = open_store(&settings).await?;
            let slug = PracticeSlug::parse(&practice).map_err(usage)?;
            let practice = store.practice_by_slug(&slug).await?;
            let report = store
                .tenant(practice.id)
                .verify_audit(anchor.as_ref())
                .await?;
            if report.ok {
                println!(
                    "audit trail of {} is intact: {} records",
                    practice.slug, report.records
                );
                if let Some(head) = report.head {
                    println!(
                        "head {}:{} (keep it; pass it as --anchor later)",
                        head.seq, head.hash
                    );
                }
            } else {
                return Err(CliError::Usage(format!(
                    "audit trail of {} is broken at record {}: {} ({} records before it are intact)",
                    practice.slug,
                    report.first_broken.unwrap_or_default(),
                    report.reason.unwrap_or_default(),
                    report.records
                )));
            }
        }
        Command::Openapi => {}
    }
    Ok(())
}

async fn practice(settings: &Settings, command: PracticeCommand) -> Result<(), CliError> {
    let store = open_store(settings).await?;
    match command {
        PracticeCommand::Create(args) => {
            let new = NewPractice {
                slug: PracticeSlug::parse(&args.slug).map_err(usage)?,
                name: PracticeName::parse(&args.name).map_err(usage)?,
                time_zone: TimeZone::parse(&args.timezone).map_err(usage)?,
                business_hours: BusinessHours::parse(&args.business_hours).map_err(usage)?,
            };
            let practice = store.create_practice(new, SystemClock.now()).await?;
            println!(
                "created practice {} ({}), time zone {}, business hours {}",
                practice.slug,
                practice.name.as_str(),
                practice.time_zone.name(),
                practice.business_hours.to_text()
            );
        }
        PracticeCommand::List => {
            println!(
                "{:<24} {:<32} {:<20} BUSINESS HOURS",
                "SLUG", "NAME", "TIME ZONE"
            );
            for p in store.list_practices().await? {
                println!(
                    "{:<24} {:<32} {:<20} {}",
                    p.slug,
                    p.name.as_str(),
                    p.time_zone.name(),
                    p.business_hours.to_text()
                );
            }
        }
    }
    Ok(())
}

async fn token(settings: &Settings, command: TokenCommand) -> Result<(), CliError> {
    let store = open_store(settings).await?;
    let now = SystemClock.now();
    match command {
        TokenCommand::Create(args) => {
            let slug = PracticeSlug::parse(&args.practice).map_err(usage)?;
            let practice = store.practice_by_slug(&slug).await?;
            // A named administrator's token gets the scopes of their role in the practice.
            let (scopes, admin) = match (&args.admin, &args.scope) {
                (Some(email), None) => {
                    let admin = store.admin_by_email(email).await?;
                    let (_, role) =
                        store
                            .admin_role(admin.id, practice.id)
                            .await?
                            .ok_or_else(|| {
                                usage(format!(
                                    "{email} has no role in {} (or is inactive)",
                                    practice.slug
                                ))
                            })?;
                    (role.scopes(), Some(admin))
                }
                (None, Some(scope)) => (Scopes::parse(scope).map_err(usage)?, None),
                _ => return Err(usage("give exactly one of --scope and --admin")),
            };
            let expires_at = match &args.expires_in {
                Some(text) => {
                    let lifetime = humantime::parse_duration(text).map_err(|e| {
                        usage(format!(
                            "--expires-in `{text}`: {e} (write e.g. 90d or 12h)"
                        ))
                    })?;
                    let lifetime = chrono::Duration::from_std(lifetime)
                        .map_err(|_| usage("--expires-in is too long"))?;
                    Some(now + lifetime)
                }
                None => None,
            };
            let name = args.name.unwrap_or_else(|| match &admin {
                Some(admin) => admin.email.clone(),
                None => format!("{}-token", scopes.to_text().replace([' ', ':'], "-")),
            });
            let issued = store
                .tenant(practice.id)
                .issue_token(
                    NewToken {
                        name,
                        scopes,
                        expires_at,
                        admin: admin.map(|a| a.id),
                    },
                    now,
                )
                .await?;
            let t = &issued.token;
            println!(
                "token {} \"{}\" for practice {} with scopes {}{}",
                t.id,
                t.name,
                practice.slug,
                t.scopes.to_text(),
                t.expires_at
                    .map(|at| format!(", expires {}", at.to_rfc3339()))
                    .unwrap_or_default()
            );
            println!("store it now: it is shown only once");
            println!("{}", issued.text);
        }
        TokenCommand::List { practice } => {
            let slug = PracticeSlug::parse(&practice).map_err(usage)?;
            let practice = store.practice_by_slug(&slug).await?;
            println!(
                "{:<36} {:<20} {:<28} {:<10} {:<25} LAST USED",
                "ID", "NAME", "SCOPES", "STATUS", "CREATED"
            );
            for t in store.tenant(practice.id).list_tokens().await? {
                let status = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.is_expired(now) {
                    "expired"
                } else {
                    "active"
                };
                println!(
                    "{:<36} {:<20} {:<28} {:<10} {:<25} {}",
                    t.id,
                    t.name,
                    t.scopes.to_text(),
                    status,
                    t.created_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    t.last_used_at
                        .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                        .unwrap_or_else(|| "never".into())
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let token = store.revoke_token(id, now).await?;
            println!(
                "revoked token {} \"{}\" at {}",
                token.id,
                token.name,
                token.revoked_at.unwrap_or(now).to_rfc3339()
            );
        }
    }
    Ok(())
}

async fn policy(settings: &Settings, command: PolicyCommand) -> Result<(), CliError> {
    let store = open_store(settings).await?;
    let practice = practice_of(&store, &command).await?;
    let tenant = store.tenant(practice.id);
    match command {
        PolicyCommand::Load { file, .. } => {
            let document: crate::domain::policy::PolicyDocument = read_json(&file)?;
            let portals = tenant.practice_portals().await?;
            document
                .validate(|slug| {
                    portals
                        .get(slug)
                        .map(|p| p.portal.roles.iter().map(|r| r.slug.clone()).collect())
                })
                .map_err(usage)?;
            let version = engine::policy::replace_policy(&tenant, &document, &cli_actor()).await?;
            println!(
                "policy version {version} is now current for {}",
                practice.slug
            );
        }
        PolicyCommand::Show { .. } => print_json(&tenant.policy().await?.document),
    }
    Ok(())
}

async fn escalation(settings: &Settings, command: PolicyCommand) -> Result<(), CliError> {
    let store = open_store(settings).await?;
    let practice = practice_of(&store, &command).await?;
    let tenant = store.tenant(practice.id);
    match command {
        PolicyCommand::Load { file, .. } => {
            let document: crate::domain::escalation::EscalationPolicy = read_json(&file)?;
            document.check().map_err(usage)?;
            let version = tenant
                .replace_escalation_policy(&document, &cli_actor())
                .await?;
            println!(
                "escalation policy version {version} is now current for {}",
                practice.slug
            );
        }
        PolicyCommand::Show { .. } => print_json(&tenant.escalation_policy().await?.document),
    }
    Ok(())
}

/// The practice a load/show command names.
async fn practice_of(
    store: &crate::store::Store,
    command: &PolicyCommand,
) -> Result<crate::store::Practice, CliError> {
    let (PolicyCommand::Load { practice, .. } | PolicyCommand::Show { practice }) = command;
    let slug = PracticeSlug::parse(practice).map_err(usage)?;
    Ok(store.practice_by_slug(&slug).await?)
}

/// A JSON document from a file; errors name the file.
fn read_json<T: serde::de::DeserializeOwned>(file: &std::path::Path) -> Result<T, CliError> {
    let text =
        std::fs::read_to_string(file).map_err(|e| usage(format!("{}: {e}", file.display())))?;
    serde_json::from_str(&text).map_err(|e| usage(format!("{}: {e}", file.display())))
}

/// Changes made from the command line are audited as `cli`.
fn cli_actor() -> crate::store::audit::Actor<'static> {
    crate::store::audit::Actor {
        name: "cli",
        request_id: None,
        at: SystemClock.now(),
    }
}

fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}
