//! Loading: defaults, then the TOML file, then the environment; and a load error worded so the
//! user sees which setting to fix and where its value came from.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};

use super::{ConfigError, Settings};

/// The file read when none is named; it is optional.
pub const DEFAULT_FILE: &str = "portcullis.toml";

impl Settings {
    /// Loads defaults → the configuration file → `PORTCULLIS_*` environment. A file named
    /// explicitly (`--config`, `PORTCULLIS_CONFIG`) must exist; without one, `portcullis.toml`
    /// is read if it exists.
    pub fn load_named(named: Option<&Path>) -> Result<Self, ConfigError> {
        match named {
            Some(file) if !file.is_file() => Err(ConfigError::MissingFile(file.to_owned())),
            Some(file) => Self::load(file),
            None => Self::load(Path::new(DEFAULT_FILE)),
        }
    }

    /// Loads defaults → `file` (if it exists) → `PORTCULLIS_*` environment, then checks values that
    /// types alone cannot.
    pub fn load(file: &Path) -> Result<Self, ConfigError> {
        Self::from_figment(
            Figment::from(Serialized::defaults(Settings::default()))
                .merge(Toml::file(file))
                .merge(Env::prefixed("PORTCULLIS_").split("__")),
        )
    }

    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError::Load(Box::new(e)))?;
        settings.check()?;
        Ok(settings)
    }
}

/// `setting `rate_limit.per_second` (from PORTCULLIS_RATE_LIMIT__PER_SECOND): invalid …`, one
/// line per problem, so the user sees which setting to fix and where it came from.
pub(super) fn describe_figment_error(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|e| {
            let setting = e.path.join(".");
            let source = e
                .metadata
                .as_ref()
                .map(|m| match &m.source {
                    Some(source) => format!(" (from {source})"),
                    None => format!(" (from {})", m.name),
                })
                .unwrap_or_default();
            if setting.is_empty() {
                format!("{}{source}", e.kind)
            } else {
                format!("setting `{setting}`{source}: {}", e.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}
