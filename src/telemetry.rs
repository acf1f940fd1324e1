//! Logging. Everything goes to stderr, so stdout stays clean for command output (tokens).

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber for the service. `RUST_LOG`, when set, overrides the
/// configured level.
pub fn init(settings: &LogSettings) {
    install(settings, &format!("{},{QUIET_NOTICES}", settings.level));
}

/// PostgreSQL's notices ("relation … already exists, skipping" at every migration check) say
/// nothing an operator acts on.
const QUIET_NOTICES: &str = "sqlx::postgres::notice=warn";

/// For a one-shot command (`practice list`, `token create`): its output is the point, so the
/// migrator's progress lines stay out unless `RUST_LOG` asks for them; warnings still show.
pub fn init_for_command(settings: &LogSettings) {
    install(
        settings,
        &format!("{},sea_orm_migration=warn,{QUIET_NOTICES}", settings.level),
    );
}

fn install(settings: &LogSettings, directives: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directives));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests, embedding) keeps the first subscriber; that is fine.
    let _ = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
