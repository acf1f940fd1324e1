//! `portcullis audit`: check a practice's audit trail.

use clap::Subcommand;

use crate::config::Settings;
use crate::startup::open_store;
use crate::store::audit::Anchor;

use super::CliError;
use super::support::{practice_by_slug, usage};

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

pub(super) async fn audit(settings: &Settings, command: AuditCommand) -> Result<(), CliError> {
    let AuditCommand::Verify { practice, anchor } = command;
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
    let store = open_store(settings).await?;
    let practice = practice_by_slug(&store, &practice).await?;
    let report = store
        .tenant(practice.id)
        .verify_audit(anchor.as_ref())
        .await?;
    if !report.ok {
        return Err(CliError::Usage(format!(
            "audit trail of {} is broken at record {}: {} ({} records before it are intact)",
            practice.slug,
            report.first_broken.unwrap_or_default(),
            report.reason.unwrap_or_default(),
            report.records
        )));
    }
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
    Ok(())
}
