//! Loading: defaults, then the TOML file, then the environment; and a load error worded so the
//! user sees which setting to fix and where its value came from.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};

use super::{ConfigError, Settings};

/// The file read when none is named; it is optional.
pub const DEFAULT_FILE: &str = "portcullis.toml";

/// Every environment setting starts with this.
const PREFIX: &str = "PORTCULLIS_";

/// Our variables that are not settings: the command line reads them.
const COMMAND_LINE_VARIABLES: &[&str] = &["PORTCULLIS_CONFIG"];

/// `PORTCULLIS_*` variables that name no setting, to warn about. They are not refused: a
/// deployment may export its own (`PORTCULLIS_HOME`), and a typo is named in the warning.
pub fn unknown_environment_variables() -> Vec<String> {
    let mut unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(key, _)| key.into_string().ok())
        .filter(|key| key.starts_with(PREFIX) && !COMMAND_LINE_VARIABLES.contains(&key.as_str()))
        // Practices' SMTP passwords (`domain::mail::password_variable`) are read at each send.
        .filter(|key| !key.starts_with(crate::domain::mail::PASSWORD_VARIABLE_PREFIX))
        .filter(|key| !names_a_setting(&key[PREFIX.len()..]))
        .collect();
    unknown.sort();
    unknown
}

/// Whether `key` (after the prefix, `__` between levels, any case) names a setting: a path
/// through the defaults' fields. Below a list or an unset table (`jwt.issuers`, `tls`) every
/// key is passed on, and the setting's own check names what is wrong there.
fn names_a_setting(key: &str) -> bool {
    let Ok(defaults) = serde_json::to_value(Settings::default()) else {
        return true;
    };
    let mut node = &defaults;
    for part in key.to_ascii_lowercase().split("__") {
        match node {
            serde_json::Value::Object(fields) => match fields.get(part) {
                Some(next) => node = next,
                None => return false,
            },
            serde_json::Value::Array(_) | serde_json::Value::Null => return true,
            _ => return false,
        }
    }
    true
}

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
                .merge(
                    Env::prefixed(PREFIX)
                        .filter(|key| names_a_setting(key.as_str()))
                        .split("__"),
                ),
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
