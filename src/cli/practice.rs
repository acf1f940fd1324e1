//! `portcullis practice`: add and list practices (tenants).

use clap::{Args, Subcommand};

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::domain::practice::{BusinessHours, PracticeName, PracticeSlug, TimeZone};
use crate::startup::open_store;
use crate::store::NewPractice;

use super::CliError;
use super::support::{Table, usage};

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

pub(super) async fn practice(
    settings: &Settings,
    command: PracticeCommand,
) -> Result<(), CliError> {
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
            say!(
                "created practice {} ({}), time zone {}, business hours {}",
                practice.slug,
                practice.name.as_str(),
                practice.time_zone.name(),
                practice.business_hours.to_text()
            );
        }
        PracticeCommand::List => {
            let mut table = Table::new(&["slug", "name", "time zone", "business hours"]);
            for p in store.list_practices().await? {
                table.row(vec![
                    p.slug.to_string(),
                    p.name.as_str().to_owned(),
                    p.time_zone.name().to_owned(),
                    p.business_hours.to_text(),
                ]);
            }
            table.print();
        }
    }
    Ok(())
}
