//! `portcullis audit`: check a practice's audit trail in the database, print the deployment's
//! public key, and check an export offline.

use std::path::PathBuf;

use clap::Subcommand;

use crate::audit_key;
use crate::config::Settings;
use crate::domain::audit::checkpoint::AuditPublicKey;
use crate::domain::audit::export::verify_export;
use crate::startup::open_store;
use crate::store::audit::Anchor;

use super::CliError;
use super::support::{practice_by_slug, usage};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute a practice's hash chain and check it reaches every signed checkpoint; exits
    /// non-zero at the first altered or missing record.
    Verify {
        #[arg(long)]
        practice: String,
        /// A head printed by an earlier verification (`SEQ:HASH`), kept outside the database:
        /// the chain must still pass through it.
        #[arg(long)]
        anchor: Option<String>,
    },
    /// Print the deployment's public key (64 hex digits, alone on a line): give it to auditors
    /// to check the signed checkpoints.
    PublicKey,
    /// Check a JSON Lines export offline (no database, no configuration): every hash, every
    /// link, no gap, every signed checkpoint, and the export's own checkpoint last.
    VerifyExport {
        /// The export (`GET /api/v1/audit/export`), made without `from` and `to`.
        file: PathBuf,
        /// The deployment's public key, as `portcullis audit public-key` prints it.
        #[arg(long)]
        public_key: String,
    },
}

impl AuditCommand {
    /// Whether the command runs without configuration (and so without a database).
    pub fn is_offline(&self) -> bool {
        matches!(self, Self::VerifyExport { .. })
    }
}

/// `audit verify-export`, which reads only the file it is given.
pub(super) fn verify_export_file(command: AuditCommand) -> Result<(), CliError> {
    let AuditCommand::VerifyExport { file, public_key } = command else {
        return Err(usage("not an offline command".to_owned()));
    };
    let key =
        AuditPublicKey::parse(&public_key).map_err(|e| usage(format!("--public-key: {e}")))?;
    let text = std::fs::read_to_string(&file)
        .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
    let summary = verify_export(text.lines(), &key).map_err(|failure| {
        CliError::Usage(format!(
            "the export {} does not verify: {failure}",
            file.display()
        ))
    })?;
    let last = &summary.last.checkpoint;
    say!(
        "export verified: practice {}, records 1 to {} intact, {} signed checkpoints by key {}; \
         complete up to the export's checkpoint of record {} signed at {}",
        summary.practice,
        summary.records,
        summary.checkpoints,
        summary.last.key_id,
        last.seq,
        crate::domain::audit::at_text(last.at)
    );
    Ok(())
}

pub(super) async fn audit(settings: &Settings, command: AuditCommand) -> Result<(), CliError> {
    match command {
        AuditCommand::PublicKey => {
            let path = settings.audit_signing_key_path();
            let signer = audit_key::load(&path).map_err(|e| {
                usage(format!(
                    "no audit signing key: {e} (the service creates it on first start; see \
                     `audit.signing_key`)"
                ))
            })?;
            say!("{}", signer.public_key().to_hex());
            Ok(())
        }
        AuditCommand::Verify { practice, anchor } => verify(settings, practice, anchor).await,
        offline @ AuditCommand::VerifyExport { .. } => verify_export_file(offline),
    }
}

async fn verify(
    settings: &Settings,
    practice: String,
    anchor: Option<String>,
) -> Result<(), CliError> {
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
    // Signatures are checked when this deployment's key is at hand; the chain either way.
    let key = audit_key::load(&settings.audit_signing_key_path())
        .ok()
        .map(|signer| signer.public_key().clone());
    let store = open_store(settings).await?;
    let practice = practice_by_slug(&store, &practice).await?;
    let report = store
        .tenant(practice.id)
        .verify_audit(anchor.as_ref(), key.as_ref())
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
    say!(
        "audit trail of {} is intact: {} records",
        practice.slug,
        report.records
    );
    if let Some(head) = report.head {
        say!(
            "head {}:{} (keep it; pass it as --anchor later)",
            head.seq,
            head.hash
        );
    }
    if let Some(c) = report.checkpoint {
        say!(
            "latest signed checkpoint: record {} ({} records) at {} by key {}",
            c.seq,
            c.count,
            c.at,
            c.key_id
        );
    }
    Ok(())
}
