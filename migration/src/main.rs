//! The migrator's own command line (`cargo run -p migration -- up|down|status|fresh`), for
//! developers. Operators use `portcullis migrate [--status]`, which reads `portcullis.toml` and
//! the `PORTCULLIS_*` environment like the service; this one reads `DATABASE_URL` (or `-u`),
//! and `PORTCULLIS_DATABASE_URL` when that is all there is.

use std::process::{Command, ExitCode};

use sea_orm_migration::prelude::*;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if std::env::var_os("DATABASE_URL").is_none() && !names_url(&args) && needs_database(&args) {
        let Ok(url) = std::env::var("PORTCULLIS_DATABASE_URL") else {
            eprintln!(
                "error: the migrator needs a database: set DATABASE_URL (or \
                 PORTCULLIS_DATABASE_URL), or pass `-u URL`. `portcullis migrate --status` \
                 shows the same from portcullis.toml and the PORTCULLIS_* environment."
            );
            return ExitCode::from(2);
        };
        // The migrator's parser reads DATABASE_URL; hand it over to a copy of ourselves
        // rather than changing our own environment.
        return match std::env::current_exe().and_then(|me| {
            Command::new(me)
                .args(&args)
                .env("DATABASE_URL", url)
                .status()
        }) {
            Ok(status) if status.success() => ExitCode::SUCCESS,
            Ok(_) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("error: cannot run the migrator: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => {
            runtime.block_on(cli::run_cli(migration::Migrator));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            ExitCode::FAILURE
        }
    }
}

fn names_url(args: &[String]) -> bool {
    args.iter()
        .any(|a| a.starts_with("-u") || a.starts_with("--database-url"))
}

/// `init`, `generate`, help and version work without a database.
fn needs_database(args: &[String]) -> bool {
    let offline = [
        "init",
        "generate",
        "help",
        "-h",
        "--help",
        "-V",
        "--version",
    ];
    !args.iter().any(|a| offline.contains(&a.as_str()))
}
