//! The migrator's own command line (`cargo run -p migration -- up|down|status|fresh`), for
//! operators and developers. The service itself migrates at start-up and in `portcullis migrate`.

use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migration::Migrator).await;
}
