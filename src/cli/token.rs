//! `portcullis token`: issue, list and revoke API tokens.

use clap::{Args, Subcommand};
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::domain::scope::Scopes;
use crate::startup::open_store;
use crate::store::NewToken;

use super::CliError;
use super::support::{Table, practice_by_slug, usage};

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

pub(super) async fn token(settings: &Settings, command: TokenCommand) -> Result<(), CliError> {
    let store = open_store(settings).await?;
    let now = SystemClock.now();
    match command {
        TokenCommand::Create(args) => {
            let practice = practice_by_slug(&store, &args.practice).await?;
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
                    let lifetime = crate::domain::duration::parse(text)
                        .map_err(|e| usage(format!("--expires-in {e}")))?;
                    if lifetime <= chrono::Duration::zero() {
                        return Err(usage("--expires-in must be longer than zero"));
                    }
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
            say!(
                "token {} \"{}\" for practice {} with scopes {}{}",
                t.id,
                t.name,
                practice.slug,
                t.scopes.to_text(),
                t.expires_at
                    .map(|at| format!(", expires {}", at.to_rfc3339()))
                    .unwrap_or_default()
            );
            say!("store it now: it is shown only once");
            say!("{}", issued.text);
        }
        TokenCommand::List { practice } => {
            let practice = practice_by_slug(&store, &practice).await?;
            let mut table = Table::new(&["id", "name", "scopes", "status", "created", "last used"]);
            let at = |t: chrono::DateTime<chrono::Utc>| {
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            };
            for t in store.tenant(practice.id).list_tokens().await? {
                let status = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.is_expired(now) {
                    "expired"
                } else {
                    "active"
                };
                table.row(vec![
                    t.id.to_string(),
                    t.name,
                    t.scopes.to_text(),
                    status.to_owned(),
                    at(t.created_at),
                    t.last_used_at.map(at).unwrap_or_else(|| "never".into()),
                ]);
            }
            table.print();
        }
        TokenCommand::Revoke { id } => {
            let token = store.revoke_token(id, now).await?;
            say!(
                "revoked token {} \"{}\" at {}",
                token.id,
                token.name,
                token.revoked_at.unwrap_or(now).to_rfc3339()
            );
        }
    }
    Ok(())
}
