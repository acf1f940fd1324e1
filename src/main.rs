//! `portcullis`: parse the command line and hand over to `cli::run`.

use std::process::ExitCode;

use clap::Parser;
use portcullis::cli::{Cli, run};

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
