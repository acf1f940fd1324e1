//! `portcullis backup` and `portcullis restore`: a consistent copy of the running SQLite
//! database (evidence included), and putting one back into an empty location, checked.

use std::path::PathBuf;

use crate::audit_key;
use crate::config::Settings;
use crate::startup::{connect_store, open_store};
use crate::store::backup::{BackupError, restore_sqlite, sqlite_file};

use super::CliError;
use super::support::usage;

impl From<BackupError> for CliError {
    fn from(err: BackupError) -> Self {
        match err {
            BackupError::Store(store) => CliError::Store(store),
            other => usage(other),
        }
    }
}

/// `backup --to FILE`, safe while the service runs.
pub(super) async fn backup(settings: &Settings, to: PathBuf) -> Result<(), CliError> {
    // Opening the URL would create an empty database (`mode=rwc`) and back that up.
    if let Some(file) = sqlite_file(&settings.database_url)
        && !file.is_file()
    {
        return Err(usage(format!(
            "there is no database at {}: is this the service's configuration \
             (--config, database_url)?",
            file.display()
        )));
    }
    let store = connect_store(settings).await?;
    store.backup_to(&to).await?;
    let size = std::fs::metadata(&to).map(|m| m.len()).unwrap_or_default();
    say!(
        "backed up to {} ({} KiB, evidence files included)",
        to.display(),
        size.div_ceil(1024)
    );
    say!(
        "not in it: the audit signing key {} — keep one copy of it apart from the backups",
        settings.audit_signing_key_path().display()
    );
    Ok(())
}

/// `restore --from FILE` into the empty location `database_url` names; then every practice's
/// audit trail is verified, so the operator sees at once that what came back is whole.
pub(super) async fn restore(settings: &Settings, from: PathBuf) -> Result<(), CliError> {
    let target = restore_sqlite(&settings.database_url, &from).await?;
    say!("restored {} to {}", from.display(), target.display());
    let store = open_store(settings).await?;
    let key = audit_key::load(&settings.audit_signing_key_path())
        .ok()
        .map(|signer| signer.public_key().clone());
    if key.is_none() {
        say!(
            "no audit signing key at {}: the chains are checked, the signatures are not \
             (put the key file back before starting the service)",
            settings.audit_signing_key_path().display()
        );
    }
    let mut broken = Vec::new();
    for practice in store.list_practices().await? {
        let report = store
            .tenant(practice.id)
            .verify_audit(None, key.as_ref())
            .await?;
        match (report.ok, report.head) {
            (true, Some(head)) => say!(
                "audit trail of {} is intact: {} records, head {}:{}",
                practice.slug,
                report.records,
                head.seq,
                head.hash
            ),
            (true, None) => say!("audit trail of {} is empty", practice.slug),
            (false, _) => {
                say!(
                    "audit trail of {} is broken at record {}: {}",
                    practice.slug,
                    report.first_broken.unwrap_or_default(),
                    report.reason.unwrap_or_default()
                );
                broken.push(practice.slug.to_string());
            }
        }
    }
    if broken.is_empty() {
        Ok(())
    } else {
        Err(usage(format!(
            "the restored database's audit trail does not verify for {}",
            broken.join(", ")
        )))
    }
}
