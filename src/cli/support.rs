//! Helpers several command groups share.

use crate::clock::{Clock, SystemClock};
use crate::domain::practice::PracticeSlug;
use crate::store::{Practice, Store};

use super::CliError;

/// A usage error: the message is printed as given.
pub(super) fn usage(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(e.to_string())
}

/// The practice a `--practice` slug names.
pub(super) async fn practice_by_slug(store: &Store, practice: &str) -> Result<Practice, CliError> {
    let slug = PracticeSlug::parse(practice).map_err(usage)?;
    Ok(store.practice_by_slug(&slug).await?)
}

/// A JSON document from a file; errors name the file.
pub(super) fn read_json<T: serde::de::DeserializeOwned>(
    file: &std::path::Path,
) -> Result<T, CliError> {
    let text =
        std::fs::read_to_string(file).map_err(|e| usage(format!("{}: {e}", file.display())))?;
    serde_json::from_str(&text).map_err(|e| usage(format!("{}: {e}", file.display())))
}

/// Changes made from the command line are audited as `cli`.
pub(super) fn cli_actor() -> crate::domain::actor::Actor {
    crate::domain::actor::Actor::cli(SystemClock.now())
}

pub(super) fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}
